// Mixtures: forward selection of phases by search, joint fit and the residual (see mixture.hpp).
#include "identify/mixture.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <map>
#include <set>

#include "common/check.hpp"
#include "identify/axis_calibration.hpp"

namespace xrdid::identify {

std::string phase_key(const xrd::LibraryEntry& e) {
  return e.reduced_formula + "#" + std::to_string(e.spacegroup_number);
}

std::set<std::string> phase_keys(const xrd::Library& lib) {
  std::set<std::string> keys;
  for (const xrd::LibraryEntry& e : lib.entries) keys.insert(phase_key(e));
  return keys;
}

namespace {

// The measured pattern with the fitted phases' peaks taken away (background kept), clipped at 0;
// phase `keep` (none when out of range) keeps its peaks.
xrd::Pattern residual_pattern(const xrd::Pattern& measured, const MixtureFit& f, std::size_t keep = SIZE_MAX) {
  xrd::Pattern r = measured;
  if (f.two_theta.empty()) return r;
  const auto it = std::lower_bound(measured.two_theta.begin(), measured.two_theta.end(), f.two_theta.front());
  const auto i0 = static_cast<std::size_t>(it - measured.two_theta.begin());
  for (std::size_t k = 0; k < f.two_theta.size() && i0 + k < r.size(); ++k) {
    double peaks = 0;
    for (std::size_t j = 0; j < f.phases.size(); ++j)
      if (j != keep) peaks += f.phases[j].contribution[k];
    r.intensity[i0 + k] = static_cast<float>(std::max(0.0, static_cast<double>(measured.intensity[i0 + k]) - peaks));
  }
  r.source = measured.source + " (residual)";
  return r;
}

// The W a later fit starts a phase with: U and V start at 0 there, so the phase keeps its FWHM at
// the middle of the range (its own W alone can leave needle peaks, or none, when the refined U,
// V were far from 0).
double start_w(const PhaseShare& ph) { return ph.fwhm2_mid > 1e-6 ? ph.fwhm2_mid : ph.fwhm_w; }

// Starting values for a joint fit from an earlier one's phases, leaving out those marked in
// `drop` (indexed as f.phases; missing entries keep their phase); the shared zero shift goes with
// the first.
std::vector<PhaseStart> starts_from(const MixtureFit& f, const std::vector<char>& drop) {
  std::vector<PhaseStart> starts;
  for (std::size_t j = 0; j < f.phases.size(); ++j) {
    if (j < drop.size() && drop[j]) continue;
    const PhaseShare& ph = f.phases[j];
    PhaseStart st;
    st.scale = ph.scale;
    st.W = start_w(ph);
    st.eta = ph.eta;
    st.cell = ph.cell;
    st.po_decided = true;
    st.po_direction = ph.po_direction;
    st.po_r = ph.po_r;
    starts.push_back(st);
  }
  if (!starts.empty()) {
    starts.front().zero = f.zero;
    starts.front().displacement = f.displacement;
  }
  return starts;
}

// The same, leaving out phase `skip` (none when out of range).
std::vector<PhaseStart> starts_from(const MixtureFit& f, std::size_t skip) {
  std::vector<char> drop(f.phases.size(), 0);
  if (skip < drop.size()) drop[skip] = 1;
  return starts_from(f, drop);
}

std::vector<UnexplainedPeak> unexplained_peaks(const MixtureFit& f, double sigmas) {
  std::vector<UnexplainedPeak> out;
  const std::size_t n = f.two_theta.size();
  std::size_t i = 0;
  while (i < n) {
    auto z_at = [&](std::size_t k) {
      return (f.observed[k] - f.calculated[k]) / std::sqrt(std::max(f.calculated[k], 1.0));
    };
    if (z_at(i) <= sigmas) {
      ++i;
      continue;
    }
    std::size_t best = i;
    while (i < n && z_at(i) > sigmas) {
      if (f.observed[i] - f.calculated[i] > f.observed[best] - f.calculated[best]) best = i;
      ++i;
    }
    const double height = f.observed[best] - f.calculated[best];
    // Within 0.5° of the range's ends a background that turns up or down is the likelier cause.
    if (f.two_theta[best] < f.two_theta.front() + 0.5 || f.two_theta[best] > f.two_theta.back() - 0.5) continue;
    double peaks = 0;
    for (const PhaseShare& ph : f.phases) peaks += ph.contribution[best];
    if (peaks > 0.1 * height) continue;  // on top of a fitted peak: a misfit of that peak, not a new one
    out.push_back({f.two_theta[best], height, z_at(best)});
  }
  std::sort(out.begin(), out.end(), [](const UnexplainedPeak& a, const UnexplainedPeak& b) { return a.height > b.height; });
  if (out.size() > 20) out.resize(20);
  return out;
}

// One candidate fitted jointly with a set of phases.
struct CandidateFit {
  const Candidate* candidate = nullptr;
  std::shared_ptr<const xrd::Crystal> crystal;
  MixtureFit fit;
  bool ok = false;
  std::string error;  // why it could not be fitted
};

// Fits each candidate together with `set` (started from `starts`), in parallel; the results keep
// the candidates' order.
std::vector<CandidateFit> fit_candidates(const Identifier& id, const xrd::Pattern& measured,
                                         const std::vector<const xrd::Crystal*>& set,
                                         const std::vector<const Candidate*>& candidates, const FitOptions& fo,
                                         const std::vector<PhaseStart>& starts) {
  std::vector<CandidateFit> out(candidates.size());
  // The set's own refinement before each candidate's cell search is the same for every candidate.
  PlacedRefinement placed;
  if (!set.empty() && starts.size() == set.size() + 1 && !(starts.back().scale > 0) && candidates.size() > 1) {
    try {
      std::vector<const xrd::Crystal*> with = set;
      const std::shared_ptr<const xrd::Crystal> c0 = id.crystal(candidates.front()->entry);
      with.push_back(c0.get());
      placed = placed_refinement(measured, with, fo, starts);
    } catch (const std::exception&) {
      placed = PlacedRefinement{};  // each candidate's fit refines the set itself
    }
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    CandidateFit& t = out[k];
    t.candidate = candidates[k];
    try {
      t.crystal = id.crystal(t.candidate->entry);
      std::vector<const xrd::Crystal*> with = set;
      with.push_back(t.crystal.get());
      t.fit = placed.ready ? fit_mixture(measured, with, fo, starts, placed) : fit_mixture(measured, with, fo, starts);
      t.ok = t.fit.ok();
    } catch (const std::exception& e) {
      t.error = e.what();
      if (t.error.rfind("xrdid: ", 0) == 0) t.error.erase(0, 7);
    }
  }
  return out;
}

// A residual search lists this many times the candidates per step, so that rows over the
// reflection limit can be replaced by the next ones within it.
constexpr int kReplacementRows = 4;

// Whether a library entry's fit would model more than mo.max_reflections reflections (an entry
// that cannot be set up is left to the fit, which reports why).
bool too_many_reflections(const Identifier& id, const xrd::Pattern& measured, std::size_t entry, const MixtureOptions& mo) {
  try {
    return fit_reflection_count(measured, *id.crystal(entry), mo.fit) > static_cast<std::size_t>(mo.max_reflections);
  } catch (const std::exception&) {
    return false;
  }
}

// Whether the common-phase prior applies to entry e (a preference is set and e is not common).
bool rare(const xrd::Library& lib, std::size_t e, const MixtureOptions& mo) {
  return mo.common_prior > 0 && !mo.common.empty() && !mo.common.count(phase_key(lib.entries[e]));
}

// Per library entry: whether its formula and space group are among the common phases.
std::shared_ptr<std::vector<char>> common_flags(const xrd::Library& lib, const MixtureOptions& mo) {
  auto flags = std::make_shared<std::vector<char>>(lib.size(), 0);
  for (std::size_t e = 0; e < lib.size(); ++e) (*flags)[e] = mo.common.count(phase_key(lib.entries[e])) > 0;
  return flags;
}

// The fitted candidate with the lowest BIC, a rare phase's raised by the share common_prior (the
// first of equals), or nullptr when none fitted.
const CandidateFit* lowest_bic(const std::vector<CandidateFit>& tried, const xrd::Library& lib,
                               const MixtureOptions& mo) {
  const CandidateFit* best = nullptr;
  double best_v = 0;
  for (const CandidateFit& t : tried) {
    if (!t.ok) continue;
    const double v = t.fit.bic * (rare(lib, t.candidate->entry, mo) ? 1.0 + mo.common_prior : 1.0);
    if (!best || v < best_v) {
      best = &t;
      best_v = v;
    }
  }
  return best;
}

}  // namespace

namespace {
// Crystal families by space-group number: triclinic, monoclinic, orthorhombic, tetragonal,
// trigonal and hexagonal (one family: hexagonal axes), cubic; 0 for none.
int crystal_family(int sg) {
  if (sg < 1 || sg > 230) return 0;
  if (sg <= 2) return 1;
  if (sg <= 15) return 2;
  if (sg <= 74) return 3;
  if (sg <= 142) return 4;
  if (sg <= 194) return 5;
  return 6;
}
}  // namespace

bool interchangeable(const xrd::LibraryEntry& x, const xrd::LibraryEntry& y, double cell_bound) {
  const int f = crystal_family(x.spacegroup_number);
  if (f == 0 || f != crystal_family(y.spacegroup_number)) return false;
  for (int k = 0; k < 3; ++k)
    if (!(x.cell[k] > 0 && y.cell[k] > 0) || std::abs(x.cell[k] / y.cell[k] - 1.0) > cell_bound) return false;
  for (int k = 3; k < 6; ++k)
    if (!(std::abs(x.cell[k] - y.cell[k]) <= 2.0)) return false;
  return true;
}

double lines_chi2_drop(const MixtureFit& with, std::size_t k, const MixtureFit& without) {
  const std::size_t n = with.observed.size();
  if (k >= with.phases.size() || without.observed.size() != n || with.calculated.size() != n ||
      without.calculated.size() != n || with.phases[k].contribution.size() != n)
    return 0.0;
  double before = 0, after = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = 1.0 / std::max(with.observed[i], 1.0);
    if (with.phases[k].contribution[i] * std::sqrt(w) <= 2.0) continue;
    before += w * (with.observed[i] - without.calculated[i]) * (with.observed[i] - without.calculated[i]);
    after += w * (with.observed[i] - with.calculated[i]) * (with.observed[i] - with.calculated[i]);
  }
  return before > 0 ? (before - after) / before : 0.0;
}

