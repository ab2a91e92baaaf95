// The report's whole-pattern fit picture: data, caption and the inlined plotting code.
#include "identify/rietveld_panel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string_view>

#include "io/svg_plot.hpp"

namespace xrdid::identify {

namespace {

#include "identify/report_web_bundle.inc"

constexpr const char* kObservedColour = "#1f77b4";
constexpr const char* kCandidateColours[] = {"#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"};
constexpr const char* kCellNames[] = {"a", "b", "c", "α", "β", "γ"};
constexpr const char* kCellUnits[] = {" Å", " Å", " Å", "°", "°", "°"};

std::string esc(const std::string& s) { return io::xml_escape(s); }

// A JSON string that is safe inside a <script> element: no '<', '>' or '&' (written as \u escapes).
std::string script_json(const std::string& s) {
  const std::string j = nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  for (char c : j) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

void append_numbers(std::ostringstream& o, const std::vector<double>& v, const char* fmt) {
  o << '[';
  char buf[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, fmt, std::isfinite(v[i]) ? v[i] : 0.0);
    o << (i ? "," : "") << buf;
  }
  o << ']';
}

// y(x) of the curve (xs, ys) at the points xt, linear between points, 0 outside.
std::vector<double> resample(const std::vector<double>& xs, const std::vector<double>& ys, const std::vector<double>& xt) {
  std::vector<double> out(xt.size(), 0.0);
  for (std::size_t i = 0; i < xt.size(); ++i) {
    auto it = std::lower_bound(xs.begin(), xs.end(), xt[i]);
    if (it == xs.end() || (it == xs.begin() && *it != xt[i])) continue;
    const std::size_t j = static_cast<std::size_t>(it - xs.begin());
    if (*it == xt[i] || j == 0) {
      out[i] = ys[j];
      continue;
    }
    const double t = (xt[i] - xs[j - 1]) / (xs[j] - xs[j - 1]);
    out[i] = ys[j - 1] + t * (ys[j] - ys[j - 1]);
  }
  return out;
}

// 5.43102(4): the value with its standard uncertainty in the last digits.
std::string with_esd(double v, double esd) {
  char buf[64];
  if (!(esd > 0) || !std::isfinite(esd)) {
    std::snprintf(buf, sizeof buf, "%.5f", v);
    return buf;
  }
  int dec = std::clamp(static_cast<int>(-std::floor(std::log10(esd))), 0, 8);
  long long e = std::llround(esd * std::pow(10.0, dec));
  if (e < 2 && dec < 8) e = std::llround(esd * std::pow(10.0, ++dec));  // 1 → two digits, as 0.00012 → (12)
  std::snprintf(buf, sizeof buf, "%.*f(%lld)", dec, v, e);
  return buf;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", 100.0 * v);
  return buf;
}

bool drawable(const Candidate& c) { return c.fit && c.fit->ok() && !c.fit->calculated.empty(); }

std::string caption_line(const Candidate& c, int rank, const xrd::Library& lib, const char* colour) {
  const auto& e = lib.entries[c.entry];
  const FitResult& f = *c.fit;
  std::ostringstream o;
  o << "<li data-rank=\"" << rank << "\"><span class=\"rv-swatch\" style=\"background:" << colour << "\"></span>#" << rank
    << " " << esc(e.reduced_formula) << " (" << esc(e.spacegroup) << ", " << esc(f.crystal_system) << ", " << esc(e.id)
    << "): <span class=\"rv-rwp\">Rwp " << percent(f.rwp) << "</span>, Rexp " << percent(f.rexp);
  char gof[32];
  std::snprintf(gof, sizeof gof, "%.2f", f.gof);
  o << ", GoF " << gof << " (" << to_string(f.status) << "); <span class=\"rv-cell\">refined cell";
  // The free parameters only: a length tied to an earlier one (b = a in a cubic cell) and an
  // angle the crystal system fixes (no uncertainty) are left out.
  bool any = false;
  for (int i = 0; i < 6; ++i) {
    const FitParameter* p = f.parameter(i < 3 ? std::string(1, "abc"[i]) : std::string(i == 3 ? "alpha" : i == 4 ? "beta" : "gamma"));
    if (!p || !p->refined) continue;
    bool tied = false;
    for (int j = 0; j < i && i < 3; ++j) tied |= std::abs(f.cell[static_cast<std::size_t>(j)] - p->value) <= 1e-9 * p->value;
    if (tied || (i >= 3 && !(p->esd > 1e-7))) continue;
    o << (any ? ", " : " ") << kCellNames[i] << " = " << with_esd(p->value, p->esd) << kCellUnits[i];
    any = true;
  }
  if (!any) o << " fixed";
  o << "</span>";
  if (f.hit_bound && !f.message.empty()) o << " <span class=\"warn\">(" << esc(f.message) << ")</span>";
  o << "</li>\n";
  return o.str();
}

}  // namespace

bool report_interactive() { return kStaticReason.empty() && !kUplotJs.empty(); }

std::string report_static_reason() {
  return kStaticReason.empty() ? std::string() : std::string(kStaticReason);
}

std::string rietveld_head() {
  if (!report_interactive()) return {};
  std::string h;
  h += "<style>";
  h += kUplotCss;
  h += "\n.uplot td,.uplot th{border:0;padding:0 4px}.rietveld{margin:1em 0;border:1px solid #ddd;padding:.5em}.rv-plot{position:relative}"
       ".rv-tip{position:absolute;z-index:10;pointer-events:none;background:#fffbe6;border:1px solid #999;"
       "padding:2px 6px;font-size:13px;white-space:nowrap}.rv-controls{margin-bottom:.4em}"
       ".rv-controls label{margin-right:1.2em}.rv-swatch{display:inline-block;width:1em;height:.6em;margin-right:.3em}"
       ".rv-help{color:#666;font-size:90%}</style>\n";
  // The scripts inside CDATA sections behind JS comments: the report stays well-formed XML.
  h += "<script>/*<![CDATA[*/\n/* uPlot ";
  h += kUplotVersion;
  h += "\n";
  h += kUplotLicense;
  h += "*/\n";
  h += kUplotJs;
  h += "\n/*]]>*/</script>\n<script>/*<![CDATA[*/\n";
  h += kPanelJs;
  h += "\n/*]]>*/</script>\n";
  return h;
}

std::string rietveld_panel(const IdentifyResult& r, const xrd::Library& lib) {
  std::vector<std::size_t> shown, failed;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    if (drawable(r.candidates[i])) shown.push_back(i);
    else if (r.candidates[i].fit) failed.push_back(i);
  }
  if (shown.empty() && failed.empty()) return {};
  std::ostringstream h;
  h << "<figure class=\"rietveld\">\n";
  const bool interactive = report_interactive() && !shown.empty();
  if (interactive) {
    h << "<div class=\"rv-controls\">";
    for (std::size_t k = 0; k < shown.size(); ++k) {
      const auto& e = lib.entries[r.candidates[shown[k]].entry];
      h << "<label><input type=\"checkbox\" class=\"rv-cand\" data-cand=\"" << k << "\" checked/>"
        << "<span class=\"rv-swatch\" style=\"background:" << kCandidateColours[k % 6] << "\"></span>#" << shown[k] + 1
        << " " << esc(e.reduced_formula) << "</label>";
    }
    h << "<button type=\"button\" class=\"rv-reset\">reset zoom</button> <span class=\"rv-help\">drag across the plot "
         "to zoom into a region; hover over a tick for its hkl</span></div>\n"
         "<div class=\"rv-plot\"><div class=\"rv-tip\" hidden=\"hidden\"></div></div>\n";
    // The data: the first fit's 2θ and observed counts, every fit's calculated pattern and
    // background on those points, and its reflections [2θ, h, k, l, d, intensity].
    const FitResult& f0 = *r.candidates[shown.front()].fit;
    std::ostringstream d;
    d << "{\"observed_colour\":" << script_json(kObservedColour) << ",\"x\":";
    append_numbers(d, f0.two_theta, "%.6g");
    d << ",\"obs\":";
    append_numbers(d, f0.observed, "%.6g");
    d << ",\"cands\":[";
    for (std::size_t k = 0; k < shown.size(); ++k) {
      const FitResult& f = *r.candidates[shown[k]].fit;
      const bool same = f.two_theta == f0.two_theta;
      std::string label = "#";
      label += std::to_string(shown[k] + 1);
      label += ' ';
      label += lib.entries[r.candidates[shown[k]].entry].reduced_formula;
      d << (k ? "," : "") << "{\"label\":" << script_json(label)
        << ",\"id\":" << script_json(lib.entries[r.candidates[shown[k]].entry].id)
        << ",\"colour\":" << script_json(kCandidateColours[k % 6]) << ",\"calc\":";
      append_numbers(d, same ? f.calculated : resample(f.two_theta, f.calculated, f0.two_theta), "%.6g");
      d << ",\"bg\":";
      append_numbers(d, same ? f.background : resample(f.two_theta, f.background, f0.two_theta), "%.6g");
      d << ",\"refl\":[";
      char buf[128];
      for (std::size_t i = 0; i < f.reflections.size(); ++i) {
        const FitReflection& x = f.reflections[i];
        std::snprintf(buf, sizeof buf, "%s[%.5f,%d,%d,%d,%.5f,%.4g]", i ? "," : "", x.two_theta, x.hkl[0], x.hkl[1],
                      x.hkl[2], x.d, x.intensity);
        d << buf;
      }
      d << "]}";
    }
    d << "]}";
    h << "<script type=\"application/json\" class=\"rv-data\">" << d.str() << "</script>\n";
  }
  h << "<figcaption><b>Whole-pattern fits</b> of the measured pattern (scale, zero shift, sample displacement, "
       "cell, peak widths, overall B and a Chebyshev background refined; intensities from the CIF).";
  if (interactive)
    h << " Observed in blue; each candidate's calculated pattern, background (dashed), reflection ticks and "
         "observed − calculated difference curve (below) in its colour.";
  else if (!report_interactive() && !shown.empty())
    h << " <span class=\"warn\">This xrdid was built without the interactive plots (" << esc(report_static_reason())
      << "): the fits' numbers follow, the static plots below compare the processed pattern with each candidate's "
         "simulated pattern.</span>";
  h << "\n<ul>\n";
  for (std::size_t k = 0; k < shown.size(); ++k)
    h << caption_line(r.candidates[shown[k]], static_cast<int>(shown[k] + 1), lib, kCandidateColours[k % 6]);
  for (std::size_t i : failed) {
    const auto& e = lib.entries[r.candidates[i].entry];
    h << "<li class=\"warn\">#" << i + 1 << " " << esc(e.reduced_formula) << " (" << esc(e.id)
      << "): no whole-pattern fit: " << esc(r.candidates[i].fit->message.empty() ? "the fit diverged" : r.candidates[i].fit->message)
      << "; its static plot is below</li>\n";
  }
  h << "</ul></figcaption>\n</figure>\n";
  return h.str();
}

}  // namespace xrdid::identify
