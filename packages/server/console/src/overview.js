import { html } from "htm/preact";
import { Chart, fmt, Sparkline } from "./chart.js";
import { perSecond, usePoll, useStats } from "./stats.js";

const ms = (v) => (v == null ? null : v * 1000);

export function Overview() {
  const [samples] = useStats(300);
  const [info] = usePoll("/v1/info", 5000);
  const [health] = usePoll("/readyz", 5000);
  const times = samples.map((s) => s.t);
  const last = samples[samples.length - 1];
  const uptime = info ? duration(info.uptimeSeconds) : "…";
  return html`
    <section class="cards">
      ${card("Health", info?.ready ? "ready" : "starting", info?.ready ? "ok" : "warn")}
      ${card("Version", info?.version ?? "…")} ${card("Uptime", uptime)} ${card("Store", info?.store ?? "…")}
      ${card("Worker", info?.worker ?? "…", "", "worker")} ${card("Backlog", fmt(last?.backlog))} ${card("Dead letters", fmt(last?.deadLettersStored), last?.deadLettersStored ? "warn" : "")}
    </section>
    <section class="charts">
      <${Chart}
        title="Throughput (msg/s)"
        times=${times}
        series=${[
          { label: "ingress", values: perSecond(samples, (s) => s.ingress) },
          { label: "invocations", values: perSecond(samples, (s) => s.invocations), dash: true },
          { label: "out", values: perSecond(samples, (s) => s.sent + s.egress) },
        ]}
      />
      <${Chart}
        title="Invocation latency"
        unit="ms"
        times=${times}
        series=${[
          { label: "p50", values: samples.map((s) => ms(s.latencyP50)) },
          { label: "p99", values: samples.map((s) => ms(s.latencyP99)) },
        ]}
      />
      <${Chart}
        title="Backlog"
        times=${times}
        series=${[
          { label: "store", values: samples.map((s) => s.backlog) },
          { label: "buffered", values: samples.map((s) => s.buffered) },
          { label: "parked", values: samples.map((s) => s.parked) },
          { label: "pending commits", values: samples.map((s) => s.pendingCommits) },
        ]}
      />
      <${Chart}
        title="Failures (per s)"
        times=${times}
        series=${[
          { label: "failed attempts", values: perSecond(samples, (s) => s.failures) },
          { label: "dead-lettered", values: perSecond(samples, (s) => s.deadLetters) },
        ]}
      />
      <${Chart}
        title="Commits"
        times=${times}
        series=${[
          { label: "commits/s", values: perSecond(samples, (s) => s.commits) },
          { label: "mean batch", values: samples.map((s) => s.commitBatch) },
        ]}
      />
      <${Chart}
        title="Commit latency"
        unit="ms"
        times=${times}
        series=${[
          { label: "p50", values: samples.map((s) => ms(s.commitLatencyP50)) },
          { label: "p99", values: samples.map((s) => ms(s.commitLatencyP99)) },
        ]}
      />
    </section>
    <p class="muted">Health from <code>/readyz</code>: ${health?.status ?? "…"} · history: <code>GET /v1/stats?window=900</code> · Prometheus: <a href="/metrics">/metrics</a></p>
  `;
}

function card(label, value, tone = "", id = "") {
  return html`<div class="card ${tone}" data-card=${id || label.toLowerCase()}><div class="label">${label}</div><div class="value">${value}</div></div>`;
}

function duration(s) {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function Functions() {
  const [fns, error] = usePoll("/v1/functions", 2000);
  const [samples] = useStats(120);
  const last = samples.slice(-10);
  const series = (type, pick) => samples.map((s) => (s.functions[type] ? pick(s.functions[type]) : 0));
  const sum = (type, pick) => last.reduce((n, s) => n + (s.functions[type] ? pick(s.functions[type]) : 0), 0);
  const latest = (type) => samples[samples.length - 1]?.functions[type];
  /** The latencies of the last sample (of the last 10) in which the type ran. */
  const latency = (type) => [...last].reverse().find((s) => s.functions[type]?.latencyP50 != null)?.functions[type];
  if (error && !fns) return html`<p class="error">${error.message}</p>`;
  return html`<table class="grid" id="functions">
    <thead><tr><th>Function type</th><th>Binding</th><th>Accepts / states</th><th>Invocations</th><th>in/s</th><th>out/s</th><th>fail/s</th><th>p50 / p99</th><th>Queued</th><th>Retrying</th><th>Parked</th></tr></thead>
    <tbody>
      ${(fns ?? []).map((f) => {
        const l = latest(f.typename);
        const lat = latency(f.typename);
        const remote = [...last].reverse().find((s) => s.functions[f.typename]?.remoteP50 != null)?.functions[f.typename];
        return html`<tr data-type=${f.typename}>
          <td><strong>${f.typename}</strong></td>
          <td>${f.source}</td>
          <td class="small">${f.accepts.join(", ") || "–"}<br />${f.states.map((s) => html`<span class="tag">${s.name}: ${s.typename}${s.expiration?.mode && s.expiration.mode !== "none" ? ` (${s.expiration.mode} ${s.expiration.millis} ms)` : ""}</span>`)}</td>
          <td><${Sparkline} values=${series(f.typename, (x) => x.invocations)} /></td>
          <td>${fmt(sum(f.typename, (x) => x.in) / 10)}</td>
          <td>${fmt(sum(f.typename, (x) => x.sent + x.egress) / 10)}</td>
          <td class=${sum(f.typename, (x) => x.failures) > 0 ? "bad" : ""}>${fmt(sum(f.typename, (x) => x.failures) / 10)}</td>
          <td>
            ${lat === undefined ? "–" : `${fmt(lat.latencyP50 * 1000)} / ${fmt(lat.latencyP99 * 1000)} ms`}
            ${remote && html`<br /><span class="small muted">HTTP ${fmt(remote.remoteP50 * 1000)} / ${fmt(remote.remoteP99 * 1000)} ms, ${fmt(sum(f.typename, (x) => x.remoteFailures) / 10)} failed/s</span>`}
          </td>
          <td>${l?.queued ?? 0}</td><td>${l?.retrying ?? 0}</td><td>${f.parked}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}
