// Rendering measurement page for bench/circumstances_render.py (served with the production CSP).
// Draws figure 0 with Plotly.newPlot, then figures 1..n-1 with Plotly.react; after each draw
// waits two animation frames (the drawing is on screen) and counts the points drawn.
(function () {
  "use strict";
  const errors = [];
  const csp = [];
  window.addEventListener("error", (e) => errors.push(String(e.message)));
  document.addEventListener("securitypolicyviolation", (e) => csp.push(e.violatedDirective));
  const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const guard = (p) =>
    Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error("no drawing within 60 s")), 60000))]);

  function drawnPoints(el) {
    const svg = el.querySelectorAll(".scatterlayer .point").length;
    let gl = 0;
    let cells = 0;
    for (const t of el._fullData || []) {
      if (t.type === "scattergl" && t.mode === "markers" && t.visible === true) gl += t._length || 0;  // not the reference lines
      if (t.type === "heatmap") cells += 1;
    }
    return {svg: svg, gl: gl, heatmaps: cells};
  }

  async function run() {
    const q = new URLSearchParams(location.search);
    const n = +q.get("figures");
    const el = document.getElementById("plot");
    const res = {draws: []};
    try {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const text = await (await fetch(q.get("dir") + "/" + i + ".json")).text();
        const t1 = performance.now();
        const fig = JSON.parse(text);
        const t2 = performance.now();
        await guard(i === 0 ? Plotly.newPlot(el, fig.data, fig.layout) : Plotly.react(el, fig.data, fig.layout));
        await frames();
        const t3 = performance.now();
        res.draws.push({fetch_ms: t1 - t0, parse_ms: t2 - t1, draw_ms: t3 - t2, bytes: text.length,
                        points: drawnPoints(el)});
      }
    } catch (e) {
      errors.push("caught: " + e);
    }
    res.errors = errors.slice(0, 5);
    res.csp = csp;
    res.webgl = !!document.createElement("canvas").getContext("webgl");
    const out = document.getElementById("out");
    out.textContent = JSON.stringify(res);
    out.setAttribute("data-done", "1");
  }
  window.addEventListener("load", run);
})();
