/* The NEO search box and links from chart points to object pages, in the browser (loaded from 'self', so the
   CSP needs no inline script). Clientside callbacks registered in dashboard_app/objects/search.py call these. */
(function () {
  "use strict";

  var PAGE_PREFIX = "/neo/";
  var MAX_CHARS = 64;

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function trimmed(value) {
    return typeof value === "string" ? value.replace(/\s+/g, " ").trim().slice(0, MAX_CHARS) : "";
  }

  /* Dash's path prefix (requests_pathname_prefix), so links work behind a sub-path. */
  function prefixed(path) {
    var config = document.getElementById("_dash-config");
    var prefix = "/";
    try {
      prefix = JSON.parse(config.textContent).requests_pathname_prefix || "/";
    } catch (e) {
      prefix = "/";
    }
    return prefix.replace(/\/$/, "") + path;
  }

  function pagePath(text) {
    return prefixed(PAGE_PREFIX + encodeURIComponent(text.replace(/ /g, "_")));
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    neo_objects: {
      /* Typing paused (the input's debounce): ask for suggestions only for new, non-empty text. */
      query: function (value, previous) {
        var text = trimmed(value);
        if (!text) {
          return [noUpdate(), true];
        }
        return [text === previous ? noUpdate() : text, noUpdate()];
      },

      /* Enter: the best suggestion when it answers this very text, else the page of the text as typed. */
      submit: function (nSubmit, value, best) {
        /* The box's own text: with a debounce, Enter can come before the value prop has caught up. */
        var box = document.getElementById("neo-search-input");
        var text = trimmed(box ? box.value : value);
        if (!nSubmit || !text) {
          return noUpdate();
        }
        return best && best.query === text ? best.path : pagePath(text);
      },

      /* A new page: empty the box and close the list. */
      clear: function () {
        return ["", true];
      }
    }
  });

  /* Charts whose points are single NEOs: a figure with layout.meta.neo_points === "text" has points whose text
     starts with the NEO's designation (up to ": "). A click on one opens the NEO's page through the search box's
     dcc.Location (refresh="callback-nav": the page changes without a reload). plotly's click event is attached
     to a chart the first time a pointer enters it; the figure's meta is read at click time, so a redrawn chart
     follows its new figure. */
  var NAV_ID = "neo-search-nav";

  function pointDesignation(plot, data) {
    var meta = plot.layout && plot.layout.meta;
    var point = data && data.points && data.points[0];
    if (!meta || meta.neo_points !== "text" || !point || typeof point.text !== "string") {
      return "";
    }
    var text = point.text.split(": ")[0];
    var numbered = /^\((\d+)\)/.exec(text);   /* "(99942) 2004 MN4" opens /neo/99942 */
    return numbered ? numbered[1] : text;
  }

  document.addEventListener("pointerover", function (event) {
    var plot = event.target && event.target.closest ? event.target.closest(".js-plotly-plot") : null;
    if (!plot || plot.neoLinked || typeof plot.on !== "function") {
      return;
    }
    plot.neoLinked = true;
    plot.on("plotly_click", function (data) {
      var designation = pointDesignation(plot, data);
      if (designation && window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props(NAV_ID, {pathname: pagePath(designation)});
      }
    });
  }, true);
})();
