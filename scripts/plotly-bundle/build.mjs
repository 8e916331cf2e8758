// Build assets/vendor/plotly.min.js: plotly.js holding only the trace types in traces.json.
//
// Same esbuild set-up as plotly.js's own dist builds (its esbuild-config.js: CSS inlined, shaders
// minified, regl → @plotly/regl), and for the WebGL traces their "strict" modules (shaders compiled
// ahead of time), so the bundle runs under a Content-Security-Policy without 'unsafe-eval'.
// Deterministic: pinned versions (package-lock.json), no timestamps; the manifest beside the bundle
// records the plotly.js version, the traces and the bundle's sha256 (checked by the tests).
//
// Run from the repository root: `make plotly-bundle` (npm ci + node scripts/plotly-bundle/build.mjs).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { environmentPlugin } from "esbuild-plugin-environment";
import { glsl } from "esbuild-plugin-glsl";

const require = createRequire(import.meta.url);
const InlineCSSPlugin = require("esbuild-plugin-inline-css");

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const out = join(repo, "assets", "vendor");
const { traces, strict } = JSON.parse(readFileSync(join(here, "traces.json"), "utf8"));
const plotlyVersion = JSON.parse(readFileSync(join(here, "node_modules", "plotly.js", "package.json"), "utf8")).version;

// Source patches, each applied exactly once (the build fails when a file no longer holds its text, e.g. after a
// plotly.js upgrade); README.md says what each saves.
// - plotly.js builds two country-name lookups (sanitizing ~1,500 names and aliases with Unicode normalisation and a
//   dozen regular expressions) when its bundle loads, on every page of every tab, though only a scattergeo trace
//   with locationmode "country names" ever looks one up (this app draws none): built at the first lookup instead.
// - regl, with precompiled shaders (the "strict" traces), finds each draw procedure's precompiled code by the
//   SHA-256 of the source it generates, hashed by a string-based JavaScript SHA-256 from 2009 at every page load:
//   the same digest from @noble/hashes over the source's UTF-8 bytes.
// - plotly.js creates a WebGL context for scattergl's focus layer with every chart, though only a selection (box
//   or lasso; the app removes those buttons) draws on it: created when a selection first needs it. A context costs
//   ~100 ms in software WebGL (SwiftShader: headless Chromium, machines without a GPU). When it cannot be created
//   then, plotly.js says so (its "WebGL is not supported" message) and the chart stays drawn without the selection.
const patches = [
  {
    file: "plotly.js/src/lib/prepare_regl.js",
    edits: [
      [
        "        if(d.pick && !fullLayout._has('parcoords')) return;\n",
        "        if(d.pick && !fullLayout._has('parcoords')) return;\n" +
          "        // NEO Explorer's build: the focus layer (scattergl's selections) once a selection needs it\n" +
          "        if(d.key === 'focusLayer' && !d.neoWanted && !fullLayout._has('parcoords')) return;\n",
      ],
    ],
  },
  {
    file: "plotly.js/src/traces/scattergl/plot.js",
    edits: [
      [
        "            scene.select2d = createScatter(fullLayout._glcanvas.data()[1].regl);\n",
        "            var focusLayer = fullLayout._glcanvas.data()[1];\n" +
          "            if(!focusLayer.regl) {\n" +
          "                focusLayer.neoWanted = true;\n" +
          "                prepareRegl(gd, ['ANGLE_instanced_arrays', 'OES_element_index_uint'], reglPrecompiled);\n" +
          "            }\n" +
          "            if(focusLayer.regl) scene.select2d = createScatter(focusLayer.regl);\n",
      ],
    ],
  },
  {
    file: "@plotly/regl/dist/regl.unchecked.js",
    edits: [
      [
        "function hex_sha256(s)    { return rstr2hex(rstr_sha256(str2rstr_utf8(s))); }",
        "var nobleSha256 = require('@noble/hashes/sha2.js').sha256;\n" +
          "var nobleHex = require('@noble/hashes/utils.js').bytesToHex;\n" +
          "function hex_sha256(s) { return nobleHex(nobleSha256(new TextEncoder().encode(s))); }",
      ],
    ],
  },
  {
    file: "country-iso-search/dist/index.cjs",
    edits: [
      [
        "var _default = createLookup(COUNTRIES);\nvar lookup = _default.lookup;\nvar lookupAlpha3 = _default.lookupAlpha3;\n" +
          "var byAlpha3 = _default.byAlpha3;\nvar byAlpha2 = _default.byAlpha2;\nvar byM49 = _default.byM49;\n",
        "var _lazyDefault;\nvar _default = () => _lazyDefault || (_lazyDefault = createLookup(COUNTRIES));\n" +
          "var lookup = (input) => _default().lookup(input);\nvar lookupAlpha3 = (input) => _default().lookupAlpha3(input);\n",
      ],
      ["  byAlpha2: () => byAlpha2,", "  byAlpha2: () => _default().byAlpha2,"],
      ["  byAlpha3: () => byAlpha3,", "  byAlpha3: () => _default().byAlpha3,"],
      ["  byM49: () => byM49,", "  byM49: () => _default().byM49,"],
    ],
  },
  {
    file: "plotly.js/src/lib/geo_location_utils.js",
    edits: [
      [
        "const { lookupAlpha3 } = createLookup([...COUNTRIES, ...COUNTRIES_X]);",
        "let countryLookup;\n" +
          "const lookupAlpha3 = (name) =>\n" +
          "    (countryLookup || (countryLookup = createLookup([...COUNTRIES, ...COUNTRIES_X]))).lookupAlpha3(name);",
      ],
    ],
  },
];

