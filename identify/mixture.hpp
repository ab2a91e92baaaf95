// Mixtures: every crystalline phase of a multi-phase pattern and its weight fraction.
//
// Forward selection (as in full-profile phase analysis: search, fit, search the residual), then
// backward elimination:
//   1. the single-phase search's best row starts the set (`first_by_fit`: its best `candidates`
//      rows are each fitted alone and the lowest BIC starts it);
//   2. the residual (measured minus the fitted phases' peaks, background kept) is searched
//      again; each of its best `candidates` rows not already in the set is fitted jointly with
//      the set (identify/mixture_fit.hpp, started from the set's refined values and texture
//      directions; the new phase's direction is chosen in that fit);
//   3. the best of them (lowest BIC) joins when it lowers the BIC — with `prune`, while it also
//      fits its own lines better than the set without it (lines_chi2_drop ≥ 0), up to
//      `max_phases`; stepwise, only while it also takes at least `min_chi2_drop` of the
//      remaining weighted misfit (χ²), `min_lines_chi2_drop` of the misfit over its own lines
//      and `min_weight_fraction` of the sample with its cell volume within `max_volume_change`,
//      the search stopping at the first that does not;
//   4. backward: a phase below a threshold beside an interchangeable partner (interchangeable())
//      makes the two be refitted each without the other, from its CIF, and the worse leaves;
//      then a phase that does not earn its place (its removal gives back less than
//      `min_chi2_drop` of χ² or `min_lines_chi2_drop` over its lines, it makes less than
//      `min_weight_fraction`, or its cell volume moved by more than `max_volume_change`) leaves.
//      Stepwise: the least useful first, one at a time, the rest refitted, until every phase
//      left earns its place. With `prune`: first, one at a time, the further phases that make the
//      fit worse (a negative share); then, at once, every phase below a threshold in the company of
//      all that stayed. The first phase stays unless `judge_first` other phases pass the
//      thresholds (a substitute that replaced it is judged as the further phases are);
//   5. readmission (`readmit`): phases pruned together are fitted again beside those kept, and
//      the best that passes the thresholds comes back, one at a time; the set is judged again.
//   6. axis check (`axis_volume_change`): when the first phase's cell, or the forward set's cells
//      in the median, moved far, the search runs again on the file's axis calibrated against
//      the forward set's phases at their reference cells (identify/axis_calibration.hpp: a
//      linear axis or a wavelength error, whichever lays the peaks on their lines;
//      `axis_calibrate`), and with the wavelength scaled to bring each change back (and, when
//      that wins, calibrated against its forward set). The axis probe, with `axis_calibrate`:
//      when the best common phase (or library row, without common phases) matches only at a
//      lattice scale beyond the search's own range, a short forward search over the common
//      phases gives the phases to calibrate against, and the search runs on that axis too
//      (a wrong first phase whose cell did not move hides the axis error from the check:
//      Li2MnO3 for LiCoO2). The lowest χ² per point is kept when it lies `axis_min_drop` below
//      the first answer's.
// What stays unexplained: runs of the final residual above `unexplained_sigmas` counting-
// statistics σ, reported as peaks (2θ, height) — a missing phase or a misfit.
#pragma once
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "identify/identify.hpp"
#include "identify/mixture_fit.hpp"
#include "identify/quantify.hpp"

