/* advokit dashboard: draws the Plotly figures embedded in the page as JSON, fits them to narrow screens,
   folds the open-mode notice and the view controls on a phone, and scrolls the phone's nav to the current section. No other behaviour depends on
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

  // Plotly does not wrap text: break a long title or legend entry into lines of at most `chars` characters.
  function wrap(text, chars) {
    if (typeof text !== "string" || text.length <= chars) { return text; }
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  function narrowed(node, figure) {
    var layout = merge(figure.layout, figure.narrow);
    var width = node.clientWidth;
    if (layout.title && layout.title.text) {
      // across the whole chart (not only above the plot area), with the top margin made for its lines
      var text = wrap(layout.title.text, Math.floor((width - 16) / 7.4));
      var lines = text.split("<br>").length;
      // (Plotly places a top-anchored title by its first line: each further line needs room above too)
      var above = 6 + 9 * (lines - 1);
      layout.title = merge(layout.title, {text: text, xref: "container", x: 0, pad: {l: 4, t: above, b: 0},
                                          yref: "container", y: 1, yanchor: "top", automargin: false});
      layout.margin = merge(layout.margin, {t: 18 + 17 * lines + (above - 6)});
    }
    var data = figure.data.map(function (trace) {
      return trace.name ? merge(trace, {name: wrap(trace.name, Math.floor((width - 70) / 6.4))}) : trace;
    });
    return [data, layout];
  }

  function plot(node, figure) {
    var narrow = isNarrow(node, figure);
    var shaped = narrow ? narrowed(node, figure) : [figure.data, figure.layout];
    var data = shaped[0], layout = shaped[1];
    node.setAttribute("data-narrow", narrow ? "true" : "false");
    // On a narrow chart the mode bar would cover the title: leave it out there (zoom by touch still works).
    return window.Plotly.react(node, data, layout, {
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

  // On a phone the main nav scrolls sideways: bring the current section's link into view.
  function showSection() {
    var nav = document.querySelector(".site-header nav");
    var current = nav && nav.querySelector('a[aria-current="page"]');
    if (!current || nav.scrollWidth <= nav.clientWidth) { return; }
    var box = nav.getBoundingClientRect(), link = current.getBoundingClientRect();
    if (link.right > box.right) { nav.scrollLeft += link.right - box.right + 8; }
    else if (link.left < box.left) { nav.scrollLeft -= box.left - link.left + 8; }
  }

  function start() { fold(); showSection(); draw(); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
