// A time-series chart of the dashboard: uPlot (loaded on demand) draws one to three lines on a
// canvas; the page around it says what the canvas cannot: the chart's title, a legend with each
// line's value (the newest, or the one under the pointer), and in words for screen readers each
// line's newest, lowest and highest value.

import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { useT } from "../i18n/hooks.ts";
import { loadChart } from "../lib/chart.ts";
import { columnSummary, timeTicks } from "../lib/console.ts";

/** Pixels of a chart's plot and axes. */
const CHART_HEIGHT = 180;
/** Lines one chart draws at most: each has a colour and a dash of its own (chart-1 …). */
export const CHART_LINES_MAX = 3;
/** The steps between the ticks of a count's axis. */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];
/** Each line's dash, so that lines differ by more than their colour. */
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3]];

export interface ChartLine { label: string; column: (number | null)[] }

export interface TimeChartProps {
  /** Unique on the page: the ids of the title and the legend derive from it. */
  id: string;
  title: string;
  /** Times in seconds since the epoch, oldest first; one value of each line for each. A new
   * array whenever the data is new (the lines' columns with it). */
  xs: number[];
  lines: ChartLine[];
  /** A value as the axis and the legend write it. */
  format: (value: number) => string;
  /** Whole numbers only (counts): no tick between 0 and 1. */
  integer?: boolean;
  /** What shows instead of a chart with fewer than two points. */
  empty: string;
}

/** The page's theme (`data-theme` on <html>), so that a chart redraws in the other theme's
 * colours when it changes. */
function useDocumentTheme(): string {
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? "");
  useEffect(() => {
    if (typeof MutationObserver !== "function") return;
    const observer = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? ""));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  return theme;
}

/** A colour of the theme, by its variable's name. */
function themeColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function alignedData(xs: number[], lines: ChartLine[]): uPlot.AlignedData {
  return [xs, ...lines.map((l) => l.column)];
}

export function TimeChart(props: TimeChartProps): JSX.Element {
  const { t, locale } = useT();
  const theme = useDocumentTheme();
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [failed, setFailed] = useState(false);
  const [hover, setHover] = useState<number | null>(null);
  // The chart is made once per shape (lines, theme, language); new samples only change its data.
  const current = useRef(props);
  current.current = props;
  const lines = props.lines.slice(0, CHART_LINES_MAX);
  const enough = props.xs.length >= 2;
  const shape = lines.map((l) => l.label).join("\n");

  useEffect(() => {
    if (!enough) return;
    let live = true;
    let made: uPlot | null = null;
    let observer: ResizeObserver | undefined;
    loadChart().then((UPlot) => {
      const el = box.current;
      if (!live || !el) return;
      setFailed(false);
      const text = themeColour("--text-3");
      const grid = themeColour("--border");
      const axis = (values: uPlot.Axis["values"]): uPlot.Axis => ({
        stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values, font: "12px system-ui, sans-serif",
      });
      const options: uPlot.Options = {
        width: Math.max(el.clientWidth, 200),
        height: CHART_HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
        axes: [
          axis((_u, splits) => timeTicks(splits, locale)),
          { ...axis((_u, splits) => splits.map((v) => current.current.format(v))), size: 64, ...(current.current.integer ? { incrs: INTEGER_STEPS } : {}) },
        ],
        series: [
          {},
          ...current.current.lines.slice(0, CHART_LINES_MAX).map((l, i): uPlot.Series => ({
            label: l.label, stroke: themeColour(`--chart-${i + 1}`), width: 2, points: { show: false }, spanGaps: false,
            ...(DASHES[i] ? { dash: DASHES[i] } : {}),
          })),
        ],
        hooks: { setCursor: [(u) => setHover(u.cursor.idx ?? null)] },
      };
      made = new UPlot(options, alignedData(current.current.xs, current.current.lines.slice(0, CHART_LINES_MAX)), el);
      plot.current = made;
      if (typeof ResizeObserver === "function") {
        observer = new ResizeObserver(() => { if (el.clientWidth > 0) made?.setSize({ width: el.clientWidth, height: CHART_HEIGHT }); });
        observer.observe(el);
      }
    }, () => { if (live) setFailed(true); });
    return () => {
      live = false;
      observer?.disconnect();
      made?.destroy();
      plot.current = null;
    };
  }, [enough, shape, theme, locale, props.integer]);

  // `xs` is a new array whenever the data is new (chartData makes them afresh).
  useEffect(() => {
    plot.current?.setData(alignedData(props.xs, lines));
  }, [props.xs]);

  const summaries = useMemo(() => lines.map((l) => ({ label: l.label, summary: columnSummary(l.column) })), [props.xs, shape]);
  const words = summaries
    .map(({ label, summary: s }) => (s
      ? t("admin.dashChartLine", { line: label, last: props.format(s.last), min: props.format(s.min), max: props.format(s.max) })
      : t("admin.dashChartLineNone", { line: label })))
    .join(t("admin.accProblemSep"));
  const shown = (i: number): string => {
    const column = lines[i]!.column;
    const at = hover !== null && hover < column.length ? column[hover] : summaries[i]!.summary?.last;
    return at === null || at === undefined ? "—" : props.format(at);
  };
  const titleId = `${props.id}-title`;
  return (
    <figure class="chart" aria-labelledby={titleId} data-testid={`chart-${props.id}`}>
      <figcaption class="chart-head">
        <h3 id={titleId} class="chart-title">{props.title}</h3>
        {enough && (
          <ul class="chart-legend" aria-label={t("admin.dashLegend", { chart: props.title })}>
            {lines.map((l, i) => (
              <li key={l.label}>
                <span class={`chart-swatch chart-swatch-${i + 1}`} aria-hidden="true" />
                <span class="chart-label">{l.label}</span>{" "}
                <span class="chart-value" data-testid="chart-value">{shown(i)}</span>
              </li>
            ))}
          </ul>
        )}
      </figcaption>
      {enough
        ? <div ref={box} class="chart-plot" role="img" aria-label={`${props.title}: ${words}`} onMouseLeave={() => setHover(null)} />
        : <p class="muted small chart-empty">{props.empty}</p>}
      {failed && <p class="muted small" role="status">{t("admin.dashChartFailed")}</p>}
    </figure>
  );
}
