/* AG Grid cell renderers, looked up by name (never JavaScript-function strings: the grid would evaluate
   those, and the Content-Security-Policy has no 'unsafe-eval'). dashboard_app/views/components.py
   names them in the column definitions. */
(function () {
  "use strict";

  var grouped = new Intl.NumberFormat("en-US", {maximumFractionDigits: 6});

  window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};

  /* A number as the server rounded it; counts (cellRendererParams.grouped) with thousands separators.
     Sorting, filtering and the CSV export use the number itself. */
  window.dashAgGridComponentFunctions.NeoNumber = function (props) {
    var value = props.value;
    var text = "";
    if (typeof value === "number" && isFinite(value)) {
      text = props.grouped ? grouped.format(value) : String(value);
    } else if (value !== null && value !== undefined) {
      text = String(value);
    }
    return window.React.createElement("span", null, text);
  };
})();
