/* Charts of one point per NEO (dashboard_app/figures/neo_points.py), in the browser: the server's answer names
   each trace's NEOs by a bit mask over the snapshot's rows (trace.meta.rows, base64, least significant bit first)
   and the points file that holds their numbers and hover text (layout.meta.neo_data). This fetches that file once
   per snapshot (its URL names the snapshot; the browser caches it) and fills each trace's x, y and text, rows in
   snapshot order: the same figure the server used to send whole. A clientside callback (views/tab.py, charts
   declared with a client function) calls expand between the answer's store and the dcc.Graph; like every
   chart of DRAW_NEAR (assets/draw_near.js), a packed chart below the fold is drawn when it comes near. */
(function () {
  "use strict";

  var files = {};  /* points file URL → promise of its parsed JSON */

  function load(src) {
    if (!files[src]) {
      files[src] = fetch(src, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) {
          throw new Error("points file " + src + ": HTTP " + response.status);
        }
        return response.json();
      });
      files[src].catch(function () {
        delete files[src];  /* a failed fetch is tried again at the next answer */
      });
    }
    return files[src];
  }

  /* The rows whose bit is set, ascending. */
  function rowsOf(packed, n) {
    var bytes = atob(packed);
    var rows = [];
    for (var b = 0; b < bytes.length; b++) {
      var byte = bytes.charCodeAt(b);
      for (var bit = 0; byte !== 0 && bit < 8; bit++) {
        if (byte & (1 << bit)) {
          var row = b * 8 + bit;
          if (row < n) {
            rows.push(row);
          }
        }
      }
    }
    return rows;
  }

  function pick(column, rows, nameOnly) {
    var out = new Array(rows.length);
    for (var i = 0; i < rows.length; i++) {
      var value = column[rows[i]];
      out[i] = nameOnly && typeof value === "string" ? value.split(": ")[0] : value;
    }
    return out;
  }

  function fill(figure, spec, file) {
    if (file.n !== spec.n) {
      throw new Error("points file " + spec.src + " has " + file.n + " rows, the chart expects " + spec.n);
    }
    var columns = file.columns;
    var text = spec.text.split(":");
    var data = figure.data.map(function (trace) {
      var packed = trace.meta && trace.meta.rows;
      if (typeof packed !== "string") {
        return trace;
      }
      var rows = rowsOf(packed, spec.n);
      var out = Object.assign({}, trace);
      delete out.meta;
      out.x = pick(columns[spec.x], rows, false);
      out.y = pick(columns[spec.y], rows, false);
      out.text = pick(columns[text[0]], rows, text[1] === "name");
      return out;
    });
    var meta = Object.assign({}, figure.layout.meta);
    delete meta.neo_data;
    return Object.assign({}, figure, {data: data, layout: Object.assign({}, figure.layout, {meta: meta})});
  }

  /* The HTML of a tab's page preloads the points files its charts use (dashboard_app/web/neo_points.py): read
     them now, while Dash loads, instead of when the first answer names them (the same URL, so one request). */
  document.querySelectorAll('link[rel="preload"][as="fetch"]').forEach(function (link) {
    var href = link.getAttribute("href");
    if (href && href.indexOf("/_neo-points/") !== -1) {
      load(href).catch(function () {});  /* a failure is met again, and reported, by the answer that needs it */
    }
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    neo_points: {
      /* The server's answer → the figure to draw, once the points file is here (an empty state has nothing
         per NEO) and the graph is near the viewport (a newer answer replaces one still waiting). */
      expand: function (figure) {
        var spec = figure && figure.layout && figure.layout.meta && figure.layout.meta.neo_data;
        if (!figure) {
          return window.dash_clientside.no_update;
        }
        var near = window.neoDrawNear.whenNear(window.neoDrawNear.outputId());  /* assets/draw_near.js */
        var filled = spec ? load(spec.src).then(function (file) { return fill(figure, spec, file); }) : figure;
        return Promise.all([near, filled]).then(function (both) {
          return both[0] ? both[1] : window.dash_clientside.no_update;
        });
      }
    }
  });
})();
