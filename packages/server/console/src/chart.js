import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const palette = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#dc2626", "#0891b2"];

/** A time-series chart: `series` is [{label, values}] aligned with `times` (epoch ms). */
export function Chart({ title, times, series, height = 180, unit = "" }) {
  const el = useRef(null);
  const plot = useRef(null);
  const data = [times.map((t) => t / 1000), ...series.map((s) => s.values)];
  const key = series.map((s) => s.label).join("|");
  useEffect(() => {
    const width = el.current.clientWidth || 400;
    plot.current = new uPlot(
      {
        width,
        height,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: palette[i % palette.length],
            width: 1.5,
            points: { show: false },
            ...(s.dash ? { dash: [6, 4] } : {}),
            spanGaps: true,
            value: (_u, v) => (v == null ? "–" : `${fmt(v)}${unit}`),
          })),
        ],
        axes: [{}, { values: (_u, ticks) => ticks.map((v) => `${fmt(v)}${unit}`), size: 60 }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data,
      el.current,
    );
    const resize = () => plot.current?.setSize({ width: el.current.clientWidth || width, height });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key]);
  useEffect(() => {
    plot.current?.setData(data);
  });
  return html`<div class="chart" data-chart=${title} data-points=${String(series.reduce((n, s) => n + s.values.filter((v) => v != null).length, 0))} data-max=${String(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v != null))))}><h3>${title}</h3><div ref=${el}></div></div>`;
}

/** A small inline line of the last values (an SVG path, no axes). */
export function Sparkline({ values, width = 120, height = 24 }) {
  const nums = values.map((v) => v ?? 0);
  const max = Math.max(1e-9, ...nums);
  const step = nums.length > 1 ? width / (nums.length - 1) : width;
  const d = nums
    .map((v, i) => `${i === 0 ? "M" : "L"}${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`)
    .join("");
  return html`<svg class="spark" width=${width} height=${height} viewBox="0 0 ${width} ${height}"><path d=${d} /></svg>`;
}

export function fmt(v) {
  if (v == null || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 10 || Number.isInteger(v)) return String(Math.round(v));
  if (a >= 0.01) return v.toFixed(2);
  return v.toPrecision(2);
}
