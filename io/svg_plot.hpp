// A tiny plain-SVG line-plot writer (named curves, axes with ticks and labels, legend), used by
// `xrdid denoise --plot` to show a pattern with its baseline and peak signal.
#pragma once
#include <string>
#include <vector>

namespace xrdid::io {

struct Curve {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite points are skipped
  std::string color;         // CSS colour; empty = from a default palette
};

struct PlotOptions {
  std::string title;
  std::string x_label = "2θ (°)";
  std::string y_label = "intensity";
  int width = 1000, height = 500;  // pixels
};

// The SVG document text: one <polyline> per curve (in the order given), inside a plot frame.
std::string svg_plot(const std::vector<Curve>& curves, const PlotOptions& opt = {});

// Writes svg_plot(...) to path atomically.
void write_svg_plot(const std::string& path, const std::vector<Curve>& curves, const PlotOptions& opt = {});

// Escapes & < > " ' for XML/HTML text and attribute values.
std::string xml_escape(const std::string& s);

// "Nice" tick positions (steps of 1, 2 or 5 × 10^k) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

}  // namespace xrdid::io
