import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { addressPath, api } from "./api.js";
import { fmt } from "./chart.js";
import { usePoll, useStats } from "./stats.js";

const show = (v) => (typeof v === "string" ? v : JSON.stringify(v));

/** Find an instance by address; its values decoded, with typename and expiry; edit or delete one. */
export function StateBrowser() {
  const [form, setForm] = useState({ namespace: "", type: "", id: "" });
  const [found, setFound] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [editing, setEditing] = useState(undefined);
  const [listing, setListing] = useState(undefined);
  const list = async (after = "") => {
    setError(undefined);
    try {
      const q = new URLSearchParams({ limit: "20", ...(after ? { after } : {}) });
      const page = await api("GET", `/v1/instances/${encodeURIComponent(form.namespace)}/${encodeURIComponent(form.type)}?${q}`);
      setListing({ ...page, pages: after ? [...(listing?.pages ?? []), after] : [] });
    } catch (e) {
      setError(e.message);
    }
  };
  const open = (id) => {
    const address = { namespace: listing.namespace, type: listing.type, id };
    setForm(address);
    load(address);
  };
  const load = async (address = form) => {
    setError(undefined);
    try {
      setFound(await api("GET", `/v1/state/${addressPath(address)}`));
    } catch (e) {
      setFound(undefined);
      setError(e.message);
    }
  };
  const save = async (name) => {
    try {
      const value = JSON.parse(editing.text);
      await api("PUT", `/v1/state/${addressPath(found.address)}/${encodeURIComponent(name)}`, {
        typename: editing.typename,
        value,
        ...(editing.encoding ? { encoding: editing.encoding } : {}),
      });
      setEditing(undefined);
      await load(found.address);
    } catch (e) {
      setError(e.message);
    }
  };
  const remove = async (name) => {
    if (!confirm(`Delete ${name}?`)) return;
    try {
      await api("DELETE", `/v1/state/${addressPath(found.address)}/${encodeURIComponent(name)}`);
      await load(found.address);
    } catch (e) {
      setError(e.message);
    }
  };
  const field = (key, label) =>
    html`<label>${label}<input name=${key} value=${form[key]} onInput=${(e) => setForm({ ...form, [key]: e.currentTarget.value })} /></label>`;
  return html`
    <form class="row" id="find-instance" onSubmit=${(e) => {
      e.preventDefault();
      load();
    }}>
      ${field("namespace", "Namespace")} ${field("type", "Type")} ${field("id", "Id")}
      <button type="submit">Find</button>
      <button type="button" class="secondary" id="list-instances" disabled=${!form.namespace || !form.type} onClick=${() => list()}>List instances of the type</button>
    </form>
    ${
      listing &&
      html`<div class="instances" id="instances">
      <span class="muted">${listing.namespace}/${listing.type}: </span>
      ${listing.instances.length === 0 ? html`<span class="muted">no instance with state</span>` : ""}
      ${listing.instances.map((id) => html`<button class="link" data-id=${id} onClick=${() => open(id)}>${id}</button>`)}
      ${listing.next !== null ? html`<button class="secondary" onClick=${() => list(listing.next)}>Next page</button>` : ""}
      ${listing.pages.length > 0 ? html`<button class="secondary" onClick=${() => list(listing.pages[listing.pages.length - 2] ?? "")}>Previous</button>` : ""}
    </div>`
    }
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${
      found &&
      html`<h3>${found.address.namespace}/${found.address.type}/${found.address.id}</h3>
      ${found.state.length === 0 ? html`<p class="muted">No state.</p>` : ""}
      <table class="grid" id="state"><thead><tr><th>Name</th><th>Type</th><th>Value</th><th>Expires</th><th></th></tr></thead><tbody>
        ${found.state.map(
          (s) => html`<tr data-state=${s.name}>
            <td>${s.name}</td><td class="small">${s.typename}</td>
            <td>${
              editing?.name === s.name
                ? html`<textarea name="value" rows="2" onInput=${(e) => setEditing({ ...editing, text: e.currentTarget.value })}>${editing.text}</textarea>`
                : html`<code class="value">${show(s.value)}</code>`
            }</td>
            <td class="small">${s.expiresAt ?? "never"}</td>
            <td class="actions">${
              editing?.name === s.name
                ? html`<button class="save" onClick=${() => save(s.name)}>Save</button><button class="secondary" onClick=${() => setEditing(undefined)}>Cancel</button>`
                : html`<button class="edit" onClick=${() => setEditing({ name: s.name, typename: s.typename, encoding: s.encoding, text: JSON.stringify(s.value) })}>Edit</button><button class="danger" onClick=${() => remove(s.name)}>Delete</button>`
            }</td>
          </tr>`,
        )}
      </tbody></table>`
    }
    <p class="muted">API: <code>GET /v1/state/{ns}/{type}/{id}</code>, <code>PUT|DELETE /v1/state/{ns}/{type}/{id}/{name}</code>, <code>GET /v1/instances/{ns}/{type}</code> · CLI: <code>statefun state</code>, <code>statefun state-set</code>, <code>statefun state-delete</code>. An edit is applied in the instance's order, through the commit pipeline.</p>
  `;
}

