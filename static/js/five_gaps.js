// Five-gap pages. dashboard.js draws the charts and wires the unit filter and the
// recompute; this adds two things to the item × gap matrix: a click on a cell opens
// that gap's page, and on a narrow screen the rows are labelled by item code only.
(function () {
  "use strict";

  var NARROW = 640; // px of chart width below which the item texts no longer fit

  var chart = document.getElementById("chart-gap-matrix");
  var links = document.getElementById("gap-matrix-links");
  if (!chart || !links) return;
  var urls = JSON.parse(links.textContent);

  function whenDrawn(el, fn) {
    if (el.getAttribute("data-rendered")) { fn(); return; }
    new MutationObserver(function (records, observer) {
      if (!el.getAttribute("data-rendered")) return;
      observer.disconnect();
      fn();
    }).observe(el, { attributes: true, attributeFilter: ["data-rendered"] });
  }

  function openGapOnClick() {
    chart.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var index = point && (point.pointIndex || point.pointNumber);
      if (!Array.isArray(index)) return; // a heat map cell is [row, column]
      var url = urls[index[1]];
      if (url) window.location.href = url;
    });
  }

  function compactOnNarrowScreens() {
    var meta = chart.layout && chart.layout.meta;
    if (!meta || !meta.compact_ticks || chart.clientWidth >= NARROW) return;
    window.Plotly.relayout(chart, {
      "yaxis.tickmode": "array",
      "yaxis.tickvals": chart.data[chart.data.length - 1].y,
      "yaxis.ticktext": meta.compact_ticks,
    });
    window.Plotly.restyle(chart, { "textfont.size": 9 });
  }

  whenDrawn(chart, function () {
    openGapOnClick();
    compactOnNarrowScreens();
  });
})();
