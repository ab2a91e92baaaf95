// Text, JSON and HTML forms of identification results.
#include "identify/report.hpp"

#include "identify/mixture.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "identify/confidence.hpp"
#include "identify/rietveld_panel.hpp"
#include "identify/same_phase.hpp"
#include "io/svg_plot.hpp"

namespace xrdid::identify {

namespace {
std::string esc(const std::string& s) { return io::xml_escape(s); }

constexpr const char* kPhaseColours[] = {"#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                                         "#17becf", "#bcbd22", "#7f7f7f", "#1a55a0"};

// The phases of a mixture: their weight fractions as one bar and a table, and the joint fit
// (observed, calculated, each phase's peaks on the background, the difference below).
std::string mixture_section(const MixtureResult& m, const xrd::Library& lib) {
  std::ostringstream h;
  const MixtureFit& f = m.fit;
  char buf[160];
  std::snprintf(buf, sizeof buf, "Rwp %.2f %%, Rexp %.2f %%, GoF %.2f", 100 * f.rwp, 100 * f.rexp, f.gof);
  h << "<section class=\"mixture\"><h3>Mixture: " << m.phases.size() << " phase" << (m.phases.size() == 1 ? "" : "s")
    << " (joint fit: " << buf << ")</h3>\n<div class=\"mix-bar\" style=\"display:flex;width:100%;height:1.6em;"
    << "border:1px solid #999\">";
  for (std::size_t k = 0; k < m.phases.size(); ++k) {
    const auto& e = lib.entries[m.phases[k].entry];
    std::snprintf(buf, sizeof buf, "%.1f", 100 * f.phases[k].weight_fraction);
    h << "<div class=\"mix-part\" title=\"" << esc(e.reduced_formula) << " " << buf << " wt%\" style=\"width:" << buf
      << "%;background:" << kPhaseColours[k % 10] << ";color:#fff;overflow:hidden;white-space:nowrap;font-size:0.8em\">"
      << esc(e.reduced_formula) << " " << buf << " %</div>";
  }
  h << "</div>\n<table class=\"mix-table\"><tr><th>phase</th><th>space group</th><th>weight %</th><th>refined cell a, b, c (Å)"
       "</th><th>source</th></tr>\n";
  for (std::size_t k = 0; k < m.phases.size(); ++k) {
    const auto& e = lib.entries[m.phases[k].entry];
    const PhaseShare& s = f.phases[k];
    char wf[64], cell[96];
    std::snprintf(wf, sizeof wf, "%.1f ± %.1f", 100 * s.weight_fraction, 100 * s.weight_fraction_esd);
    std::snprintf(cell, sizeof cell, "%.4f, %.4f, %.4f", s.cell[0], s.cell[1], s.cell[2]);
    h << "<tr><td><span style=\"color:" << kPhaseColours[k % 10] << "\">&#9632;</span> " << esc(e.reduced_formula)
      << "</td><td>" << esc(e.spacegroup) << " (" << e.spacegroup_number << ")</td><td>" << wf << "</td><td>" << cell
      << (s.hit_bound ? " <span class=\"warn\">(on a bound)</span>" : "") << "</td><td>" << esc(e.id) << "</td></tr>\n";
  }
  h << "</table>\n";
  if (m.quantified) {
    h << "<table class=\"mix-quant\"><tr><th>phase</th>";
    if (m.quant.brindley) h << "<th>μ (cm⁻¹)</th><th>Brindley τ</th><th>corrected weight %</th>";
    if (m.quant.standard) h << "<th>absolute weight %</th>";
    h << "</tr>\n";
    for (std::size_t k = 0; k < m.phases.size(); ++k) {
      const PhaseQuant& pq = m.quant.phases[k];
      h << "<tr><td>" << esc(lib.entries[m.phases[k].entry].reduced_formula)
        << (static_cast<int>(k) == m.quant.standard_index ? " (standard)" : "") << "</td>";
      if (m.quant.brindley) {
        std::snprintf(buf, sizeof buf, "<td>%.1f</td><td>%.3f</td><td>%.1f ± %.1f</td>", pq.mu, pq.tau,
                      100 * pq.weight_fraction, 100 * pq.weight_fraction_esd);
        h << buf;
      }
      if (m.quant.standard) {
        std::snprintf(buf, sizeof buf, "<td>%.1f ± %.1f</td>", 100 * pq.absolute_fraction, 100 * pq.absolute_fraction_esd);
        h << buf;
      }
      h << "</tr>\n";
    }
    h << "</table>\n";
    if (m.quant.standard) {
      std::snprintf(buf, sizeof buf, "%.1f ± %.1f wt%% of the spiked sample (%.1f ± %.1f wt%% of the sample)",
                    100 * m.quant.amorphous_fraction, 100 * m.quant.amorphous_fraction_esd,
                    100 * m.quant.amorphous_fraction_sample, 100 * m.quant.amorphous_fraction_sample_esd);
      h << "<p>Amorphous and unidentified: " << buf << ".</p>\n";
    }
  }
  h << "<p>" << esc(m.note) << ".";
  if (!m.unexplained.empty()) {
    h << " <span class=\"warn\">Unexplained peaks (2θ):";
    for (std::size_t k = 0; k < m.unexplained.size() && k < 10; ++k) {
      std::snprintf(buf, sizeof buf, " %.2f°", m.unexplained[k].two_theta);
      h << buf;
    }
    h << "</span>";
  }
  h << "</p>\n";
  if (!f.two_theta.empty()) {
    std::vector<io::Curve> curves;
    curves.push_back({"observed", f.two_theta, f.observed, "#1f77b4"});
    curves.push_back({"calculated", f.two_theta, f.calculated, "#000000"});
    for (std::size_t k = 0; k < m.phases.size(); ++k) {
      std::vector<double> y(f.background);
      for (std::size_t i = 0; i < y.size(); ++i) y[i] += f.phases[k].contribution[i];
      curves.push_back({lib.entries[m.phases[k].entry].reduced_formula, f.two_theta, y, kPhaseColours[k % 10]});
    }
    double top = 0;
    for (double v : f.observed) top = std::max(top, v);
    std::vector<double> d(f.observed.size());
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = f.observed[i] - f.calculated[i] - 0.1 * top;
    curves.push_back({"difference (offset)", f.two_theta, d, "#888888"});
    io::PlotOptions po;
    po.title = "joint fit";
    po.y_label = "counts";
    std::string svg = io::svg_plot(curves, po);
    if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find('\n') + 1);  // inline SVG takes no XML declaration
    h << "<figure class=\"mix-fit\">" << svg << "</figure>\n";
  }
  h << "</section>\n";
  return h.str();
}
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
                   {"probability", cand.probability}, {"chance", cand.chance}, {"shift_deg", cand.shift_deg},
                   {"scale", cand.scale}, {"at_search_limit", cand.at_search_limit}, {"source", entry_source(e)},
                   {"reference_fill", e.fill}, {"reference_incomplete", e.incomplete()}});
      nlohmann::json same = nlohmann::json::array();
      for (std::size_t k : cand.same_phase) same.push_back(lib.entries[k].id);
      c.back()["same_phase"] = same;
      if (cand.fit) c.back()["fit"] = fit_to_json(*cand.fit, /*curves=*/false);
      if (const FitResult* f = converged_fit(cand)) {
        c.back()["fit_rwp"] = f->rwp;
        c.back()["volume_change"] = volume_change(cand);
        c.back()["cell"] = cell_to_json(f->cell);
        c.back()["cell_esd"] = cell_to_json(f->cell_esd);
      }
    }
    nlohmann::json qj = {{"file", r.file},
                         {"method", name(r.method)},
                         {"wavelength_angstrom", r.wavelength},
                         {"wavelength_from", r.wavelength_from},
                         {"confident", r.confident},
                         {"candidates", c}};
    if (!r.note.empty()) qj["note"] = r.note;
    if (r.mixture) {
      const MixtureResult& m = *r.mixture;
      nlohmann::json ph = nlohmann::json::array();
      for (std::size_t k = 0; k < m.phases.size(); ++k) {
        const auto& e = lib.entries[m.phases[k].entry];
        const PhaseShare& s = m.fit.phases[k];
        nlohmann::json same = nlohmann::json::array();
        for (std::size_t j : m.phases[k].same_phase) same.push_back(lib.entries[j].id);
        ph.push_back({{"id", e.id},
                      {"formula", e.formula},
                      {"reduced_formula", e.reduced_formula},
                      {"spacegroup_number", e.spacegroup_number},
                      {"weight_fraction", s.weight_fraction},
                      {"weight_fraction_esd", s.weight_fraction_esd},
                      {"cell", {s.cell[0], s.cell[1], s.cell[2], s.cell[3], s.cell[4], s.cell[5]}},
                      {"cell_esd", {s.cell_esd[0], s.cell_esd[1], s.cell_esd[2], s.cell_esd[3], s.cell_esd[4], s.cell_esd[5]}},
                      {"chi2_drop", m.phases[k].chi2_drop},
                      {"lines_chi2_drop", m.phases[k].lines_chi2_drop},
                      {"hit_bound", s.hit_bound},
                      {"volume_change", s.volume_change()},
                      {"source", entry_source(e)},
                      {"reference_incomplete", e.incomplete()},
                      {"same_phase", same}});
        if (s.po_direction != std::array<int, 3>{0, 0, 0})
          ph.back()["preferred_orientation"] = {{"direction", s.po_direction}, {"r", s.po_r}, {"r_esd", s.po_r_esd}};
        if (m.quantified) ph.back().update(phase_quant_json(m.quant, k));
      }
      nlohmann::json un = nlohmann::json::array();
      for (const UnexplainedPeak& u : m.unexplained)
        un.push_back({{"two_theta", u.two_theta}, {"height", u.height}, {"sigmas", u.sigmas}});
      qj["phases"] = ph;
      qj["rwp"] = m.fit.rwp;
      qj["mixture"] = {{"rwp", m.fit.rwp}, {"rexp", m.fit.rexp}, {"gof", m.fit.gof}, {"status", to_string(m.fit.status)},
                       {"zero", m.fit.zero}, {"displacement", m.fit.displacement}, {"fits", m.fits},
                       {"seconds", m.seconds}, {"stopped", m.note}, {"unexplained_peaks", un},
                       {"axis", {{"d_scale", m.d_scale}, {"slope", m.axis_slope}, {"offset", m.axis_offset}}}};
      if (m.quantified) {
        std::vector<std::string> ids;
        for (const MixturePhase& mp : m.phases) ids.push_back(lib.entries[mp.entry].id);
        const nlohmann::json qq = quantification_json(m.quant, ids);
        qj["mixture"]["quantification"] = qq;
        if (m.quant.standard) {
          qj["amorphous_fraction"] = m.quant.amorphous_fraction;
          qj["amorphous_fraction_esd"] = m.quant.amorphous_fraction_esd;
        }
      }
    } else if (!r.mixture_error.empty()) {
      qj["mixture_error"] = r.mixture_error;
    }
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
      if (!c.same_phase.empty()) {
        // The other entries of the row by name; a partial record says so (identify/same_phase.hpp).
        constexpr std::size_t kNamed = 4;
        out << "      same phase:";
        for (std::size_t k = 0; k < c.same_phase.size() && k < kNamed; ++k) {
          const auto& o = lib.entries[c.same_phase[k]];
          out << (k ? ", " : " ") << o.id << (partial_record(o) ? " (a P 1 record of part of the structure)" : "");
        }
        if (c.same_phase.size() > kNamed) out << " ... and " << c.same_phase.size() - kNamed << " more";
        out << "\n";
      }
      if (e.incomplete())
        out << "      reference: its atoms would fill " << std::setprecision(2) << e.fill
            << " of its cell; the CIF probably lacks atoms, so its simulated intensities are wrong\n";
      if (const FitResult* f = converged_fit(c))
        out << "      fit: Rwp " << std::setprecision(3) << f->rwp << ", GoF " << std::setprecision(2) << f->gof
            << ", cell volume " << std::showpos << std::setprecision(2) << volume_change(c) << std::noshowpos
            << " % from the reference" << (f->hit_bound ? " (a parameter on its bound)" : "") << "\n";
    }
    if (!r.note.empty()) out << "  (" << r.note << ")\n";
    if (r.mixture) {
      const MixtureResult& m = *r.mixture;
      out << "  mixture: " << m.phases.size() << " phase" << (m.phases.size() == 1 ? "" : "s") << ", Rwp "
          << std::setprecision(4) << m.fit.rwp << ", GoF " << std::setprecision(2) << m.fit.gof << " (" << m.note << ")\n";
      for (std::size_t k = 0; k < m.phases.size(); ++k) {
        const auto& e = lib.entries[m.phases[k].entry];
        const PhaseShare& s = m.fit.phases[k];
        out << "    " << std::left << std::setw(14) << e.reduced_formula << std::right << " SG " << std::setw(3)
            << e.spacegroup_number << "  " << std::setprecision(1) << std::setw(5) << 100 * s.weight_fraction << " ± "
            << std::setprecision(1) << 100 * s.weight_fraction_esd << " wt%  a " << std::setprecision(4) << s.cell[0]
            << (s.hit_bound ? "  (on a bound)" : "");
        if (s.po_direction != std::array<int, 3>{0, 0, 0})
          out << "  texture [" << s.po_direction[0] << s.po_direction[1] << s.po_direction[2] << "] r "
              << std::setprecision(2) << s.po_r;
        out << "  " << e.id << "\n";
        if (m.quantified) {
          const PhaseQuant& pq = m.quant.phases[k];
          out << "      ";
          if (m.quant.brindley)
            out << "mu " << std::setprecision(1) << pq.mu << " /cm, tau " << std::setprecision(3) << pq.tau
                << ", Brindley " << std::setprecision(1) << 100 * pq.weight_fraction << " ± " << 100 * pq.weight_fraction_esd
                << " wt%" << (m.quant.standard ? "; " : "");
          if (m.quant.standard)
            out << "absolute " << std::setprecision(1) << 100 * pq.absolute_fraction << " ± " << 100 * pq.absolute_fraction_esd
                << " wt%" << (static_cast<int>(k) == m.quant.standard_index ? " (the standard)" : "");
          out << "\n";
        }
      }
      if (m.quantified && m.quant.brindley)
        out << "    micro-absorption (Brindley): grains " << std::setprecision(1) << m.quant.particle_size_um
            << " um, mean mu " << m.quant.mean_mu << " /cm at " << m.quant.line << "\n";
      if (m.quantified && m.quant.standard)
        out << "    amorphous and unidentified: " << std::setprecision(1) << 100 * m.quant.amorphous_fraction << " ± "
            << 100 * m.quant.amorphous_fraction_esd << " wt% of the spiked sample (" << 100 * m.quant.amorphous_fraction_sample
            << " ± " << 100 * m.quant.amorphous_fraction_sample_esd << " wt% of the sample)\n";
      if (!m.unexplained.empty()) {
        out << "    unexplained peaks (2θ):";
        for (std::size_t k = 0; k < m.unexplained.size() && k < 8; ++k)
          out << " " << std::setprecision(2) << m.unexplained[k].two_theta;
        out << "\n";
      }
    } else if (!r.mixture_error.empty()) {
      out << "  mixture: " << r.mixture_error << "\n";
    }
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
    h << "<table><tr><th>rank</th><th>phase</th><th>space group</th><th>elements</th><th>score</th><th>probability</th><th>shift (°)</th>"
         "<th title=\"the fitted cell's volume against the reference's, 100 ln(V/V0)\">cell volume (%)</th><th>source</th></tr>\n";
    int rank = 1;
    for (auto& c : r.candidates) {
      const auto& e = lib.entries[c.entry];
      std::string els;
      for (auto& x : e.elements) els += (els.empty() ? "" : " ") + x;
      char sc[32], sh[32], pr[32];
      std::snprintf(sc, sizeof sc, "%.4f", c.score);
      std::snprintf(pr, sizeof pr, "%.2f", c.probability);
      std::snprintf(sh, sizeof sh, "%+.2f", c.shift_deg);
      char dv[32] = "–";  // rows without a fit
      if (converged_fit(c)) std::snprintf(dv, sizeof dv, "%+.2f", volume_change(c));
      h << "<tr><td>" << rank++ << "</td><td>" << esc(e.reduced_formula) << "</td><td>" << esc(e.spacegroup) << " ("
        << e.spacegroup_number << ")</td><td>" << esc(els) << "</td><td>" << sc << "</td><td>" << pr << "</td><td>" << sh << "</td><td>"
        << dv << "</td><td>" << esc(e.id);
      if (e.incomplete()) {
        char fl[32];
        std::snprintf(fl, sizeof fl, "%.2f", e.fill);
        h << " <span class=\"warn\" title=\"its atoms would fill " << fl
          << " of its cell: the CIF probably lacks atoms, so its simulated intensities are wrong\">(CIF lacks atoms?)</span>";
      }
      for (std::size_t k : c.same_phase)
        h << "<br/>" << esc(lib.entries[k].id) << (partial_record(lib.entries[k]) ? " (P 1 record of part of the structure)" : "");
      h << "</td></tr>\n";
    }
    h << "</table>\n" << rietveld_panel(r, lib);
    if (r.mixture) h << mixture_section(*r.mixture, lib);
    else if (!r.mixture_error.empty()) h << "<p class=\"warn\">Mixture: " << esc(r.mixture_error) << "</p>\n";
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
