// libxrdid: ranking a library against a pattern, and the phases of a mixture.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <xrdid/xrdid.h>

#include "capi/c_boundary.hpp"
#include "capi/handles.hpp"
#include "common/check.hpp"
#include "identify/mixture.hpp"
#include "identify/report.hpp"
#include "io/pattern_io.hpp"
#include "xrd/elements.hpp"

using xrdid::capi::copy_text;
using xrdid::capi::guarded;
namespace id = xrdid::identify;

namespace {

// The measured pattern from the caller's arrays, refused with one clear message when it cannot
// be a pattern: NULL arrays, fewer than two points, NaN or infinite values, 2θ not strictly
// increasing, a wavelength that is not a positive number.
xrdid::xrd::Pattern pattern_from(const char* fn, const double* two_theta, const double* intensity, std::size_t n,
                                 double wavelength, const xrdid_options& o) {
  const std::string f(fn);
  XRDID_CHECK(n >= 2, f + ": a pattern needs at least 2 points, got " + std::to_string(n));
  XRDID_CHECK(two_theta != nullptr && intensity != nullptr, f + ": two_theta or intensity is NULL");
  XRDID_CHECK(std::isfinite(wavelength) && wavelength > 0,
              f + ": the wavelength must be a positive number of Å, got " + xrdid::capi::number_text(wavelength));
  XRDID_CHECK(std::isfinite(o.alpha2_angstrom) && o.alpha2_angstrom >= 0 && std::isfinite(o.alpha2_ratio) &&
                  o.alpha2_ratio >= 0,
              f + ": alpha2_angstrom and alpha2_ratio must be finite and >= 0");
  xrdid::xrd::Pattern p;
  p.two_theta.assign(two_theta, two_theta + n);
  p.intensity.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    XRDID_CHECK(std::isfinite(two_theta[i]) && std::isfinite(intensity[i]),
                f + ": point " + std::to_string(i) + " is not a finite number");
    XRDID_CHECK(i == 0 || two_theta[i] > two_theta[i - 1],
                f + ": two_theta must increase strictly (point " + std::to_string(i) + ": " +
                    xrdid::capi::number_text(two_theta[i]) + " after " + xrdid::capi::number_text(two_theta[i - 1]) + ")");
    p.intensity[i] = static_cast<float>(intensity[i]);
  }
  p.wavelength = {wavelength, o.alpha2_angstrom, o.alpha2_ratio};
  p.source = "pattern";
  xrdid::io::validate_pattern(p, f);  // the file readers' remaining checks (2θ range)
  return p;
}

const xrdid_options& options_or_defaults(const xrdid_options* options, xrdid_options& defaults) {
  if (options == nullptr) {
    xrdid_options_init(&defaults);
    return defaults;
  }
  // A struct of an earlier layout — one that ends at standard_fraction (before the
  // mixture-selection fields), at profile_exponent (before low_temperature), at
  // mixture_substitute_drop (before mixture_max_volume_change), at mixture_max_volume_change
  // (before mixture_common_candidates), at mixture_texture_range (before mixture_judge_first) or
  // at mixture_texture_lines (before mixture_axis_check) or at mixture_axis_check (before
  // mixture_axis_calibration) — keeps the defaults of the later fields.
  constexpr std::size_t kEnds[] = {offsetof(xrdid_options, min_lines_chi2_drop),
                                   offsetof(xrdid_options, low_temperature),
                                   offsetof(xrdid_options, mixture_max_volume_change),
                                   offsetof(xrdid_options, mixture_common_candidates),
                                   offsetof(xrdid_options, mixture_judge_first),
                                   offsetof(xrdid_options, mixture_axis_check),
                                   offsetof(xrdid_options, mixture_axis_calibration)};
  const std::size_t size = options->struct_size;
  XRDID_CHECK(size == sizeof(xrdid_options) || std::find(std::begin(kEnds), std::end(kEnds), size) != std::end(kEnds),
              "options were not set up by xrdid_options_init (struct_size " + std::to_string(size) + ", expected " +
                  std::to_string(sizeof(xrdid_options)) + ")");
  if (size == sizeof(xrdid_options)) return *options;
  xrdid_options_init(&defaults);
  std::memcpy(static_cast<void*>(&defaults), static_cast<const void*>(options), size);
  defaults.struct_size = sizeof(xrdid_options);
  return defaults;
}