namespace {

// Whether a phase's cell moved further than `limit` per cent (0: no limit).
bool cell_moved_too_far(const PhaseShare& s, double limit) {
  return limit > 0 && !(std::abs(s.volume_change()) <= limit);
}

// The state of one mixture search: the phases found, their crystals (in the fit's order) and the
// current joint fit, with the steps that change them.
class MixtureSearch {
 public:
  MixtureSearch(const Identifier& id, const xrd::Pattern& measured, const IdentifyOptions& opt, const MixtureOptions& mo)
      : id_(id), lib_(id.library()), measured_(measured), opt_(opt), mo_(mo) {
    // The searches' rows are fitted by the search itself; their probabilities (and the fit made
    // for them) are not read.
    opt_.fit_first_row = false;
    residual_opt_ = opt_;
    // Further phases and substitutes: no references whose CIF lacks atoms (the first phase is the
    // search's best row, as single-phase identify answers it).
    if (!mo.incomplete_references) residual_opt_.skip_incomplete = true;
    // The residual searches list further rows to replace those over the reflection limit.
    if (mo.max_reflections > 0) residual_opt_.top = std::max(opt.top, kReplacementRows * mo.candidates);
    // The common phases on their own (entries whose formula and space group are common).
    if (mo.common_candidates > 0 && !mo.common.empty()) {
      auto flags = common_flags(lib_, mo);
      // A library of common phases only: the residual search is already theirs.
      if (std::find(flags->begin(), flags->end(), 0) != flags->end()) {
        common_opt_ = residual_opt_;
        common_opt_.entries = std::move(flags);
        common_opt_.top = std::max(opt.top, kReplacementRows * mo.common_candidates);
      }
    }
  }

