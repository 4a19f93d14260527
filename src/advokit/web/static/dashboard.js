/* advokit dashboard: draws the Plotly figures embedded in the page as JSON. No other behaviour
   depends on JavaScript: every control is a plain form or link. */
(function () {
  "use strict";

  function draw() {
    var nodes = document.querySelectorAll("[data-figure]");
    if (!nodes.length || typeof window.Plotly === "undefined") { return; }
    nodes.forEach(function (node) {
      var source = document.getElementById(node.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(node, figure.data, figure.layout, {
        responsive: true, displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]
      }).then(function () { node.setAttribute("data-drawn", "true"); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