id::IdentifyOptions search_options(const xrdid_options& o) {
  id::IdentifyOptions s;
  XRDID_CHECK(o.method >= XRDID_METHOD_PROFILE && o.method <= XRDID_METHOD_HYBRID,
              "options.method: unknown method " + std::to_string(o.method));
  constexpr id::Method methods[] = {id::Method::Profile, id::Method::Peaks, id::Method::Model, id::Method::Hybrid};
  s.method = methods[o.method];
  const std::string background = o.background ? o.background : "snip";
  XRDID_CHECK(background == "snip" || background == "beads" || background == "none",
              "options.background: expected snip, beads or none, got '" + background + "'");
  s.background = background;
  XRDID_CHECK(o.verify >= 0 && o.verify <= 50, "options.verify: expected 0 to 50");
  s.verify = o.verify;
  s.one_row_per_phase = o.every_entry == 0;
  if (o.require) s.require = xrdid::xrd::parse_element_list(o.require, "options.require");
  if (o.exclude) s.exclude = xrdid::xrd::parse_element_list(o.exclude, "options.exclude");
  if (o.only) s.only = xrdid::xrd::parse_element_list(o.only, "options.only");
  auto in = [](double v, double lo, double hi, const char* name) {
    XRDID_CHECK(std::isfinite(v) && v >= lo && v <= hi, std::string("options.") + name + ": expected " +
                                                            xrdid::capi::number_text(lo) + " to " + xrdid::capi::number_text(hi));
    return v;
  };
  s.max_shift_deg = in(o.max_shift_deg, 0, 5, "max_shift_deg");
  s.max_strain = in(o.max_strain, 0, 0.1, "max_strain");
  s.strain_step = in(o.strain_step, 1e-6, 0.1, "strain_step");
  s.strain_penalty = in(o.strain_penalty, 0, 1e6, "strain_penalty");
  s.noise_floor_sigmas = in(o.noise_floor_sigmas, 0, 20, "noise_floor_sigmas");
  s.hybrid_weight = in(o.hybrid_weight, 0, 1, "hybrid_weight");
  // negative: the method's calibrated threshold
  s.min_probability = o.min_probability < 0 ? -1.0 : in(o.min_probability, 0, 1, "min_probability");
  XRDID_CHECK(std::isfinite(o.profile_exponent) && o.profile_exponent > 0 && o.profile_exponent <= 1,
              "options.profile_exponent: expected more than 0, at most 1");
  s.profile_exponent = o.profile_exponent;
  s.room_temperature = o.low_temperature == 0;
  return s;
}