  void first_phase();
  // Adds the residual search's best candidate when it earns its place; false when the forward
  // search stops (res_.note says why).
  bool add_phase();
  void substitutes();
  void backward();
  bool readmit();
  MixtureResult finish(std::chrono::steady_clock::time_point t0);

  std::size_t size() const { return res_.phases.size(); }
  // The set's joint fit as it stands.
  const MixtureFit& current_fit() const { return cur_; }
  // Candidate fits made so far.
  int fits() const { return res_.fits; }

 private:
  const Identifier& id_;
  const xrd::Library& lib_;
  const xrd::Pattern& measured_;
  IdentifyOptions opt_;
  const MixtureOptions& mo_;
  IdentifyOptions residual_opt_;
  IdentifyOptions common_opt_;  // residual_opt_ over the common phases only (entries set), when asked for
  MixtureResult res_;
  MixtureFit cur_;
  std::vector<std::shared_ptr<const xrd::Crystal>> crystals_;
  std::map<std::size_t, bool> over_limit_;  // entry → more fit reflections than the limit
  std::vector<std::string> substituted_;    // "HfO2 -> ZrO2": substitutes taken
  std::vector<std::string> left_out_;       // reduced formulas of the phases the backward rounds removed
  // The phases pruned below a threshold together (prune), which readmit() may take back.
  std::vector<MixturePhase> pruned_;
  // The library entry of the first phase (the search's best row): with prune it always stays,
  // wherever the fit holds it. A substitute that replaces it is another entry, a phase the
  // mixture search chose, judged as the further phases are.
  std::size_t first_entry_ = 0;

