// Text, JSON and HTML forms of identification results.
#include "identify/report.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "identify/rietveld_panel.hpp"
#include "io/svg_plot.hpp"

namespace xrdid::identify {

namespace {
std::string relative_source(const xrd::LibraryEntry& e) { return e.id + ".cif"; }

std::string esc(const std::string& s) { return io::xml_escape(s); }
}  // namespace

nlohmann::json results_to_json(const std::vector<IdentifyResult>& results, const xrd::Library& lib) {
  nlohmann::json q = nlohmann::json::array();
  for (auto& r : results) {
    nlohmann::json c = nlohmann::json::array();
    int rank = 1;
    for (auto& cand : r.candidates) {
      const auto& e = lib.entries[cand.entry];
      c.push_back({{"rank", rank++}, {"id", e.id}, {"formula", e.formula}, {"reduced_formula", e.reduced_formula},
                   {"spacegroup_number", e.spacegroup_number}, {"score", cand.score},
                   {"probability", cand.probability}, {"shift_deg", cand.shift_deg},
                   {"scale", cand.scale}, {"at_search_limit", cand.at_search_limit}, {"source", relative_source(e)}});
      nlohmann::json same = nlohmann::json::array();
      for (std::size_t k : cand.same_phase) same.push_back(lib.entries[k].id);
      c.back()["same_phase"] = same;
      if (cand.fit) c.back()["fit"] = fit_to_json(*cand.fit, /*curves=*/false);
    }
    nlohmann::json qj = {{"file", r.file},
                         {"method", name(r.method)},
                         {"wavelength_angstrom", r.wavelength},
                         {"wavelength_from", r.wavelength_from},
                         {"confident", r.confident},
                         {"candidates", c}};
    if (!r.note.empty()) qj["note"] = r.note;
    q.push_back(qj);
  }
  return {{"queries", q}};
}

void print_results(const std::vector<IdentifyResult>& results, const xrd::Library& lib, std::ostream& out) {
  for (auto& r : results) {
    out << r.file << "  (" << name(r.method) << ", " << std::fixed << std::setprecision(5) << r.wavelength << " A "
        << (r.wavelength_from == "assumed" ? "assumed: the file gives none, the library's used" : "from the " + r.wavelength_from)
        << ")" << (r.confident ? "" : "  -- no confident match: the first row's probability is below the threshold") << "\n";
    int rank = 1;
    for (auto& c : r.candidates) {
      const auto& e = lib.entries[c.entry];
      out << "  " << std::setw(2) << rank++ << ". " << std::left << std::setw(14) << e.reduced_formula << std::right
          << " SG " << std::setw(3) << e.spacegroup_number << "  score " << std::fixed << std::setprecision(4) << c.score
          << "  p " << std::setprecision(2) << c.probability;
      if (r.method != Method::Model) out << "  shift " << std::showpos << std::setprecision(2) << c.shift_deg << std::noshowpos;
      if (r.method == Method::Profile || r.method == Method::Hybrid)
        out << "  scale " << std::setprecision(4) << c.scale << (c.at_search_limit ? " (shift or scale at its search limit)" : "");
      out << "  " << e.id;
      if (!c.same_phase.empty()) out << " (+" << c.same_phase.size() << " of this phase)";
      out << "\n";
    }
    if (!r.note.empty()) out << "  (" << r.note << ")\n";
  }
}

std::string results_to_html(const std::vector<IdentifyResult>& results, const xrd::Library& lib) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>xrdid identification report</title>\n"
       "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.warn{color:#b00}</style>\n"
    << rietveld_head() << "</head><body>\n<h1>xrdid identification report</h1>\n";
  const auto grid = lib.grid();
  for (auto& r : results) {
    char wl[64];
    std::snprintf(wl, sizeof wl, "%.5f", r.wavelength);
    h << "<section><h2>" << esc(r.file) << "</h2>\n<p>method: " << esc(std::string(name(r.method))) << "; wavelength "
      << wl << " Å ("
      << (r.wavelength_from == "assumed" ? "assumed: the file gives none, the library's used" : "from the " + esc(r.wavelength_from))
      << ")</p>\n";
    if (!r.confident) h << "<p class=\"warn\">No confident match: the first row's probability is below the threshold.</p>\n";
    if (!r.note.empty()) h << "<p class=\"warn\">" << esc(r.note) << "</p>\n";
    h << "<table><tr><th>rank</th><th>phase</th><th>space group</th><th>elements</th><th>score</th><th>probability</th><th>shift (°)</th><th>source</th></tr>\n";
    int rank = 1;
    for (auto& c : r.candidates) {
      const auto& e = lib.entries[c.entry];
      std::string els;
      for (auto& x : e.elements) els += (els.empty() ? "" : " ") + x;
      char sc[32], sh[32], pr[32];
      std::snprintf(sc, sizeof sc, "%.4f", c.score);
      std::snprintf(pr, sizeof pr, "%.2f", c.probability);
      std::snprintf(sh, sizeof sh, "%+.2f", c.shift_deg);
      h << "<tr><td>" << rank++ << "</td><td>" << esc(e.reduced_formula) << "</td><td>" << esc(e.spacegroup) << " ("
        << e.spacegroup_number << ")</td><td>" << esc(els) << "</td><td>" << sc << "</td><td>" << pr << "</td><td>" << sh << "</td><td>"
        << esc(e.id);
      for (std::size_t k : c.same_phase) h << "<br/>" << esc(lib.entries[k].id);
      h << "</td></tr>\n";
    }
    h << "</table>\n" << rietveld_panel(r, lib);
    // One plot per listed candidate (as many as --top asks for): measured (processed) vs the
    // candidate's simulated pattern, mirrored.
    if (!r.candidates.empty())
      h << "<p>Search plots: the measured pattern after background removal (up) and each candidate's "
           "simulated pattern (down), as the search compared them.</p>\n";
    int shown = 0;
    for (auto& c : r.candidates) {
      ++shown;
      const auto& e = lib.entries[c.entry];
      io::Curve meas, ref;
      meas.name = "measured, background removed";
      char shift[32];
      std::snprintf(shift, sizeof shift, "%+.2f", c.shift_deg);
      ref.name = e.reduced_formula + " simulated (" + shift + "°)";
      const float* p = lib.pattern(c.entry);
      // Only the measured range (where the processed query is defined), with a small margin.
      std::size_t lo = grid.size(), hi = 0;
      for (std::size_t i = 0; i < grid.size(); ++i)
        if (r.processed.intensity[i] > 0) {
          lo = std::min(lo, i);
          hi = i;
        }
      if (lo > hi) {
        lo = 0;
        hi = grid.size() - 1;
      }
      lo = lo > 100 ? lo - 100 : 0;
      hi = std::min(grid.size() - 1, hi + 100);
      for (std::size_t i = lo; i <= hi; ++i) {
        meas.x.push_back(grid[i]);
        meas.y.push_back(r.processed.intensity[i]);
        ref.x.push_back(grid[i] + c.shift_deg);
        ref.y.push_back(-p[i] / 100.0);  // mirrored below the axis
      }
      io::PlotOptions po;
      char sc[32];
      std::snprintf(sc, sizeof sc, "%.4f", c.score);  // as in the table
      po.title = "#" + std::to_string(shown) + " " + e.reduced_formula + "  score " + sc;
      po.x_label = "2θ (°)";
      po.y_label = "intensity (measured up, reference down)";
      std::string svg = io::svg_plot({meas, ref}, po);
      if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find('\n') + 1);  // inline SVG takes no XML declaration
      h << svg << "\n";
    }
    h << "</section>\n";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace xrdid::identify
