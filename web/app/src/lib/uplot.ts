// uPlot, the dashboard's chart library, with its stylesheet: loaded on demand (see chart.ts), so
// that it is a chunk of its own and costs nothing until a server administrator opens the
// dashboard.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export { uPlot };