  bool too_large_entry(std::size_t e) {
    auto known = over_limit_.find(e);
    if (known == over_limit_.end()) known = over_limit_.emplace(e, too_many_reflections(id_, measured_, e, mo_)).first;
    return known->second;
  }
  std::set<std::string> have_keys() const {
    std::set<std::string> keys;
    for (const MixturePhase& ph : res_.phases) keys.insert(phase_key(lib_.entries[ph.entry]));
    return keys;
  }
  std::vector<const xrd::Crystal*> crystals_but(std::size_t skip) const {
    std::vector<const xrd::Crystal*> set;
    for (std::size_t j = 0; j < crystals_.size(); ++j)
      if (j != skip) set.push_back(crystals_[j].get());
    return set;
  }
  // Phase i leaves; `without` is the fit of the others.
  void remove_one(std::size_t i, MixtureFit&& without) {
    left_out_.push_back(lib_.entries[res_.phases[i].entry].reduced_formula);
    res_.phases.erase(res_.phases.begin() + static_cast<std::ptrdiff_t>(i));
    crystals_.erase(crystals_.begin() + static_cast<std::ptrdiff_t>(i));
    cur_ = std::move(without);
  }
  // Whether phase i is the first phase and stays whatever its figures (with prune: unless
  // judge_first other phases pass the thresholds, first_judged_).
  bool protected_first(std::size_t i) const {
    return mo_.prune && !first_judged_ && res_.phases[i].entry == first_entry_;
  }
  // Whether the first phase is judged in this backward round (judge_first other phases pass the
  // thresholds); set by each round's threshold stage, read by partner_round().
  bool first_judged_ = false;
  // Whether the last phase of `with` (the set's fit cur_ with one phase more) passes the
  // thresholds a further phase must pass.
  bool earns_place(const MixtureFit& with) const {
    const std::size_t k = with.phases.size() - 1;
    return (cur_.chi2 - with.chi2) / cur_.chi2 >= mo_.min_chi2_drop &&
           lines_chi2_drop(with, k, cur_) >= mo_.min_lines_chi2_drop &&
           with.phases[k].weight_fraction >= mo_.min_weight_fraction &&
           !cell_moved_too_far(with.phases[k], mo_.max_volume_change);
  }
  bool partner_round(const std::vector<char>& useless, const std::vector<char>& fitted);
  // A fitted candidate joins the set (its fit is the set's with it, the candidate last), with the
  // shares of χ² it removes overall and over its own lines.
  void join(const CandidateFit& t) {
    const double drop = (cur_.chi2 - t.fit.chi2) / cur_.chi2;
    const double lines = lines_chi2_drop(t.fit, t.fit.phases.size() - 1, cur_);
    res_.phases.push_back(MixturePhase{t.candidate->entry, t.candidate->same_phase, drop, lines});
    crystals_.push_back(t.crystal);
    cur_ = t.fit;
  }
};

// 1. The first phase: the search's best row, or the best single fit among its best rows.
void MixtureSearch::first_phase() {
  const IdentifyResult first = id_.identify(measured_, opt_);
  XRDID_CHECK(!first.candidates.empty(), "no candidate phases" +
                                             (first.note.empty() ? std::string() : " (" + first.note + ")"));
  std::vector<const Candidate*> starters;
  for (const Candidate& c : first.candidates)
    if (static_cast<int>(starters.size()) < (mo_.first_by_fit ? mo_.candidates : 1)) starters.push_back(&c);
  // A rare best row: the best common row among the first mo.candidates is fitted beside it.
  if (!mo_.first_by_fit && rare(lib_, starters.front()->entry, mo_))
    for (std::size_t i = 1; i < first.candidates.size() && static_cast<int>(i) < mo_.candidates; ++i)
      if (!rare(lib_, first.candidates[i].entry, mo_)) {
        starters.push_back(&first.candidates[i]);
        break;
      }
  std::vector<CandidateFit> tried_first = fit_candidates(id_, measured_, {}, starters, mo_.fit, {});
  res_.fits += static_cast<int>(tried_first.size());
  const CandidateFit* best_first = lowest_bic(tried_first, lib_, mo_);
  std::string last_error;
  for (const CandidateFit& t : tried_first)
    if (!t.error.empty()) last_error = t.error;
  XRDID_CHECK(best_first != nullptr, "no candidate phase could be fitted" +
                                         (last_error.empty() ? std::string() : " (" + last_error + ")"));
  cur_ = best_first->fit;
  res_.phases.assign(1, MixturePhase{best_first->candidate->entry, best_first->candidate->same_phase, 1.0, 1.0});
  first_entry_ = best_first->candidate->entry;
  crystals_.assign(1, best_first->crystal);
  res_.note = "stopped at --max-phases";
}

// 2–3. Search the residual, fit each new candidate jointly with the set, keep the best if it
// earns its place.
bool MixtureSearch::add_phase() {
  const std::set<std::string> keys = have_keys();
  const xrd::Pattern residual = residual_pattern(measured_, cur_);
  const IdentifyResult next = id_.identify(residual, residual_opt_);
  std::vector<PhaseStart> starts = starts_from(cur_, cur_.phases.size());
  starts.push_back(PhaseStart{});
  // The search's best mo.candidates rows, a row over the reflection limit replaced by the next
  // row within it (rows of phases already in the set are used up without being fitted).
  std::vector<const Candidate*> pool;
  int too_large = 0, used = 0;
  for (const Candidate& c : next.candidates) {
    if (used >= mo_.candidates) break;
    if (keys.count(phase_key(lib_.entries[c.entry]))) {
      ++used;
      continue;
    }
    if (mo_.max_reflections > 0 && too_large_entry(c.entry)) {
      ++too_large;
      continue;
    }
    ++used;
    pool.push_back(&c);
  }
  // The best common rows of the residual not among those, fitted beside them.
  IdentifyResult common_next;
  if (common_opt_.entries) {
    common_next = id_.identify(residual, common_opt_);
    std::set<std::string> in_pool;
    for (const Candidate* c : pool) in_pool.insert(phase_key(lib_.entries[c->entry]));
    int added = 0;
    for (const Candidate& c : common_next.candidates) {
      if (added >= mo_.common_candidates) break;
      const std::string key = phase_key(lib_.entries[c.entry]);
      if (keys.count(key) || in_pool.count(key)) continue;
      if (mo_.max_reflections > 0 && too_large_entry(c.entry)) continue;
      ++added;
      pool.push_back(&c);
    }
  }
  std::vector<CandidateFit> tried = fit_candidates(id_, measured_, crystals_but(SIZE_MAX), pool, mo_.fit, starts);
  res_.fits += static_cast<int>(tried.size());
  const CandidateFit* pick = lowest_bic(tried, lib_, mo_);
  const Candidate* best_c = pick ? pick->candidate : nullptr;
  if (!best_c) {
    res_.note = pool.empty() && too_large > 0
                    ? "no further candidate with at most " + std::to_string(mo_.max_reflections) +
                          " reflections (--mixture-max-reflections)"
                    : "no further candidate could be fitted";
    return false;
  }
  const MixtureFit& best = pick->fit;
  const double drop = (cur_.chi2 - best.chi2) / cur_.chi2;
  const double wf = best.phases.back().weight_fraction;
  const double lines = lines_chi2_drop(best, best.phases.size() - 1, cur_);
  const bool earns = earns_place(best);
  // Pruned later, a phase joins while it lowers the BIC and fits its own lines better than the
  // set without it did.
  if (!(best.bic < cur_.bic) || (mo_.prune ? lines < 0 : !earns)) {
    char why[240];
    std::snprintf(why, sizeof why,
                  "the next phase (%s) would remove %.1f %% of chi2 (%.1f %% over its lines) at %.1f %% by weight",
                  lib_.entries[best_c->entry].reduced_formula.c_str(), 100 * drop, 100 * lines, 100 * wf);
    res_.note = why;
    return false;
  }
  join(*pick);
  return true;
}

// Substitutes: each phase's pattern (the measured one less the other phases' peaks) is searched
// again, and its best rows that a fit could stretch onto the same peaks (interchangeable(): the
// same crystal family and nearly the same cell) are fitted in its place with the rest of the
// set; the best replaces the phase when its fit lowers the BIC by at least the share
// substitute_min_drop. A member of a family found first (HfO2 for ZrO2, Dy2O3 for Y2O3, another
// spinel for Fe3O4) is stretched towards the measured phase's cell, and the forward search then
// never tries the right member.
void MixtureSearch::substitutes() {
  for (std::size_t k = 0; mo_.substitutes > 0 && k < res_.phases.size(); ++k) {
    const std::set<std::string> keys = have_keys();
    const xrd::LibraryEntry& now = lib_.entries[res_.phases[k].entry];
    const IdentifyResult near = id_.identify(residual_pattern(measured_, cur_, k), residual_opt_);
    std::vector<const Candidate*> pool;
    for (const Candidate& c : near.candidates) {
      if (static_cast<int>(pool.size()) >= mo_.substitutes) break;
      const xrd::LibraryEntry& e = lib_.entries[c.entry];
      if (keys.count(phase_key(e)) || !interchangeable(e, now, mo_.fit.cell_bound)) continue;
      if (mo_.max_reflections > 0 && too_large_entry(c.entry)) continue;
      pool.push_back(&c);
    }
    if (pool.empty()) continue;
    std::vector<PhaseStart> starts = starts_from(cur_, k);
    // A substitute starts where the phase it replaces ended: its refined cell (the two cells are
    // alike), peak width and shape; the scales are then solved linearly and the texture is
    // chosen afresh.
    PhaseStart from;
    from.scale = 1.0;
    from.W = start_w(cur_.phases[k]);
    from.eta = cur_.phases[k].eta;
    from.cell = cur_.phases[k].cell;
    starts.push_back(from);
    std::vector<CandidateFit> tried = fit_candidates(id_, measured_, crystals_but(k), pool, mo_.fit, starts);
    res_.fits += static_cast<int>(tried.size());
    const CandidateFit* pick = lowest_bic(tried, lib_, mo_);
    if (!pick || !(pick->fit.bic < (1.0 - mo_.substitute_min_drop) * cur_.bic)) continue;
    substituted_.push_back(now.reduced_formula + " -> " + lib_.entries[pick->candidate->entry].reduced_formula);
    MixturePhase np{pick->candidate->entry, pick->candidate->same_phase, res_.phases[k].chi2_drop,
                    res_.phases[k].lines_chi2_drop};
    res_.phases.erase(res_.phases.begin() + static_cast<std::ptrdiff_t>(k));
    crystals_.erase(crystals_.begin() + static_cast<std::ptrdiff_t>(k));
    res_.phases.push_back(np);  // the fit holds the new phase last
    crystals_.push_back(pick->crystal);
    cur_ = pick->fit;
    --k;  // the phase now at k has not been tried
  }
}

// A phase below a threshold beside an interchangeable partner: both can be stretched onto the
// same peaks, so each one's share judged in the other's company says little, and a refit without
// one starts the other from a state in which the two shared the peaks. Each of the two is refitted
// alone with the rest of the set, from its CIF (as a joining candidate), and the one with the
// worse fit leaves; true when a pair was settled so (the rounds go on with the better fit).
bool MixtureSearch::partner_round(const std::vector<char>& useless, const std::vector<char>& fitted) {
  const std::size_t n = res_.phases.size();
  std::size_t pi = n, pj = n;
  for (std::size_t i = 0; i < n && pi == n; ++i) {
    if (!useless[i]) continue;
    for (std::size_t j = 0; j < n; ++j)
      // The partner may be below a threshold too (two that share the peaks would both leave).
      // With prune the first phase (the search's best row) stays where it is: no pair with it.
      if (j != i && fitted[j] && !protected_first(j) &&
          interchangeable(lib_.entries[res_.phases[i].entry], lib_.entries[res_.phases[j].entry], mo_.fit.cell_bound)) {
        pi = i;
        pj = j;
        break;
      }
  }
  if (pi == n) return false;
  // The set without both, then `keep` appended and fitted from its CIF.
  auto alone = [&](std::size_t keep, std::size_t drop) {
    std::vector<char> d(n, 0);
    d[keep] = d[drop] = 1;
    std::vector<PhaseStart> st = starts_from(cur_, d);
    std::vector<const xrd::Crystal*> set;
    for (std::size_t k = 0; k < n; ++k)
      if (!d[k]) set.push_back(crystals_[k].get());
    set.push_back(crystals_[keep].get());
    st.push_back(PhaseStart{});
    MixtureFit f;
    try {
      f = fit_mixture(measured_, set, mo_.fit, st);
    } catch (const std::exception&) {
      f = MixtureFit{};
    }
    return f;
  };
  MixtureFit keep_i = alone(pi, pj);
  MixtureFit keep_j = alone(pj, pi);
  res_.fits += 2;
  const bool i_ok = keep_i.ok(), j_ok = keep_j.ok();
  if (!i_ok && !j_ok) return false;
  // The first phase (paired only when judged, first_judged_) is the search's answer: it gives
  // way to an alike partner only on the evidence a substitute needs, a fit lower by the share
  // substitute_min_drop (judged beside one phase, MnO2 stays beside rutile-type GeO2, whose
  // textured fit is 9 % lower).
  double ci = keep_i.chi2, cj = keep_j.chi2;
  if (res_.phases[pi].entry == first_entry_) cj /= 1.0 - mo_.substitute_min_drop;
  if (res_.phases[pj].entry == first_entry_) ci /= 1.0 - mo_.substitute_min_drop;
  const bool keep_pi = i_ok && (!j_ok || ci <= cj);
  const std::size_t keep = keep_pi ? pi : pj, drop = keep_pi ? pj : pi;
  left_out_.push_back(lib_.entries[res_.phases[drop].entry].reduced_formula);
  std::vector<MixturePhase> phases;
  std::vector<std::shared_ptr<const xrd::Crystal>> cr;
  for (std::size_t k = 0; k < n; ++k)
    if (k != keep && k != drop) {
      phases.push_back(res_.phases[k]);
      cr.push_back(crystals_[k]);
    }
  phases.push_back(res_.phases[keep]);
  cr.push_back(crystals_[keep]);
  res_.phases = std::move(phases);
  crystals_ = std::move(cr);
  cur_ = keep_pi ? std::move(keep_i) : std::move(keep_j);
  return true;
}

// Backward: a phase that does not earn its place (its removal gives back less than
// min_chi2_drop of the misfit or min_lines_chi2_drop over its lines, it makes less than
// min_weight_fraction, or its cell volume moved by more than max_volume_change) leaves. Stepwise: the least useful first, one at a time, the rest
// refitted, until every phase left earns its place. With `prune` the first phase (the search's
// best row) always stays: first, one at a time, the other phases that make the fit worse (a
// negative share of χ² or over their lines); then every other phase below a threshold at once,
// judged in the company of all the phases that stayed, and the rest is refitted. Each phase's
// chi2_drop and lines_chi2_drop become what its removal from the final set would give back.
void MixtureSearch::backward() {
  enum class Stage { Negative, Thresholds, Report };
  Stage stage = mo_.prune ? Stage::Negative : Stage::Thresholds;
  while (res_.phases.size() > 1) {
    const std::size_t n = res_.phases.size();
    std::vector<MixtureFit> without(n);
    std::vector<char> fitted(n, 0);
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t i = 0; i < n; ++i) {
      try {
        without[i] = fit_mixture(measured_, crystals_but(i), mo_.fit, starts_from(cur_, i));
        fitted[i] = without[i].ok();
      } catch (const std::exception&) {
        // a set that cannot be fitted keeps its phase
      }
    }
    res_.fits += static_cast<int>(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!fitted[i]) continue;
      res_.phases[i].chi2_drop = (without[i].chi2 - cur_.chi2) / without[i].chi2;  // share of the misfit phase i removes
      res_.phases[i].lines_chi2_drop = lines_chi2_drop(cur_, i, without[i]);
    }
    // The phases below the thresholds (zero ones: those that make the fit worse), and the least
    // useful of them.
    auto below = [&](bool zero, std::vector<char>& useless) {
      first_judged_ = false;
      std::size_t passing_others = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const MixturePhase& ph = res_.phases[i];
        useless[i] = fitted[i] && (zero ? ph.chi2_drop < 0 || ph.lines_chi2_drop < 0
                                        : ph.chi2_drop < mo_.min_chi2_drop || ph.lines_chi2_drop < mo_.min_lines_chi2_drop ||
                                              cur_.phases[i].weight_fraction < mo_.min_weight_fraction ||
                                              cell_moved_too_far(cur_.phases[i], mo_.max_volume_change));
        if (!useless[i] && res_.phases[i].entry != first_entry_) ++passing_others;
      }
      first_judged_ = mo_.judge_first > 0 && !zero && passing_others >= static_cast<std::size_t>(mo_.judge_first);
      std::size_t worst = n;
      for (std::size_t i = 0; i < n; ++i) {
        if (protected_first(i)) useless[i] = 0;  // the search's best row stays, as identify answers it
        if (useless[i] && (worst == n || res_.phases[i].chi2_drop < res_.phases[worst].chi2_drop)) worst = i;
      }
      return worst;
    };
    if (stage == Stage::Report) break;  // the final figures are set
    std::vector<char> useless(n, 0);
    if (stage == Stage::Negative) {
      const std::size_t worst = below(true, useless);
      if (worst < n) {
        remove_one(worst, std::move(without[worst]));
        continue;
      }
      stage = Stage::Thresholds;
    }
    const std::size_t worst = below(false, useless);
    if (worst == n) break;
    if (partner_round(useless, fitted)) continue;
    if (!mo_.prune) {
      remove_one(worst, std::move(without[worst]));
      continue;
    }
    stage = Stage::Report;  // after this removal, one more round sets the final figures
    if (std::count(useless.begin(), useless.end(), 1) == 1) {
      remove_one(worst, std::move(without[worst]));
      continue;
    }
    std::vector<const xrd::Crystal*> kept_set;
    std::vector<MixturePhase> kept_phases;
    std::vector<std::shared_ptr<const xrd::Crystal>> kept_crystals;
    for (std::size_t i = 0; i < n; ++i)
      if (!useless[i]) {
        kept_set.push_back(crystals_[i].get());
        kept_phases.push_back(res_.phases[i]);
        kept_crystals.push_back(crystals_[i]);
      }
    MixtureFit refit;
    try {
      refit = fit_mixture(measured_, kept_set, mo_.fit, starts_from(cur_, useless));
    } catch (const std::exception&) {
      refit = MixtureFit{};
    }
    ++res_.fits;
    if (!refit.ok()) {  // the smaller set cannot be fitted: remove the least useful phase alone
      remove_one(worst, std::move(without[worst]));
      continue;
    }
    cur_ = std::move(refit);
    for (std::size_t i = 0; i < n; ++i)
      if (useless[i]) {
        left_out_.push_back(lib_.entries[res_.phases[i].entry].reduced_formula);
        pruned_.push_back(res_.phases[i]);
      }
    res_.phases = std::move(kept_phases);
    crystals_ = std::move(kept_crystals);
  }
}

