// The search options `identify` and `eval` share (background, zero shift, lattice scale,
// hybrid weight), declared once so both commands offer the same names, defaults and checks.
#pragma once
#include <CLI/CLI.hpp>

#include "app/finite.hpp"

#include "identify/identify.hpp"

namespace xrdid::cli {

inline void add_search_options(CLI::App* sub, identify::IdentifyOptions& opt) {
  sub->add_option("--background", opt.background, "snip | beads | none")->capture_default_str()
      ->check(CLI::IsMember({"snip", "beads", "none"}));
  sub->add_option("--noise-floor", opt.noise_floor_sigmas,
                  "after background removal and smoothing, subtract this many local noise sigmas")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 20.0));
  sub->add_option("--profile-exponent", opt.profile_exponent,
                  "intensities compressed as y^e before the profile cosine, so that weak peaks count (profile)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.05, 1.0));
  sub->add_option("--max-shift", opt.max_shift_deg, "zero-shift search range in degrees (profile)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 5.0));
  sub->add_option("--max-strain", opt.max_strain, "lattice-scale search range, 0.012 = ±1.2 % (0 = off) "
                                                  "(profile; follows strain that a zero shift cannot)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 0.1));
  sub->add_option("--strain-step", opt.strain_step, "step of the lattice-scale search")->capture_default_str()
      ->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--strain-penalty", opt.strain_penalty,
                  "score penalty per unit |f - 1| of the lattice-scale search (prior for unstrained samples)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_flag("!--low-temperature", opt.room_temperature,
                "also consider phases that are gases or liquids at room temperature (solid O2, N2, CO2, ice …), "
                "for a sample measured cold");
  sub->add_flag("--skip-incomplete", opt.skip_incomplete,
                "leave out library entries whose CIF probably lacks atoms (their atoms would fill less than half "
                "of their cell: wrong simulated intensities)");
  sub->add_flag("!--every-entry", opt.one_row_per_phase,
                "list every library entry on its own row (default: entries of one phase share a row)");
  sub->add_option("--verify", opt.verify, "fit the best K rows to the measured pattern (cell, zero shift, peak "
                                         "shape, background) and rank them by the fit (0: off)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0, 50));
  sub->add_option("--hybrid-weight", opt.hybrid_weight, "w of hybrid: (1 - w) x profile score + w x model score")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
}

}  // namespace xrdid::cli
