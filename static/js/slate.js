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

  // --- Chart data tables -------------------------------------------------------------------
  // Each chart's "Data table" toggle (a <details> that charts.base.render puts under the
  // chart) is filled, when first opened, with the chart's figures read from its JSON block:
  // one row per mark, with the mark's link (the URL in its customdata), so keyboard and
  // screen-reader users get the figures and the drill-down. Built with DOM calls only: no
  // string from the figure is ever parsed as HTML into the page.

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  function formatDate(value, format) {
    var match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
    if (!match) { return String(value); }
    var year = match[1], month = Number(match[2]) - 1, day = Number(match[3]);
    return format.replace(/%(-?)([a-zA-Z%])/g, function (all, dash, code) {
      switch (code) {
        case "Y": return year;
        case "b": return MONTHS[month].slice(0, 3);
        case "B": return MONTHS[month];
        case "m": return (month < 9 ? "0" : "") + (month + 1);
        case "d": return (dash || day > 9 ? "" : "0") + day;
        case "e": return String(day);
        case "%": return "%";
        default: return all;
      }
    });
  }

  // Numbers as the chart's hover shows them: the d3 formats Slate's templates use (",.0f",
  // ".1%", ",d"), else grouped thousands with at most two decimals.
  function formatNumber(value, spec) {
    var match = /^(,)?(?:\.(\d+))?([fd%])?$/.exec(spec || "");
    if (spec && match) {
      var digits = match[2] === undefined ? null : Number(match[2]);
      if (match[3] === "%") { return (value * 100).toFixed(digits === null ? 0 : digits) + "%"; }
      if (match[3] === "d") { digits = 0; }
      return new Intl.NumberFormat("en", {
        useGrouping: Boolean(match[1]),
        minimumFractionDigits: digits === null ? 0 : digits,
        maximumFractionDigits: digits === null ? 2 : digits
      }).format(value);
    }
    return new Intl.NumberFormat("en", { maximumFractionDigits: 2 }).format(value);
  }

  // Text as Plotly draws it: entities decoded, tags dropped, <br> a new line.
  function plainLines(markup) {
    var text = String(markup).replace(/<extra>[\s\S]*?<\/extra>/gi, "").replace(/<br\s*\/?>/gi, "\n");
    var parsed = new DOMParser().parseFromString("<body>" + text, "text/html");
    return parsed.body.textContent.split("\n").map(function (line) {
      return line.trim();
    }).filter(Boolean);
  }

  function plainText(markup) { return plainLines(markup).join(" "); }

  function at(values, index) { return Array.isArray(values) ? values[index] : values; }

  // A same-site URL from a mark's customdata (a URL, or a list starting with one).
  function markUrl(data) {
    var url = Array.isArray(data) ? data[0] : data;
    return typeof url === "string" && /^(\/(?!\/)|\?)/.test(url) ? url : "";
  }

  function axisOf(layout, trace, letter) {
    var ref = trace[letter + "axis"] || letter;
    return layout[letter + "axis" + ref.slice(1)] || {};
  }

  // A value as its axis labels it: a category's tick text, a date in the axis's hover format.
  function axisValue(axis, value) {
    if (value === null || value === undefined) { return ""; }
    if (Array.isArray(axis.tickvals) && Array.isArray(axis.ticktext)) {
      var index = axis.tickvals.indexOf(value);
      if (index >= 0) { return plainText(axis.ticktext[index]); }
    }
    if (axis.type === "date") { return formatDate(value, axis.hoverformat || "%-d %b %Y"); }
    if (typeof value === "number") {
      return (axis.tickprefix || "") + formatNumber(value) + (axis.ticksuffix || "");
    }
    return plainText(value);
  }

  function axisTitle(axis) {
    var title = axis.title;
    return plainText((title && typeof title === "object" ? title.text : title) || "");
  }

  function fillTemplate(template, point, layout, trace) {
    return template.replace(/%\{([^}:]+)(?::([^}]*))?\}/g, function (all, path, spec) {
      var value = point;
      path.replace(/\[(\d+)\]/g, ".$1").split(".").forEach(function (key) {
        value = value === null || value === undefined ? undefined : value[key];
      });
      if (value === null || value === undefined) { return ""; }
      if (typeof value === "number") { return formatNumber(value, spec); }
      if (path === "x" || path === "y") {
        var axis = axisOf(layout, trace, path);
        if (axis.type === "date") { return formatDate(value, spec || axis.hoverformat || "%-d %b %Y"); }
      }
      return String(value);
    });
  }

  function cell(tag, text, url) {
    var node = document.createElement(tag);
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = text || url;
      node.appendChild(link);
    } else {
      node.textContent = text;
    }
    return node;
  }

  function headerRow(labels) {
    var row = document.createElement("tr");
    labels.forEach(function (label) {
      var th = cell("th", label);
      th.scope = "col";
      row.appendChild(th);
    });
    return row;
  }

  // A heat map: its own grid, a row per y category, a column per x category.
  function heatmapTable(trace, layout) {
    var xAxis = axisOf(layout, trace, "x"), yAxis = axisOf(layout, trace, "y");
    var xs = trace.x || (trace.z[0] || []).map(function (_, i) { return i; });
    var ys = trace.y || trace.z.map(function (_, i) { return i; });
    var corner = [axisTitle(yAxis), axisTitle(xAxis)].filter(Boolean).join(" / ");
    var head = document.createElement("thead");
    head.appendChild(headerRow([corner].concat(xs.map(function (x) {
      return axisValue(xAxis, x);
    }))));
    if (!corner) {  // the corner names nothing: a plain cell, not an empty header
      head.firstChild.replaceChild(document.createElement("td"), head.firstChild.firstChild);
    }
    var body = document.createElement("tbody");
    ys.forEach(function (y, r) {
      var row = document.createElement("tr");
      var th = cell("th", axisValue(yAxis, y));
      th.scope = "row";
      row.appendChild(th);
      xs.forEach(function (_, c) {
        var text = at(at(trace.text, r), c);
        var z = (trace.z[r] || [])[c];
        var data = at(at(trace.customdata, r), c);
        var url = markUrl(data);
        var shown = text !== undefined && text !== null && text !== "" ? plainText(text)
          : (typeof z === "number" ? formatNumber(z) : "");
        if (!shown && url) {  // a linked cell without a figure: named by its hover's first line
          var point = { x: xs[c], y: y, z: z, text: text, customdata: data };
          shown = trace.hovertemplate
            ? plainLines(fillTemplate(at(trace.hovertemplate, r), point, layout, trace))[0] || "Open"
            : "Open";
        }
        row.appendChild(cell("td", shown, url));
      });
      body.appendChild(row);
    });
    return [head, body];
  }

  // Any other chart: a row per mark; its label (the hover's first line, or its category)
  // carries the mark's link, the rest of the hover (or its value) follows.
  function marksTable(traces, layout) {
    var rows = [];
    traces.forEach(function (trace) {
      var xs = trace.x || [], ys = trace.y || [];
      var horizontal = trace.orientation === "h";
      for (var i = 0; i < Math.max(xs.length, ys.length); i += 1) {
        var point = {
          x: xs[i], y: ys[i], text: at(trace.text, i), customdata: at(trace.customdata, i),
          marker: { size: at((trace.marker || {}).size, i) }
        };
        if ((point.x === null || point.x === undefined) && (point.y === null || point.y === undefined)) {
          continue;
        }
        var label, details;
        if (trace.hovertemplate) {
          var lines = plainLines(fillTemplate(at(trace.hovertemplate, i), point, layout, trace));
          label = lines[0] || "";
          details = lines.slice(1).join("; ");
        } else {
          var category = horizontal ? "y" : "x", measure = horizontal ? "x" : "y";
          var measureAxis = axisOf(layout, trace, measure);
          label = axisValue(axisOf(layout, trace, category), point[category]);
          details = (axisTitle(measureAxis) || trace.name || "Value") + ": " +
            axisValue(measureAxis, point[measure]);
          if (point.text !== undefined && point.text !== null && point.text !== "") {
            details += " (" + plainText(point.text) + ")";
          }
        }
        rows.push([plainText(trace.name || ""), label, details, markUrl(point.customdata)]);
      }
    });
    var named = rows.some(function (row) { return row[0] && row[0] !== rows[0][0]; });
    var head = document.createElement("thead");
    head.appendChild(headerRow((named ? ["Series"] : []).concat(["Item", "Figures"])));
    var body = document.createElement("tbody");
    rows.forEach(function (values) {
      var row = document.createElement("tr");
      if (named) { row.appendChild(cell("td", values[0])); }
      var label = cell("th", values[1], values[3]);
      label.scope = "row";
      row.appendChild(label);
      row.appendChild(cell("td", values[2]));
      body.appendChild(row);
    });
    return rows.length ? [head, body] : null;
  }

  function chartTable(figure, title) {
    var layout = figure.layout || {};
    var traces = (figure.data || []).filter(function (trace) {
      return trace.hoverinfo !== "skip" && trace.hoverinfo !== "none" && trace.visible !== false;
    });
    var parts = [];
    traces.filter(function (trace) { return trace.type === "heatmap"; }).forEach(function (trace) {
      if (trace.z && trace.z.length) { parts.push(heatmapTable(trace, layout)); }
    });
    var marks = marksTable(traces.filter(function (trace) { return trace.type !== "heatmap"; }), layout);
    if (marks) { parts.push(marks); }
    if (!parts.length) {
      var empty = document.createElement("p");
      empty.className = "chart-data-empty muted";
      empty.textContent = "This chart shows no data.";
      return [empty];
    }
    return parts.map(function (sections) {
      var wrap = document.createElement("div");
      wrap.className = "table-wrap";
      var table = document.createElement("table");
      table.className = "data compact";
      var caption = document.createElement("caption");
      caption.className = "visually-hidden";
      caption.textContent = title;
      table.appendChild(caption);
      sections.forEach(function (section) { table.appendChild(section); });
      wrap.appendChild(table);
      return wrap;
    });
  }

  function wireChartData(toggle, block) {
    toggle.addEventListener("toggle", function () {
      if (!toggle.open || toggle.hasAttribute("data-built")) { return; }
      toggle.setAttribute("data-built", "");
      var figure = JSON.parse(block.textContent);
      var title = axisTitle(figure.layout || {}) || "Chart data";
      chartTable(figure, title).forEach(function (node) { toggle.appendChild(node); });
      labelScrollRegions();
    });
  }

  // --- Tables wider than the screen -------------------------------------------------------
  // A table that scrolls in its .table-wrap (sideways on a phone, or down in a chart's data
  // box) becomes a labelled region in the tab order, so a keyboard can scroll it; one that
  // fits is left out of the tab order.
  function regionLabel(wrap) {
    var table = wrap.querySelector("table");
    var caption = table && table.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    if (table && table.getAttribute("aria-label")) { return table.getAttribute("aria-label"); }
    for (var node = wrap; node && node !== document.body; node = node.parentElement) {
      for (var sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        var headings = /^H[1-6]$/.test(sibling.tagName) ? [sibling]
          : sibling.querySelectorAll("h1, h2, h3, h4, legend, summary");
        if (headings.length) { return headings[headings.length - 1].textContent.trim().replace(/\s+/g, " "); }
      }
    }
    return "Table";
  }

  function labelScrollRegions() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1 ||
        wrap.scrollHeight > wrap.clientHeight + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", regionLabel(wrap) + " (scrolls)");
        wrap.setAttribute("data-scroll-region", "");
      } else if (!scrolls && wrap.hasAttribute("data-scroll-region")) {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  }

  // A data table a page did not wrap gets its .table-wrap here, so it scrolls in its own box.
  function wrapBareTables() {
    document.querySelectorAll("main table.data").forEach(function (table) {
      if (table.parentElement.classList.contains("table-wrap")) { return; }
      var wrap = document.createElement("div");
      wrap.className = "table-wrap";
      table.parentElement.insertBefore(wrap, table);
      wrap.appendChild(table);
    });
  }

  function watchScrollRegions() {
    var pending = false;
    wrapBareTables();
    labelScrollRegions();
    window.addEventListener("resize", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        labelScrollRegions();
      });
    });
  }

  // Every chart: its figure sits in a JSON block beside its div (charts.base.render).
  // The data tables need no Plotly: they are wired at once, so one opened before Plotly has
  // loaded (or without it) still fills.
  function wireChartTables() {
    document.querySelectorAll("script[type='application/json'][data-chart]").forEach(
      function (block) {
        var toggle = document.querySelector("details[data-chart-data='" + block.dataset.chart + "']");
        if (toggle) { wireChartData(toggle, block); }
      }
    );
  }

  function drawCharts() {
    document.querySelectorAll("script[type='application/json'][data-chart]").forEach(
      function (block) {
        var chart = document.getElementById(block.dataset.chart);
        if (!chart || !window.Plotly) { return; }
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

  // A review run's status page while the run is pending or running: ask the server every few
  // seconds and reload only when the status changed. No timed reload of an unchanged page
  // (WCAG 2.2.1, which a meta refresh fails); without script the "Reload now" link remains.
  function followRunStatus() {
    var section = document.querySelector("[data-poll-seconds]");
    if (!section || !window.fetch) { return; }
    var wait = Number(section.dataset.pollSeconds) * 1000;
    function check() {
      window.fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html")
            .getElementById(section.id);
          if (!fresh || fresh.dataset.status !== section.dataset.status) {
            window.location.reload();
          } else {
            setTimeout(check, wait);
          }
        })
        .catch(function () { setTimeout(check, wait); });
    }
    setTimeout(check, wait);
  }

  wireSelects();
  wireChartTables();
  followRunStatus();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { afterFirstPaint(loadPlotly); });
  } else {
    afterFirstPaint(loadPlotly);
  }
  watchScrollRegions();
})();
