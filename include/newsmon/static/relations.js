// The explorer's relations charts: uPlot (vendored, served by the plugin) over the series the page embeds as
// JSON. Without script the server-rendered SVG charts stay; with it each is replaced by an interactive one with
// hover values, and a click on a day opens that day's relations with their sentences.
(function () {
  "use strict";
  var source = document.getElementById("relations-data");
  if (!source || typeof uPlot === "undefined") return;
  var d = JSON.parse(source.textContent);
  var plots = {};
  function count(u, v) { return v == null ? "–" : v; }
  function pct(u, v) { return v == null ? "–" : Math.round(v * 100) + "%"; }

  function draw(box, series, data, yRange, fragment) {
    var opts = {
      width: Math.min(900, box.clientWidth - 12 || 900),
      height: box.dataset.kind === "share" ? 200 : 220,
      cursor: { points: { size: 8 } },
      scales: { x: { time: true }, y: { range: yRange } },
      // whole days on x, whole stories (or percentages) on y
      axes: [
        { incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400], values: "{MMM} {DD}" },
        box.dataset.kind === "share"
          ? { incrs: [0.25], values: function (u, vals) { return vals.map(function (v) { return Math.round(v * 100) + "%"; }); } }
          : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }
      ],
      series: [{ value: "{YYYY}-{MM}-{DD}" }].concat(series)
    };
    box.classList.add("js-chart");
    var plot = new uPlot(opts, [d.x].concat(data), box);
    plot.over.addEventListener("click", function () {
      var i = plot.cursor.idx;
      if (i != null && d.links[i]) window.location.href = d.links[i] + fragment(plot, i);
    });
    plot.over.style.cursor = "pointer";
    box.setAttribute("data-ready", "1");
    return plot;
  }

  d.directions.forEach(function (dir) {
    var box = document.getElementById("chart-" + dir.id);
    if (!box) return;
    var series = dir.series.map(function (s) {
      return { label: s.label, stroke: s.color, width: 2, value: count, points: { show: true, size: 6, fill: s.color } };
    });
    var data = dir.series.map(function (s) { return s.values; });
    // a click goes to the day, at the class whose point is nearest the cursor (a class with relations that day)
    var fragment = function (plot, i) {
      var best = null, bestDist = 1e9, top = plot.cursor.top;
      dir.series.forEach(function (s) {
        var dist = Math.abs(plot.valToPos(s.values[i], "y") - top);
        if (s.values[i] > 0 && dist < bestDist) { best = s; bestDist = dist; }
      });
      return best ? "#rel-" + dir.id + "-" + best["class"] : "";
    };
    plots[dir.id] = draw(box, series, data, function (u, lo, hi) { return [0, Math.max(2, hi * 1.15)]; }, fragment);
  });

  var shareBox = document.getElementById("chart-share");
  if (shareBox) {
    plots.share = draw(
      shareBox,
      [
        { label: "cooperation share", stroke: "#1d4ed8", width: 2, value: pct, points: { show: true, size: 7 } },
        { label: "28 days before", stroke: "#9467bd", dash: [4, 3], value: pct }
      ],
      [d.share, d.share_28d],
      function () { return [0, 1]; },
      function () { return ""; }
    );
  }
  window.newsmonRelationPlots = plots; // for the browser tests: where a day is on each canvas
  window.newsmonRelations = d;
})();
