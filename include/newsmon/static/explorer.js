// The explorer's interactive chart: uPlot (vendored, served by the plugin) over the series the page embeds as
// JSON. Without script the server-rendered SVG stays; with it, the SVG is hidden and uPlot shows hover values
// (legend), the baseline band, spikes, and a click on a day opens its day view.
(function () {
  "use strict";
  var box = document.getElementById("chart");
  var source = document.getElementById("series-data");
  if (!box || !source || typeof uPlot === "undefined") return;
  var d = JSON.parse(source.textContent);
  var spikeStories = d.stories.map(function (v, i) { return d.spike[i] ? v : null; });
  var opts = {
    width: Math.min(900, box.clientWidth - 12 || 900),
    height: 300,
    cursor: { points: { size: 8 } },
    scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } } },
    series: [
      {},
      { label: d.key + " stories", stroke: "#1d4ed8", width: 2, value: function (u, v) { return v == null ? "–" : v; } },
      { label: "usual low", stroke: "rgba(148,103,189,0.4)", width: 1 },
      { label: "usual high", stroke: "rgba(148,103,189,0.4)", width: 1 },
      { label: "baseline", stroke: "#9467bd", dash: [4, 3], value: function (u, v) { return v == null ? "–" : v.toFixed(1); } },
      { label: "spike", stroke: "transparent", points: { show: true, size: 12, stroke: "#b42318", width: 3, fill: "#fff" } }
    ],
    bands: [{ series: [3, 2], fill: "rgba(148,103,189,0.15)" }]
  };
  var data = [d.x, d.stories, d.lo, d.hi, d.mean, spikeStories];
  box.classList.add("js-chart");
  var plot = new uPlot(opts, data, box);
  plot.over.addEventListener("click", function () {
    var i = plot.cursor.idx;
    if (i != null && d.links[i]) window.location.href = d.links[i];
  });
  plot.over.style.cursor = "pointer";
  window.newsmonPlot = plot; // for the browser tests: where a day is on the canvas
  window.newsmonSeries = d;
  box.setAttribute("data-ready", "1");
})();