id::MixtureOptions mixture_options(const xrdid_options& o) {
  id::MixtureOptions m;
  XRDID_CHECK(o.max_phases >= 1 && o.max_phases <= 8, "options.max_phases: expected 1 to 8");
  XRDID_CHECK(std::isfinite(o.min_chi2_drop) && o.min_chi2_drop >= 0 && o.min_chi2_drop <= 1,
              "options.min_chi2_drop: expected 0 to 1");
  XRDID_CHECK(std::isfinite(o.min_weight_fraction) && o.min_weight_fraction >= 0 && o.min_weight_fraction <= 1,
              "options.min_weight_fraction: expected 0 to 1");
  m.max_phases = o.max_phases;
  m.min_chi2_drop = o.min_chi2_drop;
  m.min_weight_fraction = o.min_weight_fraction;
  XRDID_CHECK(std::isfinite(o.min_lines_chi2_drop) && o.min_lines_chi2_drop >= 0 && o.min_lines_chi2_drop <= 1,
              "options.min_lines_chi2_drop: expected 0 to 1");
  m.min_lines_chi2_drop = o.min_lines_chi2_drop;
  XRDID_CHECK(o.mixture_selection == XRDID_SELECTION_PRUNE || o.mixture_selection == XRDID_SELECTION_STEPWISE,
              "options.mixture_selection: expected XRDID_SELECTION_PRUNE or XRDID_SELECTION_STEPWISE");
  m.prune = o.mixture_selection == XRDID_SELECTION_PRUNE;
  XRDID_CHECK(o.mixture_first == XRDID_FIRST_SEARCH || o.mixture_first == XRDID_FIRST_FIT,
              "options.mixture_first: expected XRDID_FIRST_SEARCH or XRDID_FIRST_FIT");
  m.first_by_fit = o.mixture_first == XRDID_FIRST_FIT;
  XRDID_CHECK(std::isfinite(o.mixture_cell_bound) && o.mixture_cell_bound >= 0.001 && o.mixture_cell_bound <= 0.19,
              "options.mixture_cell_bound: expected 0.001 to 0.19");
  m.fit.cell_bound = o.mixture_cell_bound;
  m.fit.preferred_orientation = o.mixture_texture != 0;
  XRDID_CHECK(o.mixture_max_reflections >= 0, "options.mixture_max_reflections: expected >= 0 (0: no limit)");
  m.max_reflections = o.mixture_max_reflections;
  XRDID_CHECK(o.mixture_substitutes >= 0 && o.mixture_substitutes <= 20, "options.mixture_substitutes: expected 0 to 20");
  m.substitutes = o.mixture_substitutes;
  XRDID_CHECK(std::isfinite(o.mixture_substitute_drop) && o.mixture_substitute_drop >= 0 && o.mixture_substitute_drop <= 1,
              "options.mixture_substitute_drop: expected 0 to 1");
  m.substitute_min_drop = o.mixture_substitute_drop;
  XRDID_CHECK(std::isfinite(o.mixture_max_volume_change) && o.mixture_max_volume_change >= 0 &&
                  o.mixture_max_volume_change <= 100,
              "options.mixture_max_volume_change: expected 0 to 100 (0: no limit)");
  m.max_volume_change = o.mixture_max_volume_change;
  XRDID_CHECK(o.mixture_common_candidates >= 0 && o.mixture_common_candidates <= 20,
              "options.mixture_common_candidates: expected 0 to 20");
  m.common_candidates = o.mixture_common_candidates;
  XRDID_CHECK(o.mixture_readmit == 0 || o.mixture_readmit == 1, "options.mixture_readmit: expected 0 or 1");
  m.readmit = o.mixture_readmit != 0;
  XRDID_CHECK(std::isfinite(o.mixture_texture_range) && o.mixture_texture_range >= 1 && o.mixture_texture_range <= 10,
              "options.mixture_texture_range: expected 1 to 10");
  m.fit.mixture_po_range = o.mixture_texture_range;
  XRDID_CHECK(o.mixture_judge_first >= 0 && o.mixture_judge_first <= 7, "options.mixture_judge_first: expected 0 to 7");
  m.judge_first = o.mixture_judge_first;
  XRDID_CHECK(o.mixture_texture_lines >= 0 && o.mixture_texture_lines <= 20,
              "options.mixture_texture_lines: expected 0 to 20");
  m.fit.po_strong_lines = o.mixture_texture_lines;
  XRDID_CHECK(std::isfinite(o.mixture_axis_check) && o.mixture_axis_check >= 0 && o.mixture_axis_check <= 100,
              "options.mixture_axis_check: expected 0 to 100 (0: off)");
  m.axis_volume_change = o.mixture_axis_check;
  XRDID_CHECK(o.mixture_axis_calibration == 0 || o.mixture_axis_calibration == 1,
              "options.mixture_axis_calibration: expected 0 or 1");
  m.axis_calibrate = o.mixture_axis_calibration != 0;
  XRDID_CHECK(std::isfinite(o.brindley_size_um) && o.brindley_size_um >= 0,
              "options.brindley_size_um: expected a grain diameter in µm >= 0 (0: no correction)");
  m.quant.brindley_size_um = o.brindley_size_um;
  if (o.standard != nullptr) m.quant.standard = o.standard;
  m.quant.standard_fraction = o.standard_fraction;
  id::check_quant_options(m.quant);
  return m;
}

void fill(xrdid_candidate& out, int rank, const id::Candidate& c, const xrdid::xrd::LibraryEntry& e) {
  out = xrdid_candidate{};
  out.rank = rank;
  out.score = c.score;
  out.spacegroup_number = e.spacegroup_number;
  copy_text(out.id, e.id);
  copy_text(out.formula, e.formula);
  copy_text(out.reduced_formula, e.reduced_formula);
  copy_text(out.source, id::entry_source(e));
  out.probability = c.probability;
  out.shift_deg = c.shift_deg;
  out.lattice_scale = c.scale;
}

}  // namespace