// Readmission, after pruning: phases that share lines (two alike structures, or a phase and
// another's misfit) each give back little of the misfit beside the other, and pruning removes
// them together, the real one with the invented one. Each pruned phase is fitted again beside
// the phases kept; the one with the lowest BIC that passes the thresholds a further phase must
// pass comes back, and so on while one does. True when one came back.
bool MixtureSearch::readmit() {
  bool any = false;
  while (!pruned_.empty() && static_cast<int>(res_.phases.size()) < mo_.max_phases) {
    std::vector<Candidate> back(pruned_.size());
    std::vector<const Candidate*> pool;
    for (std::size_t j = 0; j < pruned_.size(); ++j) {
      back[j].entry = pruned_[j].entry;
      back[j].same_phase = pruned_[j].same_phase;
      pool.push_back(&back[j]);
    }
    std::vector<PhaseStart> starts = starts_from(cur_, cur_.phases.size());
    starts.push_back(PhaseStart{});
    std::vector<CandidateFit> tried = fit_candidates(id_, measured_, crystals_but(SIZE_MAX), pool, mo_.fit, starts);
    res_.fits += static_cast<int>(tried.size());
    const CandidateFit* pick = nullptr;
    for (const CandidateFit& t : tried)
      if (t.ok && t.fit.bic < cur_.bic && earns_place(t.fit) && (!pick || t.fit.bic < pick->fit.bic)) pick = &t;
    if (!pick) break;
    const std::size_t j = static_cast<std::size_t>(pick->candidate - back.data());
    join(*pick);
    const std::string name = lib_.entries[back[j].entry].reduced_formula;
    const auto named = std::find(left_out_.begin(), left_out_.end(), name);
    if (named != left_out_.end()) left_out_.erase(named);
    pruned_.erase(pruned_.begin() + static_cast<std::ptrdiff_t>(j));
    any = true;
  }
  pruned_.clear();
  return any;
}

