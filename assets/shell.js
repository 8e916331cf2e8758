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

  /* A rate-limited chart update (HTTP 429) would otherwise fail silently: show the server's message. */
  var NOTICE_ID = "shell-rate-limit-notice";

  function showNotice(text) {
    var notice = document.getElementById(NOTICE_ID);
    if (!notice) {
      notice = document.createElement("div");
      notice.id = NOTICE_ID;
      notice.setAttribute("role", "alert");
      notice.className = "alert alert-warning shadow position-fixed bottom-0 end-0 m-3 shell-rate-limit";
      document.body.appendChild(notice);
    }
    notice.textContent = text;
    window.clearTimeout(notice.hideTimer);
    notice.hideTimer = window.setTimeout(function () {
      notice.remove();
    }, 60000);
  }

  if (window.fetch) {
    var originalFetch = window.fetch;
    window.fetch = function (input, init) {
      return originalFetch.call(this, input, init).then(function (response) {
        var url = typeof input === "string" ? input : (input && input.url) || "";
        if (response.status === 429 && url.indexOf("_dash-update-component") !== -1) {
          response.clone().json().then(
            function (body) { showNotice(body.message || "Too many chart updates: wait a minute."); },
            function () { showNotice("Too many chart updates: wait a minute, then try again."); }
          );
        }
        return response;
      });
    };
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

    /* Remember each tab's query string so that returning to a tab restores its view. Control changes
       rewrite the URL in place (views/callbacks.py) and record the query in sessionStorage; read it here. */
    tabLinks: function (pathname, search, memory, ids) {
      var queries = Object.assign({}, memory || {});
      ids.forEach(function (id) {
        try {
          var kept = window.sessionStorage.getItem("neo-tab-query:" + id.index);
          if (kept !== null) { queries[id.index] = kept; }
        } catch (e) { /* storage unavailable: the Dash memory alone */ }
      });
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
