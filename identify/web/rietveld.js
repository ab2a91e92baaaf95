// The xrdid report's whole-pattern fit pictures (uPlot): observed, calculated, background and
// difference curves, a row of reflection ticks per candidate (hkl on hover), zoom by dragging
// across the plot (double-click or "reset zoom" to see all again), candidates on and off.
// Reads each <figure class="rietveld">'s JSON ({x, obs, cands: [{label, id, colour, calc, bg,
// refl: [[2θ, h, k, l, d, I]]}]}); every text goes in as text, never as markup.
(function () {
  "use strict";
  var plots = [];
  window.xrdidRietveld = plots;

  function extent(a) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < a.length; i++) {
      if (a[i] < lo) lo = a[i];
      if (a[i] > hi) hi = a[i];
    }
    return [lo, hi];
  }

  function build(fig) {
    var data = JSON.parse(fig.querySelector("script.rv-data").textContent);
    var box = fig.querySelector(".rv-plot");
    var tip = fig.querySelector(".rv-tip");
    var cands = data.cands;
    var K = cands.length;
    var obs = extent(data.obs);
    var bottom = Math.min(0, obs[0]);
    var row = 0.05 * (obs[1] - bottom || 1);
    // Below the observed pattern: one row of ticks per candidate, then one difference curve each.
    var tickY = [], offsets = [], diffs = [], span = 0;
    cands.forEach(function (c) {
      var d = data.obs.map(function (y, i) { return y - c.calc[i]; });
      var e = extent(d);
      diffs.push({ d: d, hi: e[1] });
      span = Math.max(span, e[1] - e[0]);
    });
    for (var k = 0; k < K; k++) tickY.push(bottom - row * (k + 0.8));
    var diffTop = bottom - row * (K + 0.6);
    diffs.forEach(function (x, k) { offsets.push(diffTop - k * 1.05 * span - x.hi); });

    var columns = [data.x, data.obs];
    var series = [
      { label: "2θ (°)", value: function (u, v) { return v == null ? "" : v.toFixed(3); } },
      { label: "observed", stroke: data.observed_colour, width: 1 }
    ];
    cands.forEach(function (c, k) {
      columns.push(c.calc, c.bg, diffs[k].d.map(function (y) { return y + offsets[k]; }));
      series.push({ label: c.label + " calculated", stroke: c.colour, width: 1.25 });
      series.push({ label: c.label + " background", stroke: c.colour, width: 1, dash: [5, 5] });
      series.push({
        label: c.label + " obs − calc", stroke: c.colour, width: 1,
        value: function (u, v) { return v == null ? "" : (v - offsets[k]).toPrecision(4); }
      });
    });
    function calcIndex(k) { return 2 + 3 * k; }
    function shown(u, k) { return u.series[calcIndex(k)].show; }

    function drawTicks(u) {
      var ctx = u.ctx, px = window.devicePixelRatio || 1, half = 6 * px;
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      cands.forEach(function (c, k) {
        if (!shown(u, k)) return;
        var y = u.valToPos(tickY[k], "y", true);
        ctx.strokeStyle = c.colour;
        ctx.lineWidth = px;
        ctx.beginPath();
        c.refl.forEach(function (r) {
          var x = u.valToPos(r[0], "x", true);
          ctx.moveTo(x, y - half);
          ctx.lineTo(x, y + half);
        });
        ctx.stroke();
      });
      ctx.restore();
    }

    // The reflection under the cursor: in a shown candidate's tick row, within 4 px of a tick.
    function tickAt(u, left, top) {
      var hit = null;
      cands.forEach(function (c, k) {
        if (!shown(u, k) || Math.abs(top - u.valToPos(tickY[k], "y")) > 9) return;
        c.refl.forEach(function (r) {
          var dx = Math.abs(u.valToPos(r[0], "x") - left);
          if (dx <= 4 && (!hit || dx < hit.dx)) hit = { dx: dx, r: r, c: c };
        });
      });
      return hit;
    }

    function hover(u) {
      var left = u.cursor.left, top = u.cursor.top;
      var hit = left == null || left < 0 ? null : tickAt(u, left, top);
      if (!hit) {
        tip.hidden = true;
        return;
      }
      var r = hit.r;
      tip.textContent = hit.c.label + " (" + hit.c.id + "): hkl (" + r[1] + " " + r[2] + " " + r[3] + ")  2θ " + r[0].toFixed(3) +
        "°  d " + r[4].toFixed(4) + " Å";
      var o = u.over.getBoundingClientRect(), b = box.getBoundingClientRect();
      tip.style.left = (o.left - b.left + left + 12) + "px";
      tip.style.top = (o.top - b.top + top + 12) + "px";
      tip.hidden = false;
    }

    var boxes = fig.querySelectorAll("input.rv-cand");
    var opts = {
      width: Math.max(400, box.clientWidth || 1000),
      height: 480,
      scales: {
        x: { time: false },
        y: { range: function (u, lo, hi) { var p = 0.03 * (hi - lo || 1); return [lo - p, hi + p]; } }
      },
      axes: [{ label: "2θ (°)" }, { label: "intensity (counts)", size: 70 }],
      cursor: { drag: { x: true, y: false } },
      series: series,
      hooks: {
        draw: [drawTicks],
        setCursor: [hover],
        setSeries: [function (u) {
          for (var j = 0; j < boxes.length; j++) boxes[j].checked = shown(u, +boxes[j].dataset.cand);
        }]
      }
    };
    var u = new uPlot(opts, columns, box);
    for (var j = 0; j < boxes.length; j++) {
      boxes[j].addEventListener("change", function (ev) {
        var k = +ev.target.dataset.cand;
        for (var s = 0; s < 3; s++) u.setSeries(calcIndex(k) + s, { show: ev.target.checked });
      });
    }
    function reset() { u.setScale("x", { min: data.x[0], max: data.x[data.x.length - 1] }); }
    fig.querySelector(".rv-reset").addEventListener("click", reset);
    window.addEventListener("resize", function () {
      u.setSize({ width: Math.max(400, box.clientWidth || 1000), height: 480 });
    });
    plots.push({ plot: u, figure: fig, tickY: tickY, reset: reset });
  }

  function init() {
    var figs = document.querySelectorAll("figure.rietveld");
    for (var i = 0; i < figs.length; i++) if (figs[i].querySelector("script.rv-data")) build(figs[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