MixtureResult MixtureSearch::finish(std::chrono::steady_clock::time_point t0) {
  if (!substituted_.empty()) {
    res_.note += "; substituted: ";
    for (std::size_t k = 0; k < substituted_.size(); ++k) res_.note += (k ? ", " : "") + substituted_[k];
  }
  if (!left_out_.empty()) {
    res_.note += "; then left out: ";
    for (std::size_t k = 0; k < left_out_.size(); ++k) res_.note += (k ? ", " : "") + left_out_[k];
  }
  if (res_.phases.size() == 1) res_.phases[0].chi2_drop = res_.phases[0].lines_chi2_drop = 1.0;
  res_.fit = std::move(cur_);
  res_.unexplained = unexplained_peaks(res_.fit, mo_.unexplained_sigmas);
  if (mo_.quant.active()) {
    std::vector<const xrd::Crystal*> set;
    std::vector<std::string> ids;
    for (std::size_t k = 0; k < res_.phases.size(); ++k) {
      set.push_back(crystals_[k].get());
      ids.push_back(lib_.entries[res_.phases[k].entry].id);
    }
    res_.quant = quantify(res_.fit, set, ids, mo_.quant);
    res_.quantified = true;
  }
  res_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::move(res_);
}

// The median of a fit's refined cell-volume changes (per cent): a change common to most phases
// is the axis's, not theirs.
double median_volume_change(const MixtureFit& fit) {
  std::vector<double> dv;
  for (const PhaseShare& s : fit.phases)
    if (const double v = s.volume_change(); std::isfinite(v)) dv.push_back(v);
  if (dv.empty()) return 0.0;
  std::sort(dv.begin(), dv.end());
  const std::size_t n = dv.size();
  return n % 2 ? dv[n / 2] : 0.5 * (dv[n / 2 - 1] + dv[n / 2]);
}

