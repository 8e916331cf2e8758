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

  /* A refused callback or page-layout request (HTTP 429, the rate limit) is retried by itself after the server's
     Retry-After, with the very same body, so the page recovers on its own. Until then a notice says the
     charts are out of date (with the server's message) and the page carries the class
     "shell-out-of-date". The renderer simply sees a slow answer: charts, notes, the drawn view (which
     the URL and CSV downloads follow) and the controls it drew for arrive together. A refused request
     that a newer request for the same outputs has replaced meanwhile is not sent again (it answers
     "204 No Content": nothing to update). */
  var NOTICE_ID = "shell-rate-limit-notice";
  var OUT_OF_DATE_CLASS = "shell-out-of-date";
  var CALLBACK_PATH = "_dash-update-component";
  var LAYOUT_PAGE_PARAM = "page";  /* dashboard_app/web/first_view.py PAGE_PARAM */
  var RETRY_DEFAULT_S = 5;   /* when a 429 carries no usable Retry-After */
  var RETRY_MAX_S = 120;
  var newestRequest = {};    /* callback outputs → number of the newest request for them */
  var waiting = 0;           /* refused requests waiting to be sent again */

  function notice() {
    var element = document.getElementById(NOTICE_ID);
    if (!element) {
      element = document.createElement("div");
      element.id = NOTICE_ID;
      element.setAttribute("role", "status");
      element.setAttribute("aria-live", "polite");
      element.className = "alert alert-warning shadow position-fixed bottom-0 end-0 m-3 shell-rate-limit";
      document.body.appendChild(element);
    }
    window.clearTimeout(element.hideTimer);
    return element;
  }

  function showOutOfDate(message, seconds) {
    document.body.classList.add(OUT_OF_DATE_CLASS);
    notice().textContent = message + " The charts are out of date; they update by themselves in " +
      Math.ceil(seconds) + " s.";
  }

  function showRecovered() {
    document.body.classList.remove(OUT_OF_DATE_CLASS);
    var element = document.getElementById(NOTICE_ID);
    if (!element) { return; }
    element.textContent = "The charts are up to date again.";
    element.className = element.className.replace("alert-warning", "alert-success");
    element.hideTimer = window.setTimeout(function () { element.remove(); }, 4000);
  }

  function retryAfterSeconds(response) {
    var header = response.headers.get("Retry-After");
    var seconds = Number(header);
    if (header && !isFinite(seconds)) {  /* an HTTP date */
      seconds = (Date.parse(header) - Date.now()) / 1000;
    }
    if (!header || !isFinite(seconds) || seconds < 0) { seconds = RETRY_DEFAULT_S; }
    return Math.min(Math.max(seconds, 1), RETRY_MAX_S);
  }

  function outputsOf(init) {
    try {
      return JSON.parse(init.body).output || "";
    } catch (e) {
      return "";
    }
  }

  function serverMessage(response) {
    return response.clone().json().then(
      function (body) { return body.message || "Too many chart updates."; },
      function () { return "Too many chart updates."; }
    );
  }

  /* fetchOnce() sent again after each 429 until it is answered; replaced() says a newer request made it moot. */
  function retrying(fetchOnce, replaced) {
    var refused = false;
    function send() {
      return fetchOnce().then(function (response) {
        if (response.status !== 429) {
          if (refused) {
            waiting -= 1;
            if (waiting === 0 && response.ok) { showRecovered(); }
          }
          return response;
        }
        if (!refused) { refused = true; waiting += 1; }
        var seconds = retryAfterSeconds(response);
        return serverMessage(response).then(function (message) {
          showOutOfDate(message, seconds);
          return new Promise(function (resolve) { window.setTimeout(resolve, seconds * 1000); });
        }).then(function () {
          if (replaced()) {  /* replaced by a newer request: nothing to redo */
            waiting -= 1;
            if (waiting === 0) { showRecovered(); }
            return new Response(null, {status: 204});
          }
          return send();
        });
      });
    }
    return send();
  }

  if (window.fetch) {
    var originalFetch = window.fetch;
    window.fetch = function (input, init) {
      var self = this;
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (typeof input === "string" && /_dash-layout$/.test(url)) {
        /* The page layout names the page, so the server puts the page's own content (and its first
           charts) in it: the first view needs no callback (dashboard_app/web/first_view.py). It is
           rate limited like a callback, and retried the same way. */
        var page = window.location.pathname + window.location.search;
        var named = url + "?" + LAYOUT_PAGE_PARAM + "=" + encodeURIComponent(page);
        /* The page's HTML preloads this very URL (first_view.install_layout_preload), and the browser
           hands this fetch the preloaded answer when the two requests match: the same URL and credentials
           mode; some browsers compare request headers too, so none are sent (the renderer's Accept and
           Content-Type say nothing the server's JSON answer to a GET needs). */
        var plain = {method: "GET", credentials: "same-origin"};
        return retrying(function () { return originalFetch.call(self, named, plain); },
                        function () { return false; });
      }
      if (url.indexOf(CALLBACK_PATH) === -1 || !init || typeof init.body !== "string") {
        return originalFetch.apply(this, arguments);
      }
      var outputs = outputsOf(init);
      var mine = (newestRequest[outputs] = (newestRequest[outputs] || 0) + 1);
      return retrying(function () { return originalFetch.call(self, input, init); },
                      function () { return newestRequest[outputs] !== mine; });
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

    /* The snapshot id the refreshed status line names (its data-snapshot attribute), when it changed. */
    snapshotOf: function (children, current) {
      var items = Array.isArray(children) ? children : [children];
      for (var i = 0; i < items.length; i++) {
        var props = (items[i] && items[i].props) || {};
        if (props.id === "shell-data-line") {
          var id = props["data-snapshot"];
          return typeof id === "string" && id !== current ? id : window.dash_clientside.no_update;
        }
      }
      return window.dash_clientside.no_update;
    },

    /* The theme the charts are drawn in follows the visitor's, but only when it differs: the page's
       first charts were drawn in the theme its cookie named, so setting the theme store on load redraws nothing. */
    chartTheme: function (theme, drawnIn) {
      var wanted = isTheme(theme) ? theme : systemTheme();
      return wanted === drawnIn ? window.dash_clientside.no_update : wanted;
    },

    /* Apply the theme to Bootstrap's colour mode; the toggle offers the other one. */
    applyTheme: function (theme) {
      var applied = isTheme(theme) ? theme : systemTheme();
      document.documentElement.setAttribute("data-bs-theme", applied);
      /* The server draws a page's first charts in this theme (dashboard_app/views/prefill.py). */
      document.cookie = "neo-theme=" + applied + "; path=/; max-age=31536000; SameSite=Lax" +
        (window.location.protocol === "https:" ? "; Secure" : "");
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
