// The HTML report's script: charts with uPlot (embedded before this
// script) from window.PERFCASE, which html.go writes, and the tables'
// sorting and filtering. When every chart has drawn, <html> gets
// data-rendered="ok" and data-charts=N; a script error sets data-error
// (see the template), which the browser test checks.
(function () {
  "use strict";
  var data = window.PERFCASE;
  var root = document.documentElement;
  var started = performance.now();

  // ---- formatting -------------------------------------------------------

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // clock shows a chart time (the run's wall clock, see html.go) as
  // hh:mm:ss.
  function clock(ts) {
    var d = new Date(ts * 1000);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function elapsed(s) {
    s = Math.max(0, Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }

  function num(v, dec) {
    if (v == null || isNaN(v)) return "—";
    return v.toLocaleString("en-US", { minimumFractionDigits: dec, maximumFractionDigits: dec });
  }

  function auto(v) {
    if (v == null || isNaN(v)) return "—";
    var a = Math.abs(v);
    return num(v, a >= 1000 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a === 0 ? 0 : 3);
  }

  function bytes(v) {
    if (v == null || isNaN(v)) return "—";
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return num(v, i === 0 || Math.abs(v) >= 100 ? 0 : 1) + " " + units[i];
  }

  // ---- charts -----------------------------------------------------------

  var COLORS = {
    tps: "#2563eb", error: "#dc2626", avg: "#ea580c", vus: "#7c3aed", rec: "#0d9488", sent: "#64748b",
    success: "#16a34a", timeout: "#dc2626", refused: "#9333ea", check: "#d97706", parse: "#0891b2", other: "#6b7280",
  };
  var TP99_COLORS = ["#b91c1c", "#0f766e", "#a16207", "#4338ca", "#be185d", "#15803d", "#6d28d9", "#0369a1"];
  var MARKS = { stage: "#64748b", peak: "#9333ea", sla: "#dc2626" };

  // plots are the charts, uPlot instances, also as window.perfcaseCharts
  // for a console or a test.
  var plots = window.perfcaseCharts = [];
  var syncing = false;
  var drawn = 0, expected = 0;

  function finished() {
    root.setAttribute("data-charts", String(plots.length));
    root.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
    root.setAttribute("data-rendered", "ok");
  }

  function onFirstDraw(u) {
    if (u._perfcaseDrawn) return;
    u._perfcaseDrawn = true;
    drawn++;
    if (drawn === expected) finished();
  }

  // drawMarkers draws the stage starts, peaks and SLA triggers: a dashed
  // line across the plot and its label at the top, on the first of three
  // rows where it does not overlap another, left of its line near the
  // right edge; a label with no room is left out (hover shows the time).
  function drawMarkers(u) {
    var ms = data.markers || [];
    if (!ms.length) return;
    var ctx = u.ctx, r = uPlot.pxRatio, bb = u.bbox;
    var rows = [[], [], []];
    ctx.save();
    ctx.font = (11 * r) + "px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    for (var i = 0; i < ms.length; i++) {
      var m = ms[i];
      var x = Math.round(u.valToPos(m.x, "x", true));
      if (x < bb.left - 1 || x > bb.left + bb.width + 1) continue;
      var color = MARKS[m.kind] || MARKS.stage;
      ctx.strokeStyle = color;
      ctx.lineWidth = r * (m.kind === "stage" ? 1 : 1.5);
      ctx.setLineDash(m.kind === "stage" ? [4 * r, 4 * r] : [2 * r, 2 * r]);
      ctx.beginPath();
      ctx.moveTo(x, bb.top);
      ctx.lineTo(x, bb.top + bb.height);
      ctx.stroke();
      var w = ctx.measureText(m.label).width + 4 * r;
      var left = x + 2 * r;
      if (left + w > bb.left + bb.width) left = x - 2 * r - w;
      for (var row = 0; row < rows.length; row++) {
        var free = rows[row].every(function (span) { return left + w + 4 * r < span[0] || left > span[1] + 4 * r; });
        if (!free) continue;
        rows[row].push([left, left + w]);
        var y = bb.top + (2 + 15 * row) * r;
        ctx.fillStyle = "rgba(255,255,255,0.85)";
        ctx.fillRect(left, y, w, 14 * r);
        ctx.fillStyle = color;
        ctx.fillText(m.label, left + 2 * r, y + r);
        break;
      }
    }
    ctx.restore();
  }

  // syncZoom gives every time chart the x range one was zoomed to.
  function syncZoom(u, key) {
    if (key !== "x" || syncing || !u._perfcaseTime) return;
    syncing = true;
    var min = u.scales.x.min, max = u.scales.x.max;
    plots.forEach(function (o) {
      if (o !== u && o._perfcaseTime) o.setScale("x", { min: min, max: max });
    });
    syncing = false;
  }

  function width(el) {
    return Math.max(300, Math.floor(el.clientWidth || el.parentNode.clientWidth || 600));
  }

  var HEIGHT = 240;

  // fromZero starts a y scale at 0: every charted quantity is a count, a
  // rate or a time.
  function fromZero(u, min, max) {
    return uPlot.rangeNum(0, max > 0 ? max : 1, 0.1, true);
  }

  // timeChart charts series of src (data, or a picked series: {x,
  // series}) against time; each spec is [key, label, formatter, scale].
  function timeChart(el, specs, axes, src) {
    src = src || data;
    var present = specs.filter(function (s) { return src.series[s[0]]; });
    if (!present.length) return null;
    var start = data.start;
    var series = [{
      label: "time",
      value: function (u, ts) { return ts == null ? "—" : clock(ts) + " (+" + elapsed(ts - start) + ")"; },
    }];
    var cols = [src.x];
    present.forEach(function (s) {
      series.push({
        label: s[1], scale: s[3] || "y", stroke: COLORS[s[0]], width: 1.5, spanGaps: false,
        points: { show: false },
        value: function (u, v) { return v == null ? "—" : s[2](v); },
      });
      cols.push(src.series[s[0]]);
    });
    var opts = {
      width: width(el), height: HEIGHT,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "UTC"); },
      cursor: { sync: { key: "perfcase" }, drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { range: fromZero }, n: { range: fromZero }, f: { range: fromZero } },
      series: series,
      axes: [timeAxis()].concat(axes),
      legend: { live: true },
      hooks: { draw: [drawMarkers, onFirstDraw], setScale: [syncZoom] },
    };
    var u = new uPlot(opts, cols, el);
    u._perfcaseTime = true;
    return u;
  }

  // timeAxis labels time in whole seconds on the 24-hour clock: hh:mm
  // when the ticks are minutes apart or more, else hh:mm:ss.
  function timeAxis() {
    return {
      incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400],
      values: function (u, splits, ax, space, incr) {
        return splits.map(function (ts) { var c = clock(ts); return incr >= 60 ? c.slice(0, 5) : c; });
      },
    };
  }

  // axisSize fits a y axis to its longest label (uPlot's own recipe).
  function axisSize(u, values, i, cycle) {
    var axis = u.axes[i];
    if (cycle > 1) return axis._size;
    var size = axis.ticks.size + axis.gap;
    var longest = (values || []).reduce(function (a, v) { return v.length > a.length ? v : a; }, "");
    if (longest !== "") {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / uPlot.pxRatio;
    }
    return Math.ceil(size) + 4;
  }

  function yAxis(fmt, scale, side) {
    var a = { scale: scale || "y", size: axisSize, values: function (u, vals) { return vals.map(fmt); } };
    if (side) { a.side = side; a.grid = { show: false }; }
    return a;
  }

  // SHORT names the response-time ranges on the axis, where the full
  // names would run into each other.
  var SHORT = { "0~50ms": "<50ms", "50~200ms": "50–200", "200~500ms": "200–500", "500ms~1s": "0.5–1s" };

  function rangesChart(el) {
    var rg = data.ranges;
    if (!rg || !rg.names || !rg.names.length) return null;
    var total = rg.counts.reduce(function (a, b) { return a + (b || 0); }, 0);
    var xs = rg.names.map(function (_, i) { return i; });
    var opts = {
      width: width(el), height: HEIGHT,
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false, range: [-0.5, rg.names.length - 0.5] } },
      series: [
        { label: "range", value: function (u, i) { return i == null ? "—" : rg.names[i]; } },
        {
          label: "requests", stroke: COLORS.tps, fill: "rgba(37,99,235,0.35)", width: 1,
          paths: uPlot.paths.bars({ size: [0.7, 80] }), points: { show: false },
          value: function (u, v) { return v == null ? "—" : num(v, 0) + " (" + (total ? num(100 * v / total, 1) : "0") + "%)"; },
        },
      ],
      axes: [
        { splits: function () { return xs; }, values: function (u, vals) { return vals.map(function (i) { return SHORT[rg.names[i]] || rg.names[i] || ""; }); }, grid: { show: false } },
        yAxis(auto),
      ],
      hooks: { draw: [onFirstDraw] },
    };
    return new uPlot(opts, [xs, rg.counts], el);
  }

  // PICK_UNITS names what a picked series counts per second.
  var PICK_UNITS = { "case": "requests/s", request: "requests/s", transaction: "transactions/s", passes: "passes/s" };

  // picked is the series the reader picked ({c: case, s: series} of
  // data.picks), or null for the whole run.
  var picked = null;

  function chart(el) {
    var p = picked;
    switch (el.getAttribute("data-chart")) {
      case "tps":
        if (p) {
          return timeChart(el, [["tps", PICK_UNITS[p.s.kind] || "samples/s", auto], ["error", "failed/s", auto]], [yAxis(auto)],
            { x: p.c.x, series: { tps: p.s.tps, error: p.s.error } });
        }
        return timeChart(el, [["tps", "requests/s", auto], ["error", "failed/s", auto]], [yAxis(auto)]);
      case "avg":
        if (p) {
          COLORS["tp99:0"] = TP99_COLORS[0];
          return timeChart(el, [["avg", "avg ms", auto], ["tp99:0", "tp99 ms", auto]], [yAxis(auto)],
            { x: p.c.x, series: { avg: p.s.avg, "tp99:0": p.s.tp99 } });
        }
        var specs = [["avg", "avg ms", auto]];
        (data.tp99 || []).forEach(function (c, i) {
          var key = "tp99:" + i;
          data.series[key] = c.values;
          COLORS[key] = TP99_COLORS[i % TP99_COLORS.length];
          specs.push([key, data.tp99.length > 1 ? "tp99 " + c.case : "tp99 ms", auto]);
        });
        return timeChart(el, specs, [yAxis(auto)]);
      case "vus":
        return timeChart(el, [["vus", "VUs", auto]], [yAxis(auto)]);
      case "bandwidth":
        return timeChart(el, [["rec", "received/s", bytes], ["sent", "sent/s", bytes]], [yAxis(bytes)]);
      case "outcomes":
        return timeChart(el, [
          ["success", "success", auto, "n"], ["timeout", "timeout", auto, "f"], ["refused", "refused", auto, "f"],
          ["check", "check failed", auto, "f"], ["parse", "parse failed", auto, "f"], ["other", "other", auto, "f"],
        ], [yAxis(auto, "n"), yAxis(auto, "f", 1)]);
      case "ranges":
        return rangesChart(el);
    }
    return null;
  }

  function renderCharts() {
    if (!data || typeof uPlot === "undefined") { finished(); return; }
    data.series = data.series || {};
    var els = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
    var made = [];
    els.forEach(function (el) {
      var hasData = el.getAttribute("data-chart") === "ranges" ? data.ranges : data.x && data.x.length;
      if (!hasData) { el.closest("figure").remove(); return; }
      made.push(el);
    });
    expected = made.length;
    if (!expected) { finished(); return; }
    made.forEach(function (el) {
      var u = chart(el);
      if (u) plots.push(u);
      else { el.closest("figure").remove(); expected--; }
    });
    if (drawn >= expected) finished();
    var timer;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        plots.forEach(function (u) { u.setSize({ width: width(u.root.parentNode), height: HEIGHT }); });
      }, 100);
    });
  }

  // pick redraws the throughput and response-time charts with the series
  // the select names ("case:series" in data.picks, "" the whole run),
  // and says which in their captions; <html> gets data-picked.
  function pick(select) {
    var v = select.value.split(":");
    var c = data.picks[+v[0]], s = c && c.series[+v[1]];
    picked = select.value && s ? { c: c, s: s } : null;
    ["tps", "avg"].forEach(function (key) {
      var el = document.querySelector('[data-chart="' + key + '"]');
      if (!el) return;
      var i = plots.findIndex(function (u) { return u.root.parentNode === el; });
      if (i >= 0) plots[i].destroy();
      var u = chart(el);
      if (u) u._perfcaseDrawn = true;
      if (u && i >= 0) plots[i] = u;
      else if (u) plots.push(u);
      else if (i >= 0) plots.splice(i, 1);
      var cap = el.closest("figure").querySelector("figcaption small");
      if (!cap.hasAttribute("data-run")) cap.setAttribute("data-run", cap.textContent);
      cap.textContent = picked ? select.options[select.selectedIndex].text + (c.step > 1 ? ", in buckets of " + c.step + " s" : "")
        : cap.getAttribute("data-run");
    });
    root.setAttribute("data-picked", select.value);
  }

  function pickable() {
    var select = document.getElementById("series-pick");
    if (!select || !data || !data.picks || typeof uPlot === "undefined") return;
    select.addEventListener("change", function () { pick(select); });
  }

  // ---- tables -----------------------------------------------------------

  function sortable(table) {
    var body = table.querySelector("tbody.requests");
    if (!body || body.rows.length < 2) return;
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var desc = th.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col], c;
          if (x.hasAttribute("data-v")) c = parseFloat(x.getAttribute("data-v")) - parseFloat(y.getAttribute("data-v"));
          else c = x.textContent.localeCompare(y.textContent);
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function filterable(input) {
    var body = input.closest(".case").querySelector("tbody.requests");
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(body.rows, function (r) {
        r.hidden = q !== "" && r.cells[0].textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  }

  document.querySelectorAll("table.stats").forEach(sortable);
  document.querySelectorAll("input.filter").forEach(filterable);
  renderCharts();
  pickable();
})();
