/* Charts below the fold are drawn when they come near the viewport (dashboard_app/views/tab.py: DRAW_NEAR).

   A tab's first view shows what is at its top; drawing the charts further down at the same moment kept the
   main thread busy (on Discovery Circumstances: six small charts and a 41,000-point rate chart) while the one
   chart in view waited. A chart declared with this client function gets the server's answer in its store, and
   the answer reaches the dcc.Graph when the graph is within MARGIN px of the viewport: at once for the charts
   in view, at the first scroll (or change of layout) that brings the others near (MARGIN px before they enter
   it, so that they are drawn by the time they are seen). Only a chart's first drawing waits: once drawn, a
   chart takes every later answer at once, wherever it is, so it never shows an older view than the controls.
   A newer answer for a chart still waiting replaces the one before (which is not drawn), and printing draws
   every waiting chart first.

   window.neoDrawNear.whenNear(id) is the same wait for other client functions (assets/neo_points.js). */
(function () {
  "use strict";

  var MARGIN = 400;  /* px above and below the viewport that count as near */
  var MAX_LAYOUT_FRAMES = 600;  /* frames to wait for a graph to be laid out (~10 s) before waiting for a scroll */
  var waiting = [];  /* {id, resolve}: charts waiting to come near, oldest first */
  var drawn = new WeakSet();  /* the slots (else the elements) of graphs that got a figure */
  var scheduled = false;
  var unlaidFrames = 0;

  /* The DOM id of the running clientside callback's (first) output: Dash writes a dict id as compact JSON with
     its keys sorted. */
  function outputId() {
    var context = window.dash_clientside && window.dash_clientside.callback_context;
    var outputs = context && context.outputs_list;
    var id = outputs && (Array.isArray(outputs) ? outputs[0] : outputs).id;
    if (id && typeof id === "object") {
      return "{" + Object.keys(id).sort().map(function (key) {
        return JSON.stringify(key) + ":" + JSON.stringify(id[key]);
      }).join(",") + "}";
    }
    return id || null;
  }

  /* true: near the viewport (or not on the page: nothing to wait for); false: far; null: not laid out yet.
     A graph that dcc has not mounted yet is a placeholder that keeps the chart's height (assets/03-neo.css),
     so it is where the chart will be. */
  function isNear(id) {
    var element = document.getElementById(id);
    if (!element) {
      return true;
    }
    var rect = element.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) {
      return null;
    }
    return rect.top < window.innerHeight + MARGIN && rect.bottom > -MARGIN;
  }

  function check() {
    scheduled = false;
    var unlaid = false;
    waiting = waiting.filter(function (w) {
      var near = isNear(w.id);
      if (near === null) {
        unlaid = true;
        return true;
      }
      if (near) {
        release(w);
      }
      return !near;
    });
    unlaidFrames = unlaid ? unlaidFrames + 1 : 0;
    if (unlaid && unlaidFrames < MAX_LAYOUT_FRAMES) {
      schedule();
    }
  }

  function schedule() {
    if (!scheduled && waiting.length) {
      scheduled = true;
      window.requestAnimationFrame(check);
    }
  }

  /* What stands for a graph in ``drawn``: its chart's slot (views/components.py chart_card), which stays the same
     element when dcc replaces the graph's placeholder by the mounted graph; else the element itself. */
  function slotOf(element) {
    return element.closest(".view-graph-slot") || element;
  }

  function release(w) {
    var element = document.getElementById(w.id);
    if (element) {
      drawn.add(slotOf(element));
    }
    w.resolve(true);
  }

  function releaseAll() {
    waiting.forEach(release);
    waiting = [];
  }

  window.addEventListener("scroll", schedule, {passive: true});
  window.addEventListener("resize", schedule);
  window.addEventListener("beforeprint", releaseAll);  /* a printed page holds every chart */
  new ResizeObserver(schedule).observe(document.documentElement);  /* content above a chart grew or shrank */

  /* A promise of true when the element ``id`` is near the viewport (at once if it has been drawn before: a
     chart once drawn follows every answer, so that it never shows an older view than the controls), or of false
     when a newer wait for the same element replaced this one. */
  function whenNear(id) {
    waiting = waiting.filter(function (w) {
      if (w.id === id) {
        w.resolve(false);
      }
      return w.id !== id;
    });
    var element = id && document.getElementById(id);
    var slot = element && slotOf(element);
    if (!id || (slot && drawn.has(slot)) || isNear(id) === true) {
      if (slot) {
        drawn.add(slot);
      }
      return Promise.resolve(true);
    }
    return new Promise(function (resolve) {
      waiting.push({id: id, resolve: resolve});
      unlaidFrames = 0;
      schedule();
    });
  }

  window.neoDrawNear = {whenNear: whenNear, outputId: outputId};
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    neo_draw: {
      /* The server's answer → the graph's figure, once the graph is near the viewport. */
      near: function (figure) {
        if (!figure) {
          return window.dash_clientside.no_update;
        }
        return whenNear(outputId()).then(function (draw) {
          return draw ? figure : window.dash_clientside.no_update;
        });
      }
    }
  });
})();
