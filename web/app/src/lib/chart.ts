// Loads the chart library the first time a chart is drawn.
import type uPlot from "uplot";

let loading: Promise<typeof uPlot> | null = null;

export function loadChart(): Promise<typeof uPlot> {
  loading ??= import("./uplot.ts").then((m) => m.uPlot);
  // A failed load (the network dropped) may be tried again by the next chart.
  loading.catch(() => { loading = null; });
  return loading;
}