/** Dead letters with reason, attempts and a preview; replay one, or all of a function type. */
export function DeadLetters() {
  const [letters, error, reload] = usePoll("/v1/deadletters?limit=200", 3000);
  const [note, setNote] = useState(undefined);
  const [type, setType] = useState("");
  const typeOf = (l) => `${l.target.namespace}/${l.target.type}`;
  const shown = (letters ?? []).filter((l) => type === "" || typeOf(l) === type);
  const replay = async (ids) => {
    try {
      for (const id of ids) await api("POST", `/v1/deadletters/${id}/replay`);
      setNote(`Replayed ${ids.length} message${ids.length === 1 ? "" : "s"}.`);
    } catch (e) {
      setNote(e.message);
    }
    reload();
  };
  const discard = async (path, what) => {
    if (!confirm(`Delete ${what} for good?`)) return;
    try {
      await api("DELETE", path);
      setNote(`Deleted ${what}.`);
    } catch (e) {
      setNote(e.message);
    }
    reload();
  };
  const types = [...new Set((letters ?? []).map(typeOf))].sort();
  return html`
    <div class="row">
      <label>Function type <select onChange=${(e) => setType(e.currentTarget.value)}><option value="">all</option>${types.map((t) => html`<option>${t}</option>`)}</select></label>
      <button disabled=${shown.length === 0} onClick=${() => replay(shown.map((l) => l.id))}>Replay ${shown.length} shown</button>
      ${type && html`<button class="danger" onClick=${() => discard(`/v1/deadletters?type=${encodeURIComponent(type)}`, `every dead letter of ${type}`)}>Discard all of ${type}</button>`}
    </div>
    ${note && html`<p class="note" role="status">${note}</p>`} ${error && html`<p class="error">${error.message}</p>`}
    ${letters && shown.length === 0 ? html`<p class="muted">No dead letters.</p>` : ""}
    <table class="grid" id="deadletters"><thead><tr><th>Id</th><th>Target</th><th>Message</th><th>Reason</th><th>Attempts</th><th>Failed at</th><th></th></tr></thead><tbody>
      ${shown.map(
        (l) => html`<tr data-id=${l.id}>
          <td>${l.id}</td><td>${typeOf(l)}/${l.target.id}</td>
          <td class="small"><span class="muted">${l.argument.typename}</span><br /><code>${preview(l.argument)}</code></td>
          <td class="small reason">${l.error}</td><td>${l.attempts}</td><td class="small">${l.failedAt}</td>
          <td class="actions"><button class="replay" onClick=${() => replay([l.id])}>Replay</button><button class="danger discard" onClick=${() => discard(`/v1/deadletters/${l.id}`, `dead letter ${l.id}`)}>Discard</button></td>
        </tr>`,
      )}
    </tbody></table>
    <p class="muted">API: <code>GET /v1/deadletters</code>, <code>POST /v1/deadletters/{id}/replay</code>, <code>DELETE /v1/deadletters/{id}</code>, <code>DELETE /v1/deadletters?type=ns/name</code> · CLI: <code>statefun deadletters list|replay|delete|discard</code></p>
  `;
}

