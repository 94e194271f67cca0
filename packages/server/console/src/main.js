import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { Cluster, DeadLetters, IngressEgress, Modules, Parked, StateBrowser } from "./operate.js";
import { Functions, Overview } from "./overview.js";
import "./style.css";

const pages = [
  ["overview", "Overview", Overview],
  ["functions", "Functions", Functions],
  ["state", "State", StateBrowser],
  ["deadletters", "Dead letters", DeadLetters],
  ["parked", "Parked", Parked],
  ["modules", "Modules & bindings", Modules],
  ["cluster", "Cluster", Cluster],
  ["io", "Ingress & egress", IngressEgress],
];

const current = () => location.hash.replace(/^#\/?/, "") || "overview";

function App() {
  const [page, setPage] = useState(current());
  const [session, setSession] = useState(undefined);
  useEffect(() => {
    const onHash = () => setPage(current());
    window.addEventListener("hashchange", onHash);
    api("GET", "/v1/session").then(setSession, () => setSession({ required: true, signedIn: false }));
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const entry = pages.find(([id]) => id === page) ?? pages[0];
  const Page = entry[2];
  return html`
    <header>
      <span class="brand">Statefun TS</span>
      <nav>${pages.map(([id, label]) => html`<a href="#/${id}" class=${id === entry[0] ? "active" : ""} data-page=${id}>${label}</a>`)}</nav>
      ${session?.required && html`<button class="secondary" onClick=${() => api("DELETE", "/v1/session").then(() => location.assign("/signin"))}>Sign out</button>`}
    </header>
    <main data-page=${entry[0]}><h2>${entry[1]}</h2><${Page} /></main>
  `;
}

function SignIn() {
  const [token, setToken] = useState("");
  const [error, setError] = useState(undefined);
  const submit = async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/v1/session", { token });
      location.assign("/");
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<div class="signin"><form id="signin" onSubmit=${submit}>
    <h2>Statefun TS console</h2>
    <p class="muted">This worker requires its admin token (<code>STATEFUN_ADMIN_TOKEN</code>).</p>
    <input type="password" name="token" placeholder="Admin token" autocomplete="current-password" value=${token} onInput=${(e) => setToken(e.currentTarget.value)} />
    <button type="submit">Sign in</button>
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </form></div>`;
}

render(location.pathname === "/signin" ? html`<${SignIn} />` : html`<${App} />`, document.getElementById("app"));
