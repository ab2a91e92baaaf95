// Plain SVG line plots: linear axes with 1-2-5 ticks, one polyline per curve, a legend.
#include "io/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "io/pattern_io.hpp"

namespace xrdid::io {

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default: o += c;
    }
  }
  return o;
}

namespace {

std::string num(double v, const char* fmt = "%.2f") {
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

std::string tick_label(double v, double step) {
  if (std::abs(v) < step * 1e-9) v = 0.0;
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  if (std::abs(v) >= 1e6 || (std::abs(v) > 0 && std::abs(v) < 1e-4)) return num(v, "%.3g");
  char fmt[16];
  std::snprintf(fmt, sizeof fmt, "%%.%df", std::min(decimals, 6));
  return num(v, fmt);
}

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> t;
  if (!(std::isfinite(lo) && std::isfinite(hi)) || target < 1) return t;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) return {lo};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) t.push_back(v);
  return t;
}

std::string svg_plot(const std::vector<Curve>& curves, const PlotOptions& opt) {
  const double W = std::max(200, opt.width), H = std::max(150, opt.height);
  const double ml = 80, mr = 20, mt = opt.title.empty() ? 20 : 40, mb = 55;
  const double pw = W - ml - mr, ph = H - mt - mb;

  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const Curve& c : curves) {
    if (c.x.size() != c.y.size()) throw std::runtime_error("svg_plot: curve '" + c.name + "' has x/y of different lengths");
    for (std::size_t i = 0; i < c.x.size(); ++i) {
      if (!std::isfinite(c.x[i]) || !std::isfinite(c.y[i])) continue;
      x0 = std::min(x0, c.x[i]);
      x1 = std::max(x1, c.x[i]);
      y0 = std::min(y0, c.y[i]);
      y1 = std::max(y1, c.y[i]);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.04 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  auto sx = [&](double x) { return ml + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return mt + ph - (y - y0) / (y1 - y0) * ph; };

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W, "%.0f") + "\" height=\"" + num(H, "%.0f") +
       "\" viewBox=\"0 0 " + num(W, "%.0f") + " " + num(H, "%.0f") + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + num(W, "%.0f") + "\" height=\"" + num(H, "%.0f") + "\" fill=\"white\"/>\n";
  if (!opt.title.empty())
    s += "<text x=\"" + num(W / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" + xml_escape(opt.title) + "</text>\n";
  // Axes, ticks, grid.
  s += "<g class=\"axes\" stroke=\"black\" fill=\"none\">\n";
  s += "<rect x=\"" + num(ml) + "\" y=\"" + num(mt) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) + "\"/>\n";
  s += "</g>\n<g class=\"ticks\">\n";
  const auto xt = nice_ticks(x0, x1, 10), yt = nice_ticks(y0, y1, 6);
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1.0, ys = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  for (double v : xt) {
    const double X = sx(v);
    s += "<line x1=\"" + num(X) + "\" y1=\"" + num(mt + ph) + "\" x2=\"" + num(X) + "\" y2=\"" + num(mt + ph + 5) + "\" stroke=\"black\"/>";
    s += "<line x1=\"" + num(X) + "\" y1=\"" + num(mt) + "\" x2=\"" + num(X) + "\" y2=\"" + num(mt + ph) + "\" stroke=\"#e5e5e5\"/>";
    s += "<text x=\"" + num(X) + "\" y=\"" + num(mt + ph + 19) + "\" text-anchor=\"middle\">" + tick_label(v, xs) + "</text>\n";
  }
  for (double v : yt) {
    const double Y = sy(v);
    s += "<line x1=\"" + num(ml - 5) + "\" y1=\"" + num(Y) + "\" x2=\"" + num(ml) + "\" y2=\"" + num(Y) + "\" stroke=\"black\"/>";
    s += "<line x1=\"" + num(ml) + "\" y1=\"" + num(Y) + "\" x2=\"" + num(ml + pw) + "\" y2=\"" + num(Y) + "\" stroke=\"#e5e5e5\"/>";
    s += "<text x=\"" + num(ml - 8) + "\" y=\"" + num(Y + 4) + "\" text-anchor=\"end\">" + tick_label(v, ys) + "</text>\n";
  }
  s += "</g>\n";
  s += "<text x=\"" + num(ml + pw / 2) + "\" y=\"" + num(H - 12) + "\" text-anchor=\"middle\">" + xml_escape(opt.x_label) + "</text>\n";
  s += "<text x=\"18\" y=\"" + num(mt + ph / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " + num(mt + ph / 2) +
       ")\">" + xml_escape(opt.y_label) + "</text>\n";
  // Curves, clipped to the frame.
  s += "<clipPath id=\"frame\"><rect x=\"" + num(ml) + "\" y=\"" + num(mt) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) + "\"/></clipPath>\n";
  s += "<g class=\"curves\" clip-path=\"url(#frame)\" fill=\"none\" stroke-width=\"1\">\n";
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const Curve& c = curves[k];
    const std::string col = c.color.empty() ? kPalette[k % 8] : c.color;
    s += "<polyline stroke=\"" + xml_escape(col) + "\" data-name=\"" + xml_escape(c.name) + "\" points=\"";
    for (std::size_t i = 0; i < c.x.size(); ++i) {
      if (!std::isfinite(c.x[i]) || !std::isfinite(c.y[i])) continue;
      s += num(sx(c.x[i])) + "," + num(sy(c.y[i])) + " ";
    }
    s += "\"/>\n";
  }
  s += "</g>\n<g class=\"legend\">\n";
  // Right-aligned inside the frame, wide enough for the longest name (~7 px per character).
  std::size_t longest = 0;
  for (const auto& c : curves) longest = std::max(longest, c.name.size());
  const double lx = ml + pw - 45 - 7.0 * static_cast<double>(longest);
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const std::string col = curves[k].color.empty() ? kPalette[k % 8] : curves[k].color;
    const double Y = mt + 14 + 16 * static_cast<double>(k);
    s += "<line x1=\"" + num(lx) + "\" y1=\"" + num(Y - 4) + "\" x2=\"" + num(lx + 25) + "\" y2=\"" + num(Y - 4) +
         "\" stroke=\"" + xml_escape(col) + "\" stroke-width=\"2\"/>";
    s += "<text x=\"" + num(lx + 32) + "\" y=\"" + num(Y) + "\">" + xml_escape(curves[k].name) + "</text>\n";
  }
  s += "</g>\n</svg>\n";
  return s;
}

void write_svg_plot(const std::string& path, const std::vector<Curve>& curves, const PlotOptions& opt) {
  write_file_atomic(path, svg_plot(curves, opt));
}

}  // namespace xrdid::io
