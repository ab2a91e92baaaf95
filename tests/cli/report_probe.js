// Appended by test_report_browser.sh to a copy of an xrdid report (after report_errors.js at the
// top of its head): exercises the first whole-pattern fit picture the way a reader would —
// looks at the canvas, switches the first candidate off and on, drags across a peak region to
// zoom, resets, hovers over the strongest reflection's tick — and writes what it saw as JSON
// into <pre id="probe">, which headless Chromium's --dump-dom prints.
(function () {
  "use strict";
  var out = { plots: 0 };
  function done() {
    out.errors = window.__reportErrors || [];
    out.pwned = window.__pwned !== undefined;
    var pre = document.createElement("pre");
    pre.id = "probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  function later(f) { setTimeout(function () { try { f(); } catch (e) { out.exception = String(e); done(); } }, 50); }

  // Pixels the plot drew (not transparent), pixels of a colour, and a checksum of the canvas.
  function look(u, rgb) {
    var c = u.ctx.canvas, d = u.ctx.getImageData(0, 0, c.width, c.height).data;
    var ink = 0, colour = 0, sum = 0;
    for (var i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0) ink++;
      if (d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40) colour++;
      sum = (sum * 31 + d[i] + 3 * d[i + 1] + 7 * d[i + 2] + 11 * d[i + 3]) | 0;
    }
    return { ink: ink, colour: colour, sum: sum, pixels: d.length / 4 };
  }
  function mouse(u, type, x, y, target) {
    var r = u.over.getBoundingClientRect();
    (target || u.over).dispatchEvent(new MouseEvent(type, {
      clientX: r.left + x, clientY: r.top + y, bubbles: true, cancelable: true, button: 0,
      buttons: type === "mouseup" ? 0 : 1, movementX: type === "mousemove" ? 1 : 0, view: window
    }));  // uPlot ignores a move without movement while a button is down
  }

  window.addEventListener("load", function () {
    later(function () {
      var P = window.xrdidRietveld || [];
      out.plots = P.length;
      if (!P.length) return done();
      var p = P[0], u = p.plot, fig = p.figure;
      var data = JSON.parse(fig.querySelector("script.rv-data").textContent);
      var red = [214, 39, 40];  // the first candidate's colour, #d62728
      out.before = look(u, red);
      out.x_full = [u.scales.x.min, u.scales.x.max];
      var box = fig.querySelector('input.rv-cand[data-cand="0"]');
      box.click();
      later(function () {
        out.off = look(u, red);
        out.calc_shown_when_off = u.series[2].show;
        box.click();
        later(function () {
          out.on_again = look(u, red);
          // The strongest reflection of the first candidate.
          var refl = data.cands[0].refl, best = refl[0];
          refl.forEach(function (r) { if (r[5] > best[5]) best = r; });
          out.strongest = best;
          // Drag across ±0.6° around it: the x scale narrows to that region.
          var y = u.bbox.height / (window.devicePixelRatio || 1) / 3;
          mouse(u, "mousedown", u.valToPos(best[0] - 0.6, "x"), y);
          mouse(u, "mousemove", u.valToPos(best[0] + 0.6, "x"), y);
          mouse(u, "mouseup", u.valToPos(best[0] + 0.6, "x"), y, document);
          later(function () {
            out.x_zoomed = [u.scales.x.min, u.scales.x.max];
            out.zoomed = look(u, red);
            fig.querySelector(".rv-reset").click();
            later(function () {
              out.x_reset = [u.scales.x.min, u.scales.x.max];
              // Hover over the strongest reflection's tick.
              mouse(u, "mousemove", u.valToPos(best[0], "x"), u.valToPos(p.tickY[0], "y"));
              later(function () {
                var tip = fig.querySelector(".rv-tip");
                out.tip = tip.hidden ? "" : tip.textContent;
                // Away from every tick the tip hides again.
                mouse(u, "mousemove", u.valToPos(best[0], "x"), 5);
                later(function () {
                  out.tip_away = fig.querySelector(".rv-tip").hidden ? "" : fig.querySelector(".rv-tip").textContent;
                  done();
                });
              });
            });
          });
        });
      });
    });
  });
})();
