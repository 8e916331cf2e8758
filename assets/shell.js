/* Page shell behaviour that runs in the browser (loaded from 'self', so the CSP needs no inline script).
   Clientside callbacks registered in dashboard_app/web/shell.py call these functions. */
(function () {
  "use strict";

  function systemTheme() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function isTheme(value) {
    return value === "light" || value === "dark";
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.neo_shell = {
    /* The theme store's value: the stored choice, else the browser's preference; a click flips it. */
    chooseTheme: function (nClicks, stored) {
      var current = isTheme(stored) ? stored : systemTheme();
      if (!nClicks) {
        return isTheme(stored) ? window.dash_clientside.no_update : current;
      }
      return current === "dark" ? "light" : "dark";
    },

    /* Apply the theme to Bootstrap's colour mode; the toggle offers the other one. */
    applyTheme: function (theme) {
      var applied = isTheme(theme) ? theme : systemTheme();
      document.documentElement.setAttribute("data-bs-theme", applied);
      return applied === "dark" ? "Light theme" : "Dark theme";
    },

    /* Remember each tab's query string so that returning to a tab restores its view. */
    tabLinks: function (pathname, search, memory, ids) {
      var queries = Object.assign({}, memory || {});
      queries[pathname] = search || "";
      var hrefs = ids.map(function (id) {
        return id.index + (queries[id.index] || "");
      });
      var active = ids.map(function (id) {
        return id.index === pathname;
      });
      return [queries, hrefs, active];
    }
  };
})();