// The axis probe (mixture.hpp, step 6): a common phase that matches the pattern only beyond the
// lattice scales the search tries (|f − 1| > max_strain: in one search over the common phases with
// the scale free to ±kProbeScale and no prior) says the axis may be off although the first
// answer's cells did not move (its phases wrong ones that fit the shifted peaks: Li2MnO3 for
// LiCoO2). A short forward search over the common phases then gives the phases to calibrate
// against; the map is returned when it moves the lines at the scan's two ends by at least
// kProbeSpread° against each other (what a zero shift cannot take up) and raises the cosine of
// the peaks with the drawn lines by at least kProbeGain. With the development library the best
// common row lies beyond ±1.2 % on 47 of the 50 2-minute Dara scans and within −0.8 … 0 % on
// every 12-minute scan (docs/results.md "Mixtures", step 10).
constexpr double kProbeScale = 0.03;
constexpr int kProbePhases = 3, kProbeCandidates = 3;
constexpr double kProbeSpread = 0.5, kProbeGain = 0.05, kProbeEdge = 0.95;

// `whose` names the phases calibrated against: the common ones, or a short search's over the
// whole library (no common phases set, or none in the library).
std::optional<AxisMap> probe_axis(const Identifier& id, const xrd::Pattern& measured, const IdentifyOptions& opt,
                                  const MixtureOptions& mo, const xrd::Wavelength& wl, int* fits, const char** whose) {
  const xrd::Library& lib = id.library();
  IdentifyOptions popt = opt;
  *whose = "a short search's";
  if (!mo.common.empty()) {
    auto flags = common_flags(lib, mo);
    if (std::find(flags->begin(), flags->end(), 1) != flags->end()) {
      popt.entries = std::move(flags);
      *whose = "the common";
    }
  }
  popt.fit_first_row = false;
  IdentifyOptions wide = popt;
  wide.max_strain = std::max(kProbeScale, opt.max_strain);
  wide.strain_penalty = 0.0;
  wide.top = 1;
  const IdentifyResult best = id.identify(measured, wide);
  if (best.candidates.empty() || !(std::abs(best.candidates.front().scale - 1.0) > opt.max_strain + 1e-9))
    return std::nullopt;
  MixtureOptions pmo = mo;
  pmo.candidates = std::min(mo.candidates, kProbeCandidates);
  pmo.common_candidates = 0;
  // On the wavelength scaled by that row's scale, most lines sit near their places, so the short
  // search finds the phases rather than alike wrong ones; the map is calibrated from the file's
  // axis all the same (the scaled pattern keeps its 2θ).
  AxisMap undo;
  undo.d_scale = 1.0 / best.candidates.front().scale;
  const xrd::Pattern scaled = with_axis(measured, undo, wl);
  MixtureSearch probe(id, scaled, popt, pmo);
  probe.first_phase();
  while (static_cast<int>(probe.size()) < std::min(mo.max_phases, kProbePhases) && probe.add_phase()) {
  }
  *fits += probe.fits();
  const MixtureFit& fit = probe.current_fit();
  if (!fit.ok() || fit.two_theta.empty()) return std::nullopt;
  const AxisCalibrationOptions range;
  const AxisMap map = calibrate_axis(fit, wl, range);
  // A map at the edge of the calibration's range is no optimum: a single phase laid onto an
  // alike common one of another cell (NiCO3 onto MnCO3: slope 0.9595) rather than an axis error.
  const double p = map.d_scale != 1.0 ? map.d_scale : map.slope;
  if (!(std::abs(p - 1.0) < kProbeEdge * range.max_slope_change) || !(std::abs(map.offset) < kProbeEdge * range.max_offset))
    return std::nullopt;
  const double lo = measured.two_theta.front(), hi = measured.two_theta.back();
  const double spread = (mapped_two_theta(map, hi) - hi) - (mapped_two_theta(map, lo) - lo);
  if (!map.found || !(std::abs(spread) >= kProbeSpread) || !(map.cosine >= map.identity_cosine + kProbeGain))
    return std::nullopt;
  return map;
}

// Whether two maps put every line of [lo, hi] within `tol` degrees of each other (at the ends).
bool same_map(const AxisMap& a, const AxisMap& b, double lo, double hi, double tol) {
  for (const double x : {lo, hi})
    if (!(std::abs(mapped_two_theta(a, x) - mapped_two_theta(b, x)) <= tol)) return false;
  return true;
}

}  // namespace