/** At most 120 characters of a message, as text (rendered as text: never as markup). */
function preview(arg) {
  const text = arg.encoding === "base64" ? `base64:${arg.value}` : show(arg.value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export function Parked() {
  const [parked, error] = usePoll("/v1/parked", 3000);
  const rows = Object.entries(parked ?? {});
  return html`${error && html`<p class="error">${error.message}</p>`}
    ${rows.length === 0 ? html`<p class="muted">No parked messages: every function type with messages is loaded.</p>` : ""}
    <table class="grid"><thead><tr><th>Function type</th><th>Parked messages</th></tr></thead>
    <tbody>${rows.map(([t, n]) => html`<tr><td>${t}</td><td>${n}</td></tr>`)}</tbody></table>
    <p class="muted">Messages to a type with no binding wait here until it is loaded (or the park timeout dead-letters them). API: <code>GET /v1/parked</code></p>`;
}

const SAMPLE = `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://127.0.0.1:8000/{function.name}
`;

/** Modules loaded at run time: a YAML editor with errors shown at their line; unload; rebind a type. */
export function Modules() {
  const [modules, error, reload] = usePoll("/v1/modules", 5000);
  const [fns, , reloadFns] = usePoll("/v1/functions", 5000);
  const [name, setName] = useState("my-module");
  const [text, setText] = useState(SAMPLE);
  const [problem, setProblem] = useState(undefined);
  const [note, setNote] = useState(undefined);
  const [bind, setBind] = useState({ type: "", url: "" });
  const act = async (fn, done) => {
    setProblem(undefined);
    setNote(undefined);
    try {
      await fn();
      setNote(done);
    } catch (e) {
      setProblem(e.message);
    }
    reload();
    reloadFns();
  };
  const errLines = new Set([...(problem ?? "").matchAll(/line (\d+)/g)].map((m) => Number(m[1])));
  const lines = text.split("\n");
  const edit = async (n) => {
    try {
      const res = await fetch(`/v1/modules/${encodeURIComponent(n)}`, { credentials: "same-origin" });
      setName(n);
      setText(await res.text());
    } catch (e) {
      setProblem(e.message);
    }
  };
  return html`
    <h3>Modules loaded through the admin API</h3>
    ${error && html`<p class="error">${error.message}</p>`}
    <table class="grid" id="modules"><thead><tr><th>Name</th><th>Status</th><th></th></tr></thead><tbody>
      ${(modules ?? []).map(
        (
          m,
        ) => html`<tr data-module=${m.name}><td>${m.name}</td><td class="small">${m.error ? html`<span class="bad">${m.error}</span>` : (m.status ?? "loaded")}</td>
          <td class="actions"><button class="secondary" onClick=${() => edit(m.name)}>Edit</button><button class="danger" onClick=${() => confirm(`Unload ${m.name}?`) && act(() => api("DELETE", `/v1/modules/${encodeURIComponent(m.name)}`), `Unloaded ${m.name}.`)}>Unload</button></td></tr>`,
      )}
    </tbody></table>
    <h3>Load or replace a module</h3>
    <label>Name <input name="module-name" value=${name} onInput=${(e) => setName(e.currentTarget.value)} /></label>
    <div class="editor">
      <pre class="gutter" aria-hidden="true">${lines.map((_, i) => html`<span class=${errLines.has(i + 1) ? "err-line" : ""} data-line=${i + 1}>${i + 1}</span>`)}</pre>
      <textarea name="yaml" spellcheck="false" rows=${Math.max(8, lines.length + 1)} value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
    </div>
    <button id="load-module" onClick=${() => act(() => api("PUT", `/v1/modules/${encodeURIComponent(name)}`, text, "application/yaml"), `Loaded ${name}.`)}>Load module</button>
    ${problem && html`<pre class="error" id="module-error" role="alert">${problem}</pre>`} ${note && html`<p class="note" role="status">${note}</p>`}
    <h3>Bind or rebind a function type to a remote endpoint</h3>
    <div class="row">
      <label>Function type <input name="bind-type" placeholder="namespace/name or namespace/*" value=${bind.type} onInput=${(e) => setBind({ ...bind, type: e.currentTarget.value })} /></label>
      <label>Endpoint URL <input name="bind-url" placeholder="http://127.0.0.1:8000/{function.name}" value=${bind.url} onInput=${(e) => setBind({ ...bind, url: e.currentTarget.value })} /></label>
      <button onClick=${() => act(() => api("PUT", `/v1/functions/${functionPath(bind.type)}`, { kind: "remote", url: bind.url }), `Bound ${bind.type}.`)}>Bind</button>
    </div>
    <table class="grid"><thead><tr><th>Function type</th><th>Binding from</th><th></th></tr></thead><tbody>
      ${(fns ?? []).map(
        (f) =>
          html`<tr><td>${f.typename}</td><td>${f.source}</td><td>${f.source === "admin API" ? html`<button class="danger" onClick=${() => act(() => api("DELETE", `/v1/functions/${functionPath(f.typename)}`), `Unbound ${f.typename}.`)}>Unbind</button>` : ""}</td></tr>`,
      )}
    </tbody></table>
    <p class="muted">API: <code>PUT|DELETE /v1/modules/{name}</code>, <code>PUT|DELETE /v1/functions/{ns}/{name}</code> · CLI: <code>statefun modules put|delete</code>, <code>statefun functions put|delete</code></p>
  `;
}

const functionPath = (t) => {
  const slash = t.lastIndexOf("/");
  const name = t.slice(slash + 1);
  return `${encodeURIComponent(t.slice(0, slash))}/${name === "*" ? "*" : encodeURIComponent(name)}`;
};

export function Cluster() {
  const [cluster, error] = usePoll("/v1/cluster", 2000);
  const [info] = usePoll("/v1/info", 5000);
  const members = cluster?.members ?? [];
  return html`${error && html`<p class="error">${error.message}</p>`}
    ${
      cluster &&
      html`<section class="cards">
        <div class="card"><div class="label">This worker</div><div class="value">${cluster.worker}</div></div>
        <div class="card"><div class="label">Mode</div><div class="value">${cluster.clustered ? "cluster" : "single owner"}</div></div>
        <div class="card"><div class="label">Store</div><div class="value">${info?.store ?? "…"}</div></div>
        <div class="card"><div class="label">Last heartbeat</div><div class="value">${cluster.lastHeartbeat ? new Date(cluster.lastHeartbeat).toLocaleTimeString() : "–"}</div></div>
        <div class="card"><div class="label">Heartbeat / lease</div><div class="value">${cluster.heartbeatMs ? `${cluster.heartbeatMs} / ${cluster.leaseMs} ms` : "–"}</div></div>
      </section>
      <table class="grid" id="cluster"><thead><tr><th>Worker</th><th>Key groups</th><th>Ranges</th><th>Lease epochs</th></tr></thead><tbody>
        ${members.map(
          (m) =>
            html`<tr data-worker=${m.worker}><td>${m.worker}${m.worker === cluster.worker ? html` <span class="tag">this worker</span>` : ""}</td><td>${m.keyGroups}</td><td class="small">${m.ranges.join(", ") || "–"}</td><td>${m.epochs ? (m.epochs.min === m.epochs.max ? m.epochs.min : `${m.epochs.min}–${m.epochs.max}`) : "–"}</td></tr>`,
        )}
      </tbody></table>
      ${cluster.unowned?.length > 0 ? html`<p class="muted">Not leased by a live worker: ${cluster.unowned.join(", ")}</p>` : ""}`
    }
    <p class="muted">As this worker saw the cluster at its last heartbeat. API: <code>GET /v1/cluster</code> · CLI: <code>statefun cluster</code></p>`;
}

export function IngressEgress() {
  const [io, error] = usePoll("/v1/io", 5000);
  const [samples] = useStats(60);
  const last = samples.slice(-10);
  const rate = (pick) => last.reduce((n, s) => n + pick(s), 0) / Math.max(1, last.length);
  const depth = samples[samples.length - 1]?.egressDepth;
  const byTopic = samples[samples.length - 1]?.egressByTopic ?? {};
  const byTarget = {};
  for (const s of last)
    for (const [t, f] of Object.entries(s.functions))
      if (f.ingress > 0) byTarget[t] = (byTarget[t] ?? 0) + f.ingress / Math.max(1, last.length);
  // Kafka egresses have a table of their own below.
  const kafkaEgresses = new Set((io?.kafka?.egresses ?? []).map((e) => e.id));
  return html`${error && html`<p class="error">${error.message}</p>`}
    <h3>Ingress</h3>
    <p>Accepted: <strong>${fmt(rate((s) => s.ingress))}</strong> msg/s over the last 10 s${Object.keys(byTarget).length > 0 ? " · by target: " : ""}${Object.entries(byTarget).map(([t, r]) => html`<span class="tag">${t}: ${fmt(r)}/s</span>`)}</p>
    <table class="grid" id="ingresses"><thead><tr><th>Kind</th><th>Port</th><th>Route</th><th>Message type</th></tr></thead><tbody>
      ${(io?.ingresses ?? []).map((i) => html`<tr><td>${i.kind}</td><td>${i.port ?? "–"}</td><td><code>${i.route}</code></td><td>${i.messageType}</td></tr>`)}
    </tbody></table>
    <h3>Egress</h3>
    <p>Written: <strong>${fmt(rate((s) => s.egress))}</strong> records/s · waiting for delivery (all topics): <strong>${fmt(depth)}</strong></p>
    <table class="grid" id="egresses"><thead><tr><th>Egress</th><th>Topic</th><th>Message type</th><th>Waiting</th><th>Read with</th></tr></thead><tbody>
      ${(io?.egresses ?? []).filter((e) => !kafkaEgresses.has(e.egress)).map((e) => html`<tr data-topic=${e.topic}><td>${e.egress}</td><td>${e.topic}</td><td>${e.messageType}</td><td>${byTopic[e.topic] ?? 0}</td><td><code>GET :${e.port ?? "8091"}/${e.topic}</code></td></tr>`)}
    </tbody></table>
    ${io?.kafka && html`<${KafkaIo} kafka=${io.kafka} />`}`;
}

/** The Kafka ingresses and egresses of `GET /v1/io`: what each reads or writes, and whether it is ready. */
function KafkaIo({ kafka }) {
  const state = (problem) => (problem === null ? html`<span class="tag">ready</span>` : html`<span class="bad">${problem}</span>`);
  return html`<h3>Kafka ingresses</h3>
    ${kafka.ingresses.length === 0 ? html`<p class="muted">None.</p>` : ""}
    <table class="grid" id="kafka-ingresses"><thead><tr><th>Ingress</th><th>Broker</th><th>Consumer group</th><th>Topics</th><th>State</th><th>Assigned partitions</th><th>Paused (overload)</th></tr></thead><tbody>
      ${kafka.ingresses.map(
        (i) =>
          html`<tr data-ingress=${i.id}><td>${i.id}</td><td>${i.address}</td><td>${i.consumerGroupId}</td><td>${i.topics.join(", ")}</td><td class="state">${state(i.problem)}</td><td class="small">${i.assigned.join(", ") || "–"}</td><td class="small paused">${i.paused.join(", ") || "–"} (${i.pauses} since start)</td></tr>`,
      )}
    </tbody></table>
    <h3>Kafka egresses</h3>
    ${kafka.egresses.length === 0 ? html`<p class="muted">None.</p>` : ""}
    <table class="grid" id="kafka-egresses"><thead><tr><th>Egress</th><th>Broker</th><th>Delivery</th><th>State</th></tr></thead><tbody>
      ${kafka.egresses.map(
        (e) =>
          html`<tr data-egress=${e.id}><td>${e.id}</td><td>${e.address}</td><td>${e.deliverySemantic}</td><td class="state">${state(e.problem)}</td></tr>`,
      )}
    </tbody></table>`;
}
