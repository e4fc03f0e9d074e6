// The report service's script: it draws the trend charts with uPlot
// (loaded before it) from the page's JSON, and asks before a deletion.
// When it is done, <html> gets data-rendered="ok" and data-charts=N; a
// script error sets data-error, which the browser test checks.
window.onerror = function (msg, src, line) {
  document.documentElement.setAttribute("data-error", msg + " (line " + line + ")");
};

document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.documentElement;

  document.querySelectorAll("form.confirm").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm("Delete this run and everything stored with it?")) e.preventDefault();
    });
  });

  var drawn = 0;
  var el = document.getElementById("trend-data");
  if (el) {
    var d = JSON.parse(el.textContent);
    var fmt = function (v) {
      if (v == null) return "—";
      var a = Math.abs(v);
      return v.toLocaleString("en-US", { maximumFractionDigits: a >= 100 ? 1 : a >= 1 ? 2 : 3 });
    };
    document.querySelectorAll(".chart[data-metric]").forEach(function (box) {
      var ys = d[box.getAttribute("data-metric")].map(function (v) { return v == null ? null : v; });
      var data = [d.x, ys];
      var series = [{ label: "run", value: function (u, v, si, i) { return i == null ? "—" : d.runs[i].slice(0, 8) + " " + new Date(v * 1000).toISOString().slice(0, 16).replace("T", " "); } },
        { label: box.getAttribute("data-title"), stroke: "#2563eb", width: 2, points: { show: true, size: 6 }, value: function (u, v) { return fmt(v); } }];
      if (d.baseline >= 0 && ys[d.baseline] != null) {
        var b = ys[d.baseline];
        data.push(d.x.map(function () { return b; }));
        series.push({ label: "baseline", stroke: "#dc2626", width: 1.5, dash: [6, 4], points: { show: false }, value: function () { return fmt(b); } });
      }
      var title = document.createElement("h3");
      title.textContent = box.getAttribute("data-title");
      box.appendChild(title);
      new uPlot({ width: Math.max(320, box.clientWidth - 16), height: 260, series: series,
        scales: { x: { time: true } }, axes: [{}, { size: 60 }], cursor: { points: { size: 8 } } }, data, box);
      drawn++;
    });
  }
  root.setAttribute("data-charts", String(drawn));
  root.setAttribute("data-rendered", "ok");
});
