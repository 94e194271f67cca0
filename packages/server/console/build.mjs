// Builds the operator console into ../console-dist: one bundled script (Preact + htm + uPlot from
// node_modules) and one stylesheet, plus index.html. Run by `npm run build`; needs no network.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const here = new URL(".", import.meta.url);
const out = new URL("../console-dist/", here);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: new URL("src/main.js", here).pathname },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  outdir: out.pathname,
  legalComments: "linked",
  logLevel: "warning",
});
writeFileSync(
  new URL("index.html", out),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statefun TS console</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`,
);
