// Slate's only script besides Plotly: the page carries no inline script (the
// Content-Security-Policy forbids it), so what used to be inline lives here.
(function () {
  "use strict";

  // A select that submits its form, or opens the URL it holds, as soon as it changes.
  function wireSelects() {
    document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("select[data-open-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { window.location.assign(select.value); });
    });
  }

  // The one click handler of every chart rendered with navigate=True (charts/base.py): open
  // the URL in the clicked point's customdata (a URL, or a list starting with one); marks
  // without a URL do nothing. The pointer cursor over a linked mark says it opens something.
  function navigateOnClick(chart) {
    function target(event) {
      var data = event.points[0].customdata;
      return (Array.isArray(data) ? data[0] : data) || "";
    }
    function cursor(value) {
      chart.querySelectorAll(".nsewdrag").forEach(function (layer) {
        layer.style.cursor = value;
      });
    }
    chart.on("plotly_click", function (event) {
      var url = target(event);
      if (url) { window.location.assign(url); }
    });
    chart.on("plotly_hover", function (event) { cursor(target(event) ? "pointer" : ""); });
    chart.on("plotly_unhover", function () { cursor(""); });
  }

  // Every chart: its figure sits in a JSON block beside its div (charts.base.render).
  var chartsDrawn = false;
  function drawCharts() {
    if (chartsDrawn || !window.Plotly) { return; }
    chartsDrawn = true;
    document.querySelectorAll("script[type='application/json'][data-chart]").forEach(
      function (block) {
        var chart = document.getElementById(block.dataset.chart);
        if (!chart) { return; }
        var figure = JSON.parse(block.textContent);
        window.Plotly.newPlot(chart, figure.data, figure.layout, figure.config).then(function () {
          if (chart.hasAttribute("data-navigate")) { navigateOnClick(chart); }
        });
      }
    );
  }

  wireSelects();
  // Plotly comes in a deferred script of the page's head, after this one (base.html loads
  // slate.js first): deferred scripts run in order once the page is parsed, and
  // DOMContentLoaded fires after the last of them, so the tiles and tables paint before
  // Plotly is even parsed, and the charts are drawn as soon as it is there.
  if (document.readyState === "loading" || document.readyState === "interactive") {
    document.addEventListener("DOMContentLoaded", drawCharts);
    window.addEventListener("load", drawCharts);
  } else {
    drawCharts();
  }
})();