namespace xrdid::identify {

struct MixtureOptions {
  int max_phases = 5;
  int candidates = 8;                // rows of each search that are fitted
  // The first phase: the search's best row, as single-phase identify answers (true: the lowest
  // BIC of the search's best `candidates` rows fitted alone). Chosen on the development data's
  // named mixtures and single phases (docs/results.md "Mixtures").
  bool first_by_fit = false;
  // Forward selection to max_phases (while the BIC falls), the thresholds applied once to the
  // whole set by the backward elimination (true), or forward selection stopping at the first
  // phase below a threshold (false): a phase that enters early with too little evidence then no
  // longer ends the search before a real one is tried. Chosen as the thresholds (docs/results.md
  // "Mixtures").
  bool prune = true;
  // With prune, the first phase (the search's best row) always stays (0), or is judged by the
  // thresholds as the further phases are when at least this many other phases pass them: a best
  // row that only stretches onto the strongest peaks of a mixture (a phosphate whose cell volume
  // moves 2.4 %, giving back 2.6 % of χ² beside three of the mixture's phases) then leaves like
  // any other, and pruned it may be readmitted. Beside one other phase it stays: a single phase
  // whose reference fits poorly (a P 1 structure, chlorapatite measured against fluorapatite) can
  // look useless beside one invented phase, and the search's answer holds. It gives way to an
  // alike partner (interchangeable()) only when the partner's fit is lower by
  // substitute_min_drop. 2 chosen by cross-validation over the development data's mixtures and
  // single phases (docs/results.md "Mixtures").
  int judge_first = 2;
  // Chosen by 5-fold cross-validation over the development data's named mixtures pooled with
  // single-phase patterns (scripts/eval_mixtures.py --choose; docs/results.md "Mixtures").
  double min_chi2_drop = 0.2;        // a phase removes at least this share of χ²
  // A phase makes at least this weight fraction: the phases named wrongly on the development
  // data are mostly common phases taking up another phase's misfit at 2–8 wt% (In2O3 beside
  // Ga2O3, HfO2). 0.05 chosen by the same cross-validation as judge_first, on full runs of the
  // search (docs/results.md "Mixtures"); a real phase below it (a 4 wt% Li2TiO3) is lost.
  double min_weight_fraction = 0.05;
  // A further phase's refined cell volume lies within this many per cent of its reference's
  // (|100 ln(V / V0)|; 0: no limit; chosen with the thresholds): a sample's own phase fits with
  // its cell near the published one, a wrong phase only by stretching its cell onto another
  // phase's peaks or misfit.
  double max_volume_change = 1.5;
  // A phase removes at least this share of the misfit over its own lines (lines_chi2_drop; chosen
  // with the other thresholds): a real minor phase explains the peaks it predicts, an invented
  // one predicts lines that are not there or only soaks up another phase's misfit.
  double min_lines_chi2_drop = 0.3;
  // A further phase (not the first) with more reflections than this in the fit range is not
  // tried (0: no limit): a large low-symmetry cell spreads its intensity over thousands of weak
  // lines that take up any misfit, and its joint fits cost seconds each. The residual search's
  // next rows within the limit take its place (up to 4 × `candidates` rows deep). Between 10 and
  // 100° (Cu Kα) every bundled phase has at most 361 (docs/results.md "Mixtures").
  int max_reflections = 600;
  // Substitutes, after the forward search: each phase's own pattern (the measured one less the
  // other phases' peaks) is searched again, its best `substitutes` rows that a fit could stretch
  // onto the same peaks (interchangeable()) are each fitted in its place, from their CIFs, and
  // the one with the lowest BIC replaces it when that is lower than the set's by at least the
  // share substitute_min_drop (0: off). Two references of one measured phase differ by a few
  // per cent (LiF and LiH 3.5 %, Li2MnO3 and Li2TiO3 8 % on the development data); a wrong member
  // of a family by 16–45 % (HfO2 for ZrO2, Er2O3 or Dy2O3 for Y2O3, Mg2TiO4 for Fe3O4): the
  // share sits between, chosen on those data (docs/results.md "Mixtures").
  int substitutes = 3;
  double substitute_min_drop = 0.1;
  // Let library entries whose CIF probably lacks atoms (xrd::LibraryEntry::incomplete()) join a
  // mixture as further phases or substitutes (the first phase, the search's best row, may always
  // be one). Off: with wrong intensities such an entry takes up the lines other phases leave
  // unexplained (on the development data's mixtures with every development CIF, 33 of the 99
  // wrong phases of a permissive search and none of the 177 right ones, none of them a first
  // phase; docs/results.md "Mixtures").
  bool incomplete_references = false;
  // Common phases, as phase_key()s (the bundled library's, when another library is searched). A
  // candidate outside them is taken only when its fit's BIC is lower than the best fitted common
  // candidate's by more than the share common_prior (the BIC is mostly the weighted misfit χ²,
  // whose scale grows with the counts); for the first phase, the search's best common row is
  // fitted beside its best row. Empty, or 0: no preference (the default: on the development data
  // it found more phases of the named mixtures but answered minerals with common isostructural
  // relatives; docs/results.md "Mixtures").
  std::set<std::string> common;
  double common_prior = 0;
  // Each residual search is repeated over the common phases alone, and their best
  // `common_candidates` rows (not already fitted) are fitted beside the search's best rows: with
  // a large library, entries of unusual chemistry and large cells fill the residual search's
  // first rows, and a common phase whose lines are left (anatase beside Bi2O3 and LiCoO2) is
  // never tried. Chosen as the candidates, by the lowest BIC, with no preference. 0: off; no
  // effect without `common` or when every library entry is common. 2, and readmit below, chosen
  // by cross-validation over the development data's mixtures and single phases with the library
  // of every development CIF and the bundled phases (docs/results.md "Mixtures").
  int common_candidates = 2;
  // After pruning, each pruned phase is fitted again beside the phases kept, and the best that
  // passes the thresholds comes back, one at a time (phases that share lines are pruned
  // together: Li2MnO3 beside an Li2TiO3 that took up part of its lines).
  bool readmit = true;
  double unexplained_sigmas = 6.0;
  // A d-spacing scale common to every phase is an error of the pattern's 2θ axis or wavelength,
  // not of the phases: when the first phase's refined cell volume moved by more than this many
  // per cent (|100 ln(V / V0)|; 0: never), or else the median change over the phases the forward
  // search found did (the first phase an alike wrong one whose cell stretched less onto the
  // peaks: ZrO2 for HfO2), the search is run again on the calibrated axis (axis_calibrate) and
  // with the wavelength scaled so that that change returns to zero (λ' = λ / f,
  // f = exp(ΔV / 300); each of the two changes in a search of its own when they differ), and the
  // answer of lowest χ² per point is taken when it is lower than the first answer's by at least
  // the share axis_min_drop. Each further phase would
  // otherwise stretch its cell by as much and fail max_volume_change (the development data's
  // 2-minute scans, whose axes read 2.2 % short against the 12-minute scans of the same samples:
  // docs/results.md "Mixtures").
  double axis_volume_change = 3.0;
  double axis_min_drop = 0.1;
  // The axis check's searches on the axis calibrated against the phases found (identify/
  // axis_calibration.hpp), beside those on a scaled wavelength, and the axis probe (step 6)
  // (false: the scaled ones alone).
  bool axis_calibrate = true;
  // The joint fits' options: March–Dollase preferred orientation per phase on (cross-validated as
  // the thresholds).
  FitOptions fit = [] {
    FitOptions f;
    f.preferred_orientation = true;
    return f;
  }();
  // Micro-absorption correction and internal standard of the final set (identify/quantify.hpp);
  // none by default.
  QuantOptions quant;
};

// The key under which library entries count as one phase: reduced formula and space group.
std::string phase_key(const xrd::LibraryEntry& e);
// The phase_key()s of a library's entries (the common phases, from the bundled library).
std::set<std::string> phase_keys(const xrd::Library& lib);

// Whether a joint fit can stretch either of two library entries onto the other's peaks: the
// same crystal family (triclinic, monoclinic, orthorhombic, tetragonal, hexagonal with
// trigonal, cubic) and cell lengths within `cell_bound` of each other, angles within 2° (ZrO2
// and HfO2, Fe2O3 and Cr2O3, Y2O3 and Dy2O3).
bool interchangeable(const xrd::LibraryEntry& a, const xrd::LibraryEntry& b, double cell_bound);

struct MixturePhase {
  std::size_t entry = 0;  // library entry
  std::vector<std::size_t> same_phase;
  double chi2_drop = 0;   // share of χ² that removing it from the final set would give back (1 alone)
  // The same share over its own lines only (the points where its fitted peaks exceed 2 counting σ,
  // see lines_chi2_drop; 1 alone).
  double lines_chi2_drop = 0;
};

struct UnexplainedPeak {
  double two_theta = 0;  // of the residual's maximum in the run
  double height = 0;     // residual there (counts)
  double sigmas = 0;     // height / σ
};

struct MixtureResult {
  std::vector<MixturePhase> phases;  // in the order found; fit.phases holds the same order
  MixtureFit fit;
  std::vector<UnexplainedPeak> unexplained;
  int fits = 0;        // joint fits tried
  double seconds = 0;
  std::string note;    // why the forward search stopped, and the phases the backward rounds left out
  // The axis the answer was found on (step 6): d-spacings read × d_scale (a scaled wavelength),
  // and true 2θ = axis_slope × the file's 2θ + axis_offset (a calibrated axis); 1, 1, 0 when the
  // file's axis and wavelength stood.
  double d_scale = 1.0, axis_slope = 1.0, axis_offset = 0.0;
  bool quantified = false;  // MixtureOptions::quant was active: `quant` holds its result
  Quantification quant;
};

// The share of the weighted misfit over phase `k`'s lines in `with` — the points where its fitted
// peaks exceed 2 counting σ, √w · y_k > 2 with w = 1/max(y_o, 1) — that `with` removes against
// `without` (the set fitted without it, on the same points): (χ²_without − χ²_with) / χ²_without
// over those points; 0 when it has no such points or the two fits' ranges differ.
double lines_chi2_drop(const MixtureFit& with, std::size_t k, const MixtureFit& without);

// `opt` is the single-phase search's (method, filters, top is raised to `candidates`). With
// mopt.quant active, the final set is quantified (throws, as quantify does, when its standard is
// not among the phases found).
MixtureResult identify_mixture(const Identifier& id, const xrd::Pattern& measured, const IdentifyOptions& opt,
                               const MixtureOptions& mopt = {});

}  // namespace xrdid::identify
