/* Tab view behaviour that runs in the browser (loaded from 'self', so the CSP needs no inline script).
   dashboard_app/views/tab.py registers these as clientside callbacks of every tab:

   - collect: the controls → the tab's request store, which is the one input of the tab's server
     callback. Only a real change is sent; a change of a "settling" control (a slider's arrow keys)
     waits until the steps pause for config.settle_ms, so a sweep sends one request, not one per step.
   - reset: the Reset button → every control's default (the defaults are in the tab's config store).
   - checkNumber: a number box → a whole number within its range, with a message when it was corrected.
   - exportGrid: a table's CSV button → its grid's own CSV export (what the grid shows).
   - showQuery: the drawn view's query string → the address bar, replaced in place (no history entry,
     no navigation event), and kept in sessionStorage for the shell's tab links (assets/shell.js). */
(function () {
  "use strict";

  var newest = {};  // tab → number of its newest control change (older waiting changes give way)

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function triggeredIds() {
    var context = window.dash_clientside.callback_context || {};
    return (context.triggered || []).map(function (t) {
      return t.prop_id.slice(0, t.prop_id.lastIndexOf("."));
    });
  }

  /* The whole number a box may hold: [lo, hi] → value or null (not a usable number). */
  function wholeIn(value, bounds) {
    return typeof value === "number" && isFinite(value) && Math.round(value) === value &&
      value >= bounds[0] && value <= bounds[1];
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.neo_views = {
    /* Arguments: each control's value (config.names order), then the config and the current request. */
    collect: function () {
      var args = Array.prototype.slice.call(arguments);
      var current = args.pop();
      var config = args.pop();
      if (!config || !config.names) { return noUpdate(); }
      var values = {};
      config.names.forEach(function (name, i) { values[name] = args[i]; });
      var numbers = config.numbers || {};
      for (var n in numbers) {
        /* A number outside its range is being corrected by checkNumber: wait for the corrected value. */
        if (Object.prototype.hasOwnProperty.call(numbers, n) && !wholeIn(values[n], numbers[n])) {
          return noUpdate();
        }
      }
      var tab = config.tab;
      var mine = (newest[tab] = (newest[tab] || 0) + 1);
      if (JSON.stringify(values) === JSON.stringify(current)) { return noUpdate(); }
      var triggered = triggeredIds();
      var settling = triggered.length > 0 && triggered.every(function (id) {
        return config.settle.indexOf(id) !== -1;
      });
      if (!settling) { return values; }
      return new Promise(function (resolve) {
        window.setTimeout(function () {
          resolve(newest[tab] === mine ? values : noUpdate());
        }, config.settle_ms);
      });
    },

    reset: function (nClicks, config) {
      if (!nClicks || !config || !config.names) { throw window.dash_clientside.PreventUpdate; }
      return config.names.map(function (name) { return config.defaults[name]; });
    },

    /* A number box's value → [corrected value, message, invalid]. A whole number in range passes;
       otherwise the box gets the nearest whole number in range (or, when empty or not a number, the
       value being drawn) and a message says what happened, so the box never disagrees with the chart. */
    checkNumber: function (value, config, request) {
      var triggered = triggeredIds()[0] || "";
      var name = triggered.slice(String(config && config.tab).length + 1);
      var bounds = config && config.numbers && config.numbers[name];
      if (!bounds) { throw window.dash_clientside.PreventUpdate; }
      if (wholeIn(value, bounds)) { return [noUpdate(), "", false]; }
      var range = "a whole number from " + bounds[0] + " to " + bounds[1];
      var drawn = request && wholeIn(request[name], bounds) ? request[name] : bounds[0];
      if (typeof value !== "number" || !isFinite(value)) {
        return [drawn, "Enter " + range + "; kept " + drawn + ".", false];
      }
      var corrected = Math.min(bounds[1], Math.max(bounds[0], Math.round(value)));
      return [corrected, "Enter " + range + ": " + value + " became " + corrected + ".", false];
    },

    /* "All years" under a year slider → the slider's whole range. */
    allYears: function (nClicks, min, max) {
      if (!nClicks || typeof min !== "number" || typeof max !== "number") {
        throw window.dash_clientside.PreventUpdate;
      }
      return [min, max];
    },

    /* A table's CSV button → the grid exports the rows and columns it shows (file name and comment
       lines come from the server with the rows, as csvExportParams). */
    exportGrid: function (nClicks) {
      if (!nClicks) { throw window.dash_clientside.PreventUpdate; }
      return true;
    },

    showQuery: function (search) {
      if (typeof search !== "string") { return; }
      var loc = window.location;
      if (loc.search !== search) {
        window.history.replaceState(window.history.state, "", loc.pathname + search + loc.hash);
      }
      try {
        window.sessionStorage.setItem("neo-tab-query:" + loc.pathname, search);
      } catch (e) { /* storage unavailable (private mode): the tab links fall back to the Dash store */ }
    }
  };
})();