const patched = new Set();  // the files the build patched: each patch must have met its file
const patchPlugin = {
  name: "neo-patches",
  setup(b) {
    for (const { file, edits } of patches) {
      const filter = new RegExp(`node_modules/${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
      b.onLoad({ filter }, (args) => {
        let source = readFileSync(args.path, "utf8");
        for (const [from, to] of edits) {
          const count = source.split(from).length - 1;
          if (count !== 1) {
            throw new Error(`${file}: the text to patch occurs ${count} times, not once: ${from.slice(0, 60)}…`);
          }
          source = source.replace(from, () => to);
        }
        patched.add(file);
        return { contents: source, loader: "js" };
      });
    }
  },
};

const modules = traces.map((name) =>
  strict.includes(name) ? `plotly.js/src/traces/${name}/strict` : `plotly.js/lib/${name}`,
);
const entry = [
  "'use strict';",
  "var Plotly = require('plotly.js/lib/core');",
  `Plotly.register([${modules.map((m) => `require('${m}')`).join(", ")}]);`,
  "module.exports = Plotly;",
].join("\n");

const result = await build({
  stdin: { contents: entry, resolveDir: here, sourcefile: "neo-plotly-entry.js" },
  format: "iife",
  globalName: "Plotly",
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: "none",
  plugins: [patchPlugin, InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: "@plotly/regl", stream: "stream-browserify" },
  define: { global: "window", "define.amd": "false" },
  target: "es2016",
  write: false,
  logLevel: "warning",
});

for (const { file } of patches) {
  if (!patched.has(file)) {
    throw new Error(`${file} was not in the bundle: its patch is stale (remove it from build.mjs)`);
  }
}

const banner =
  `/*! plotly.js v${plotlyVersion} (MIT, (c) Plotly, Inc.), partial bundle for NEO Discovery Statistics Explorer: ` +
  `${traces.join(", ")}; built by scripts/plotly-bundle/build.mjs */\n`;
const code = Buffer.concat([Buffer.from(banner), Buffer.from(result.outputFiles[0].contents)]);
const sha256 = createHash("sha256").update(code).digest("hex");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "plotly.min.js"), code);
const manifest = { plotly_js: plotlyVersion, traces, strict: traces.filter((t) => strict.includes(t)), bytes: code.length, sha256 };
writeFileSync(join(out, "plotly.min.json"), JSON.stringify(manifest, null, 1) + "\n");
console.log(`${relative(repo, join(out, "plotly.min.js"))}: ${code.length} bytes, sha256 ${sha256.slice(0, 16)}…`);
