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
  function drawCharts() {
    if (!window.Plotly) { return; }
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

  // Plotly (1.4 MB) must not hold up the first paint of the tiles and tables: a chart page
  // only preloads it (<link rel="preload" data-plotly> in its head, fetched in parallel,
  // not run), and this runs it once the page has painted, then draws the charts. A frame
  // callback runs just before the next paint; a task queued from it runs after that paint.
  function loadPlotly() {
    if (window.Plotly) { drawCharts(); return; }
    var link = document.querySelector("link[data-plotly]");
    if (!link || document.querySelector("script[data-plotly]")) { return; }
    var script = document.createElement("script");
    script.src = link.href;
    script.setAttribute("data-plotly", "");
    script.addEventListener("load", drawCharts);
    document.head.appendChild(script);
  }

  function afterFirstPaint(callback) {
    if (document.hidden) { setTimeout(callback, 0); return; }  // no frames in a hidden tab
    window.requestAnimationFrame(function () { setTimeout(callback, 0); });
  }

  wireSelects();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { afterFirstPaint(loadPlotly); });
  } else {
    afterFirstPaint(loadPlotly);
  }
})();