MixtureResult identify_mixture(const Identifier& id, const xrd::Pattern& measured, const IdentifyOptions& opt0,
                               const MixtureOptions& mo) {
  const auto t0 = std::chrono::steady_clock::now();
  XRDID_CHECK(mo.max_phases >= 1 && mo.max_phases <= 8, "--max-phases must lie in 1..8");
  XRDID_CHECK(mo.candidates >= 1 && mo.candidates <= 50, "mixture: candidates per step must lie in 1..50");
  XRDID_CHECK(mo.max_reflections >= 0, "mixture: the reflection limit must be >= 0 (0: none)");
  check_quant_options(mo.quant);
  XRDID_CHECK(mo.axis_volume_change >= 0 && mo.axis_min_drop >= 0 && mo.axis_min_drop < 1,
              "mixture: the axis check's volume change must be >= 0 and its χ² share in [0, 1)");
  IdentifyOptions opt = opt0;
  opt.top = std::max(opt.top, mo.candidates);
  opt.verify = 0;
  opt.fit_rows = 0;
  MixtureFit forward_fit;  // the forward set's joint fit, before the backward rounds (axis check)
  const auto run = [&](const xrd::Pattern& pattern) {
    MixtureSearch search(id, pattern, opt, mo);
    search.first_phase();
    while (static_cast<int>(search.size()) < mo.max_phases && search.add_phase()) {
    }
    if (mo.axis_volume_change > 0) forward_fit = search.current_fit();
    search.substitutes();
    search.backward();
    // Phases taken back are judged again with the set (no second readmission).
    if (mo.readmit && search.readmit()) search.backward();
    return search.finish(t0);
  };
  MixtureResult res = run(measured);
  // The first phase (in the order found), or most of the phases the forward search found, far
  // from their references' cells: the axis may be off.
  if (mo.axis_volume_change > 0 && res.fit.ok() && !res.fit.phases.empty()) {
    struct Trial {
      double dv;
      const char* whose;
    };
    std::vector<Trial> trials;
    const double first_dv = res.fit.phases.front().volume_change();
    const double forward_dv = median_volume_change(forward_fit);
    if (std::isfinite(first_dv) && std::abs(first_dv) > mo.axis_volume_change) trials.push_back({first_dv, "the first phase's"});
    if (std::isfinite(forward_dv) && std::abs(forward_dv) > mo.axis_volume_change &&
        (trials.empty() || std::abs(forward_dv - first_dv) > 0.5))
      trials.push_back({forward_dv, "the phases' median"});
    int fits = res.fits;
    const xrd::Wavelength wl = measured.wavelength.known() ? measured.wavelength : id.library().wavelength;
    const auto per_point = [](const MixtureFit& f) { return f.chi2 / std::max(f.n_points, 1); };
    // A search on the file's axis under `map` replaces the answer when its χ² per point is below
    // `share` of the answer's.
    const auto search_on = [&](const AxisMap& map, double share, const char* whose) {
      if (!map.found || !(map.cosine > map.identity_cosine)) return false;
      MixtureResult again;
      try {
        again = run(with_axis(measured, map, wl));
      } catch (const std::exception&) {
        return false;  // the calibrated pattern cannot be searched: the answer stands
      }
      fits += again.fits;
      if (!again.fit.ok() || !(per_point(again.fit) < share * per_point(res.fit))) return false;
      char buf[240];
      if (map.d_scale != 1.0)
        std::snprintf(buf, sizeof buf,
                      "2θ axis calibrated against the reference lines of %s phases: 2θ' = 2θ %s %.3f°, d-spacings scaled "
                      "by %.5f (a wavelength error)",
                      whose, map.offset < 0 ? "−" : "+", std::abs(map.offset), map.d_scale);
      else
        std::snprintf(buf, sizeof buf,
                      "2θ axis calibrated against the reference lines of %s phases: 2θ' = %.5f × 2θ %s %.3f°", whose,
                      map.slope, map.offset < 0 ? "−" : "+", std::abs(map.offset));
      again.note = again.note.empty() ? buf : again.note + "; " + buf;
      again.axis_slope = map.slope;
      again.axis_offset = map.offset;
      again.d_scale = map.d_scale;
      res = std::move(again);
      return true;
    };
    // The same on the axis calibrated against `phases` (drawn at their reference cells).
    const auto calibrated = [&](const MixtureFit& phases, double share, const char* whose) {
      return search_on(calibrate_axis(phases, wl), share, whose);
    };

    // The axis calibrated against the phases the forward search found at their moved cells (most
    // of them right, the way their common change tells); each change undone by a scaled
    // wavelength in a search of its own; and, when a scaled search wins, the axis calibrated
    // against its forward set. The lowest χ² per point wins, each at least 10 % (axis_min_drop)
    // below the first answer's.
    const double first_bar = (1.0 - mo.axis_min_drop) * per_point(res.fit);
    if (!trials.empty() && mo.axis_calibrate) calibrated(forward_fit, 1.0 - mo.axis_min_drop, "the first search's");
    // The axis probed with the common phases, unless the answer already stands on that axis.
    if (mo.axis_calibrate) {
      std::optional<AxisMap> map;
      const char* whose = "";
      try {
        map = probe_axis(id, measured, opt, mo, wl, &fits, &whose);
      } catch (const std::exception&) {
        // the common phases cannot be searched or fitted: no probe
      }
      const AxisMap now{res.axis_slope, res.axis_offset, res.d_scale};
      if (map && !same_map(*map, now, measured.two_theta.front(), measured.two_theta.back(), 0.05)) {
        const bool first = res.axis_slope == 1.0 && res.axis_offset == 0.0 && res.d_scale == 1.0;
        search_on(*map, first ? 1.0 - mo.axis_min_drop : 1.0, whose);
      }
    }
    double bar = std::min(first_bar, per_point(res.fit));
    MixtureFit scaled_forward;
    bool scaled_won = false;
    for (const Trial& t : trials) {
      // λ' = λ / f, f = exp(ΔV / 300): the change ΔV (100 ln(V / V0)) returns to zero.
      AxisMap scale;
      scale.d_scale = std::exp(-t.dv / 300.0);
      MixtureResult again;
      try {
        again = run(with_axis(measured, scale, wl));
      } catch (const std::exception&) {
        continue;  // the scaled pattern cannot be searched: the answer stands
      }
      fits += again.fits;
      if (!again.fit.ok() || !(per_point(again.fit) < bar)) continue;
      bar = per_point(again.fit);
      char buf[200];
      std::snprintf(buf, sizeof buf, "d-spacings scaled by %.4f (%s cell volume had moved %+.1f %%: a 2θ-axis or wavelength error)",
                    scale.d_scale, t.whose, t.dv);
      again.note = again.note.empty() ? buf : again.note + "; " + buf;
      again.d_scale = scale.d_scale;
      scaled_forward = forward_fit;
      scaled_won = true;
      res = std::move(again);
    }
    // The axis error is real, and its shape (linear in 2θ for a goniometer that reads off by a
    // factor, not the tan θ a wavelength gives) is found anew from the scaled search's phases.
    if (scaled_won && mo.axis_calibrate) calibrated(scaled_forward, 1.0, "the scaled search's");
    res.fits = fits;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return res;
}

}  // namespace xrdid::identify