extern "C" {

void xrdid_options_init(xrdid_options* options) {
  if (options == nullptr) return;
  const id::IdentifyOptions s;
  const id::MixtureOptions m;
  *options = xrdid_options{};
  options->struct_size = sizeof(xrdid_options);
  options->method = XRDID_METHOD_PROFILE;
  options->verify = s.verify;
  options->every_entry = s.one_row_per_phase ? 0 : 1;
  options->background = "snip";
  options->max_shift_deg = s.max_shift_deg;
  options->max_strain = s.max_strain;
  options->strain_step = s.strain_step;
  options->strain_penalty = s.strain_penalty;
  options->noise_floor_sigmas = s.noise_floor_sigmas;
  options->hybrid_weight = s.hybrid_weight;
  options->min_probability = s.min_probability;
  options->alpha2_angstrom = 0.0;
  options->alpha2_ratio = 0.5;
  options->max_phases = m.max_phases;
  options->min_chi2_drop = m.min_chi2_drop;
  options->min_weight_fraction = m.min_weight_fraction;
  options->brindley_size_um = 0.0;
  options->standard = nullptr;
  options->standard_fraction = 0.0;
  options->min_lines_chi2_drop = m.min_lines_chi2_drop;
  options->mixture_selection = m.prune ? XRDID_SELECTION_PRUNE : XRDID_SELECTION_STEPWISE;
  options->mixture_first = m.first_by_fit ? XRDID_FIRST_FIT : XRDID_FIRST_SEARCH;
  options->mixture_cell_bound = m.fit.cell_bound;
  options->mixture_texture = m.fit.preferred_orientation ? 1 : 0;
  options->mixture_max_reflections = m.max_reflections;
  options->profile_exponent = s.profile_exponent;
  options->low_temperature = s.room_temperature ? 0 : 1;
  options->mixture_substitutes = m.substitutes;
  options->mixture_max_volume_change = m.max_volume_change;
  options->mixture_substitute_drop = m.substitute_min_drop;
  options->mixture_common_candidates = m.common_candidates;
  options->mixture_readmit = m.readmit ? 1 : 0;
  options->mixture_texture_range = m.fit.mixture_po_range;
  options->mixture_judge_first = m.judge_first;
  options->mixture_texture_lines = m.fit.po_strong_lines;
  options->mixture_axis_check = m.axis_volume_change;
  options->mixture_axis_calibration = m.axis_calibrate ? 1 : 0;
}

int xrdid_identify_ex(const xrdid_library* library, const xrdid_model* model, const double* two_theta,
                      const double* intensity, size_t n, double wavelength_angstrom, const xrdid_options* options,
                      xrdid_candidate* out, int max, int* confident) {
  return guarded<int>(-1, [&] {
    XRDID_CHECK(library != nullptr, "xrdid_identify: library is NULL");
    XRDID_CHECK(out != nullptr && max >= 1, "xrdid_identify: need an output array of max >= 1 rows");
    xrdid_options defaults;
    const xrdid_options& o = options_or_defaults(options, defaults);
    id::IdentifyOptions s = search_options(o);
    XRDID_CHECK(!id::uses_model(s.method) || model != nullptr,
                "xrdid_identify: method " + std::string(id::name(s.method)) + " needs a model");
    s.top = max;
    const auto p = pattern_from("xrdid_identify", two_theta, intensity, n, wavelength_angstrom, o);
    const id::Identifier& ident = library->identifier(id::uses_model(s.method) ? model : nullptr);
    const id::IdentifyResult r = ident.identify(p, s);
    const int rows = static_cast<int>(std::min<std::size_t>(r.candidates.size(), static_cast<std::size_t>(max)));
    for (int k = 0; k < rows; ++k) fill(out[k], k + 1, r.candidates[k], library->library.entries[r.candidates[k].entry]);
    if (confident != nullptr) *confident = r.confident ? 1 : 0;
    return rows;
  });
}

int xrdid_identify(const xrdid_library* library, const xrdid_model* model, const double* two_theta,
                   const double* intensity, size_t n, double wavelength_angstrom, xrdid_candidate* out, int max) {
  xrdid_options o;
  xrdid_options_init(&o);
  o.method = model != nullptr ? XRDID_METHOD_HYBRID : XRDID_METHOD_PROFILE;
  return xrdid_identify_ex(library, model, two_theta, intensity, n, wavelength_angstrom, &o, out, max, nullptr);
}

char* xrdid_identify_json(const xrdid_library* library, const xrdid_model* model, const double* two_theta,
                          const double* intensity, size_t n, double wavelength_angstrom, const xrdid_options* options,
                          int max, int mixture) {
  return guarded<char*>(nullptr, [&] {
    XRDID_CHECK(library != nullptr, "xrdid_identify_json: library is NULL");
    XRDID_CHECK(max >= 1, "xrdid_identify_json: max must be >= 1, got " + std::to_string(max));
    xrdid_options defaults;
    const xrdid_options& o = options_or_defaults(options, defaults);
    id::IdentifyOptions s = search_options(o);
    XRDID_CHECK(!id::uses_model(s.method) || model != nullptr,
                "xrdid_identify_json: method " + std::string(id::name(s.method)) + " needs a model");
    XRDID_CHECK(!mixture || !id::uses_model(s.method),
                "xrdid_identify_json: the mixture search uses the profile or peaks method");
    id::MixtureOptions m = mixture ? mixture_options(o) : id::MixtureOptions{};
    m.common = library->common;
    s.top = max;
    const auto p = pattern_from("xrdid_identify_json", two_theta, intensity, n, wavelength_angstrom, o);
    const id::Identifier& ident = library->identifier(id::uses_model(s.method) ? model : nullptr);
    id::IdentifyResult r = ident.identify(p, s);
    r.wavelength_from = "caller";
    if (mixture) r.mixture = std::make_shared<const id::MixtureResult>(id::identify_mixture(ident, p, s, m));
    const std::string text = id::results_to_json({r}, library->library)["queries"][0].dump();
    char* out = static_cast<char*>(std::malloc(text.size() + 1));
    XRDID_CHECK(out != nullptr, "xrdid_identify_json: out of memory");
    std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
  });
}

void xrdid_free(void* p) { std::free(p); }

int xrdid_identify_mixture(const xrdid_library* library, const double* two_theta, const double* intensity, size_t n,
                           double wavelength_angstrom, const xrdid_options* options, xrdid_phase* out, int max,
                           double* rwp) {
  return xrdid_identify_mixture_quant(library, two_theta, intensity, n, wavelength_angstrom, options, out, nullptr, max,
                                      rwp, nullptr, nullptr);
}

int xrdid_identify_mixture_quant(const xrdid_library* library, const double* two_theta, const double* intensity,
                                 size_t n, double wavelength_angstrom, const xrdid_options* options, xrdid_phase* out,
                                 xrdid_phase_quant* quant, int max, double* rwp, double* amorphous,
                                 double* amorphous_esd) {
  return guarded<int>(-1, [&] {
    XRDID_CHECK(library != nullptr, "xrdid_identify_mixture: library is NULL");
    XRDID_CHECK(out != nullptr && max >= 1, "xrdid_identify_mixture: need an output array of max >= 1 phases");
    xrdid_options defaults;
    const xrdid_options& o = options_or_defaults(options, defaults);
    id::IdentifyOptions s = search_options(o);
    XRDID_CHECK(!id::uses_model(s.method), "xrdid_identify_mixture: the mixture search uses the profile or peaks method");
    id::MixtureOptions m = mixture_options(o);
    m.common = library->common;
    const auto p = pattern_from("xrdid_identify_mixture", two_theta, intensity, n, wavelength_angstrom, o);
    const id::MixtureResult r = id::identify_mixture(library->identifier(nullptr), p, s, m);
    const int rows = static_cast<int>(std::min<std::size_t>(r.phases.size(), static_cast<std::size_t>(max)));
    for (int k = 0; k < rows; ++k) {
      const auto& e = library->library.entries[r.phases[k].entry];
      xrdid_phase& ph = out[k];
      ph = xrdid_phase{};
      ph.spacegroup_number = e.spacegroup_number;
      ph.weight_fraction = r.fit.phases[k].weight_fraction;
      ph.weight_fraction_esd = r.fit.phases[k].weight_fraction_esd;
      copy_text(ph.id, e.id);
      copy_text(ph.formula, e.formula);
      copy_text(ph.reduced_formula, e.reduced_formula);
      copy_text(ph.source, id::entry_source(e));
      if (quant != nullptr) {
        xrdid_phase_quant& q = quant[k];
        q = xrdid_phase_quant{};
        q.brindley_tau = 1.0;
        q.brindley_weight_fraction = ph.weight_fraction;
        q.brindley_weight_fraction_esd = ph.weight_fraction_esd;
        if (r.quantified) {
          const id::PhaseQuant& pq = r.quant.phases[static_cast<std::size_t>(k)];
          q.mu_per_cm = pq.mu;
          q.brindley_tau = pq.tau;
          q.brindley_weight_fraction = pq.weight_fraction;
          q.brindley_weight_fraction_esd = pq.weight_fraction_esd;
          q.absolute_fraction = pq.absolute_fraction;
          q.absolute_fraction_esd = pq.absolute_fraction_esd;
        }
      }
    }
    if (amorphous != nullptr) *amorphous = r.quantified && r.quant.standard ? r.quant.amorphous_fraction : 0.0;
    if (amorphous_esd != nullptr)
      *amorphous_esd = r.quantified && r.quant.standard ? r.quant.amorphous_fraction_esd : 0.0;
    if (rwp != nullptr) *rwp = r.fit.rwp;
    return rows;
  });
}

}  // extern "C"
