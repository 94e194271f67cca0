import type { GaugeSnapshot } from "@statefun-ts/runtime";

export interface DashboardData {
  readonly ready: boolean;
  readonly gauges: GaugeSnapshot;
  readonly store: { messages: number; timers: number; egress: number; deadLetters: number } | undefined;
  readonly functions: readonly { typename: string; accepts: readonly string[]; states: readonly { name: string }[] }[];
  readonly ingresses: readonly string[];
  readonly topics: readonly string[];
  /** Modules and bindings stored through the admin API that could not be loaded, with why. */
  readonly failed?: readonly string[];
}

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);

/** A one-page dashboard: no scripts, no external assets, refreshes itself every 5 s. */
export function dashboardHtml(data: DashboardData): string {
  const counts: [string, number | string][] = [
    ["Waiting messages (store)", data.store?.messages ?? "?"],
    ["Delayed messages", data.store?.timers ?? "?"],
    ["Egress records", data.store?.egress ?? "?"],
    ["Dead letters", data.store?.deadLetters ?? "?"],
    ["Buffered in memory", data.gauges.bufferedMessages],
    ["Invocations in flight", data.gauges.inFlightInvocations],
    ["Pending commits", data.gauges.pendingCommits],
    ["Parked (type not loaded)", data.gauges.parkedMessages],
    ["Cached addresses", data.gauges.cachedAddresses],
  ];
  const rows = counts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join("");
  const functions = data.functions
    .map(
      (f) =>
        `<tr><td>${esc(f.typename)}</td><td>${esc(f.accepts.join(", "))}</td><td>${esc(f.states.map((s) => s.name).join(", "))}</td></tr>`,
    )
    .join("");
  const list = (items: readonly string[]) =>
    items.length === 0 ? "<p>none</p>" : `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Statefun TS</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}
th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f4f4f4}</style></head>
<body><h1>Statefun TS</h1>
<p>Status: <strong>${data.ready ? "ready" : "starting"}</strong> · <a href="/metrics">metrics</a> · <a href="/v1/functions">functions</a> · <a href="/v1/deadletters">dead letters</a></p>
${(data.failed ?? []).length === 0 ? "" : `<h2>Not loaded (fix or remove through the admin API)</h2>${list(data.failed ?? [])}`}
<h2>Counts</h2><table>${rows}</table>
<h2>Functions</h2>
${functions === "" ? "<p>none loaded</p>" : `<table><tr><th>Type</th><th>Accepts</th><th>State</th></tr>${functions}</table>`}
<h2>Ingress routes</h2>${list(data.ingresses)}
<h2>Egress topics</h2>${list(data.topics)}
</body></html>
`;
}
