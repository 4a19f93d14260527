/* advokit dashboard: draws the Plotly figures embedded in the page as JSON, fits them to narrow screens,
   and folds the open-mode notice and the view controls on a phone. No other behaviour depends on
   JavaScript: every control is a plain form or link, and without it the folded parts simply stay open. */
(function () {
  "use strict";

  var NARROW_SCREEN = "(max-width: 640px)";

  function merge(base, extra) {
    var out = {};
    Object.keys(base).forEach(function (k) { out[k] = base[k]; });
    Object.keys(extra || {}).forEach(function (k) {
      var a = out[k], b = extra[k];
      var objects = a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b);
      out[k] = objects ? merge(a, b) : b;
    });
    return out;
  }

  function isNarrow(node, figure) {
    return node.clientWidth < (figure.narrow_px || 560);
  }

  function plot(node, figure) {
    var narrow = isNarrow(node, figure);
    var layout = narrow ? merge(figure.layout, figure.narrow) : figure.layout;
    node.setAttribute("data-narrow", narrow ? "true" : "false");
    // On a narrow chart the mode bar would cover the title: leave it out there (zoom by touch still works).
    return window.Plotly.react(node, figure.data, layout, {
      responsive: true, displaylogo: false, displayModeBar: narrow ? false : "hover",
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]
    });
  }

  function draw() {
    var nodes = document.querySelectorAll("[data-figure]");
    if (!nodes.length || typeof window.Plotly === "undefined") { return; }
    var drawn = [];
    nodes.forEach(function (node) {
      var source = document.getElementById(node.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      drawn.push([node, figure]);
      plot(node, figure).then(function () { node.setAttribute("data-drawn", "true"); });
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        drawn.forEach(function (pair) {
          var wasNarrow = pair[0].getAttribute("data-narrow") === "true";
          if (isNarrow(pair[0], pair[1]) !== wasNarrow) { plot(pair[0], pair[1]); }
        });
      }, 150);
    });
  }

  // <details data-fold-narrow open>: open on a wide screen, folded on a phone so the content comes first.
  function fold() {
    if (!window.matchMedia) { return; }
    var query = window.matchMedia(NARROW_SCREEN);
    var apply = function () {
      document.querySelectorAll("details[data-fold-narrow]").forEach(function (d) { d.open = !query.matches; });
    };
    if (query.matches) { apply(); }
    if (query.addEventListener) { query.addEventListener("change", apply); }
  }

  function start() { fold(); draw(); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
