/* Range-slider helpers (loaded from 'self'; no inline script).

   1. Tooltip formats, looked up by name from dcc.RangeSlider's tooltip.transform (window.dccFunctions):
      - neoHalfMagnitudeEdge: the H-range slider keeps only as many decimals as its step (0.5) has, so its
        handle sits at 15.8 where the charts use the bin edge 15.75 (the server snaps to the model's
        half-magnitude edges, x.25 and x.75). The tooltip shows that edge.

   2. Home and End on a two-handle slider. Dash 4's RangeSlider (Radix UI's slider) moves the *first*
      handle to the minimum on Home and the *last* handle to the maximum on End, whichever handle has
      the focus (reported upstream with a minimal reproduction: docs/upstream/dash-rangeslider-home-end.md).
      The WAI-ARIA slider pattern moves the focused handle: Home sends it to its lowest allowed value (the
      minimum, or for the upper handle the lower handle's value), End to its highest. This listener runs
      before the slider's own (capture phase) and presses PageDown/PageUp and the arrow keys for the
      focused handle instead, so the slider itself makes every change (its value, the settling and the
      request stay as for any key). */
(function () {
  "use strict";

  window.dccFunctions = window.dccFunctions || {};
  window.dccFunctions.neoHalfMagnitudeEdge = function (value) {
    var edge = Math.round((Number(value) - 0.25) * 2) / 2 + 0.25;
    return edge.toFixed(2);
  };

  function number(el, name) {
    var v = Number(el.getAttribute(name));
    return isFinite(v) ? v : null;
  }

  function press(thumb, key) {
    thumb.dispatchEvent(new KeyboardEvent("keydown", {key: key, code: key, bubbles: true, cancelable: true}));
  }

  document.addEventListener("keydown", function (event) {
    if ((event.key !== "Home" && event.key !== "End") || event.neoRedirected) { return; }
    var thumb = event.target;
    if (!thumb || !thumb.getAttribute || thumb.getAttribute("role") !== "slider") { return; }
    var group = thumb.closest("[data-neo-step]");  // views.range_control's wrapper names the step
    var step = group ? Number(group.getAttribute("data-neo-step")) : NaN;
    if (!group || !(step > 0)) { return; }
    var thumbs = Array.prototype.slice.call(group.querySelectorAll("[role=slider]"));
    if (thumbs.length < 2) { return; }  // a one-handle slider already does the right thing
    var index = thumbs.indexOf(thumb);
    var now = number(thumb, "aria-valuenow");
    var min = number(thumb, "aria-valuemin");
    var max = number(thumb, "aria-valuemax");
    if (index < 0 || now === null || min === null || max === null) { return; }
    var target = event.key === "Home"
      ? (index > 0 ? number(thumbs[index - 1], "aria-valuenow") : min)
      : (index < thumbs.length - 1 ? number(thumbs[index + 1], "aria-valuenow") : max);
    if (target === null) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var presses = 0;
    var previous = null;
    /* One key per tick: the slider re-renders between presses (its value is read back each time). Big
       strides with PageUp/PageDown (ten steps) while they cannot overshoot, then arrows; within half a
       step is there (the slider rounds values to its step's decimals); bounded by the number of presses. */
    (function next() {
      var current = number(thumb, "aria-valuenow");
      var remaining = current === null ? 0 : target - current;
      if (current === null || current === previous || Math.abs(remaining) < step / 2 || presses++ > 200) {
        return;
      }
      var big = Math.abs(remaining) >= 10 * step - step / 2;
      previous = current;
      press(thumb, remaining < 0 ? (big ? "PageDown" : "ArrowLeft") : (big ? "PageUp" : "ArrowRight"));
      window.setTimeout(next, 0);
    })();
  }, true);
})();
