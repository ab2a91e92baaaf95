// Mixtures: forward selection of phases by search, joint fit and the residual (see mixture.hpp).
#include "identify/mixture.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <memory>
#include <map>
#include <set>

#include "common/check.hpp"

namespace xrdid::identify {

std::string phase_key(const xrd::LibraryEntry& e) {
  return e.reduced_formula + "#" + std::to_string(e.spacegroup_number);
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
    st.W = ph.fwhm_w;
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

MixtureResult identify_mixture(const Identifier& id, const xrd::Pattern& measured, const IdentifyOptions& opt0,
                               const MixtureOptions& mo) {
  const auto t0 = std::chrono::steady_clock::now();
  XRDID_CHECK(mo.max_phases >= 1 && mo.max_phases <= 8, "--max-phases must lie in 1..8");
  XRDID_CHECK(mo.candidates >= 1 && mo.candidates <= 50, "mixture: candidates per step must lie in 1..50");
  XRDID_CHECK(mo.max_reflections >= 0, "mixture: the reflection limit must be >= 0 (0: none)");
  check_quant_options(mo.quant);
  IdentifyOptions opt = opt0;
  opt.top = std::max(opt.top, mo.candidates);
  opt.verify = 0;
  opt.fit_rows = 0;
  const xrd::Library& lib = id.library();
  MixtureResult res;

  // 1. The first phase: the search's best row, or the best single fit among its best rows.
  const IdentifyResult first = id.identify(measured, opt);
  XRDID_CHECK(!first.candidates.empty(), "no candidate phases" +
                                             (first.note.empty() ? std::string() : " (" + first.note + ")"));
  std::vector<const Candidate*> starters;
  for (const Candidate& c : first.candidates)
    if (static_cast<int>(starters.size()) < (mo.first_by_fit ? mo.candidates : 1)) starters.push_back(&c);
  // A rare best row: the best common row among the first mo.candidates is fitted beside it.
  if (!mo.first_by_fit && rare(lib, starters.front()->entry, mo))
    for (std::size_t i = 1; i < first.candidates.size() && static_cast<int>(i) < mo.candidates; ++i)
      if (!rare(lib, first.candidates[i].entry, mo)) {
        starters.push_back(&first.candidates[i]);
        break;
      }
  std::vector<CandidateFit> tried_first = fit_candidates(id, measured, {}, starters, mo.fit, {});
  res.fits += static_cast<int>(tried_first.size());
  const CandidateFit* best_first = lowest_bic(tried_first, lib, mo);
  std::string last_error;
  for (const CandidateFit& t : tried_first)
    if (!t.error.empty()) last_error = t.error;
  XRDID_CHECK(best_first != nullptr, "no candidate phase could be fitted" +
                                         (last_error.empty() ? std::string() : " (" + last_error + ")"));
  MixtureFit cur = best_first->fit;
  res.phases.assign(1, MixturePhase{best_first->candidate->entry, best_first->candidate->same_phase, 1.0, 1.0});
  std::vector<std::shared_ptr<const xrd::Crystal>> crystals{best_first->crystal};

  // 2–3. Search the residual, fit each new candidate jointly with the set, keep the best if it
  // earns its place.
  res.note = "stopped at --max-phases";
  // The residual searches list further rows to replace those over the reflection limit.
  IdentifyOptions residual_opt = opt;
  if (mo.max_reflections > 0) residual_opt.top = std::max(opt.top, kReplacementRows * mo.candidates);
  std::map<std::size_t, bool> over_limit;  // entry → more fit reflections than the limit
  auto too_large_entry = [&](std::size_t e) {
    auto known = over_limit.find(e);
    if (known == over_limit.end()) known = over_limit.emplace(e, too_many_reflections(id, measured, e, mo)).first;
    return known->second;
  };
  std::vector<std::string> substituted;     // "HfO2 -> ZrO2": substitutes taken
  while (static_cast<int>(res.phases.size()) < mo.max_phases) {
    std::set<std::string> have_keys;
    for (const MixturePhase& ph : res.phases) have_keys.insert(phase_key(lib.entries[ph.entry]));
    const IdentifyResult next = id.identify(residual_pattern(measured, cur), residual_opt);
    std::vector<PhaseStart> starts = starts_from(cur, cur.phases.size());
    starts.push_back(PhaseStart{});
    // The search's best mo.candidates rows, a row over the reflection limit replaced by the next
    // row within it (rows of phases already in the set are used up without being fitted).
    std::vector<const Candidate*> pool;
    int too_large = 0, used = 0;
    for (const Candidate& c : next.candidates) {
      if (used >= mo.candidates) break;
      if (have_keys.count(phase_key(lib.entries[c.entry]))) {
        ++used;
        continue;
      }
      if (mo.max_reflections > 0 && too_large_entry(c.entry)) {
        ++too_large;
        continue;
      }
      ++used;
      pool.push_back(&c);
    }
    std::vector<const xrd::Crystal*> set;
    for (const auto& x : crystals) set.push_back(x.get());
    std::vector<CandidateFit> tried = fit_candidates(id, measured, set, pool, mo.fit, starts);
    res.fits += static_cast<int>(tried.size());
    const CandidateFit* pick = lowest_bic(tried, lib, mo);
    const Candidate* best_c = pick ? pick->candidate : nullptr;
    if (!best_c) {
      res.note = pool.empty() && too_large > 0
                     ? "no further candidate with at most " + std::to_string(mo.max_reflections) +
                           " reflections (--mixture-max-reflections)"
                     : "no further candidate could be fitted";
      break;
    }
    const MixtureFit& best = pick->fit;
    const double drop = (cur.chi2 - best.chi2) / cur.chi2;
    const double wf = best.phases.back().weight_fraction;
    const double lines = lines_chi2_drop(best, best.phases.size() - 1, cur);
    const bool earns = drop >= mo.min_chi2_drop && lines >= mo.min_lines_chi2_drop && wf >= mo.min_weight_fraction;
    // Pruned later, a phase joins while it lowers the BIC and fits its own lines better than the
    // set without it did.
    if (!(best.bic < cur.bic) || (mo.prune ? lines < 0 : !earns)) {
      char why[240];
      std::snprintf(why, sizeof why,
                    "the next phase (%s) would remove %.1f %% of chi2 (%.1f %% over its lines) at %.1f %% by weight",
                    lib.entries[best_c->entry].reduced_formula.c_str(), 100 * drop, 100 * lines, 100 * wf);
      res.note = why;
      break;
    }
    res.phases.push_back(MixturePhase{best_c->entry, best_c->same_phase, drop, lines});
    crystals.push_back(pick->crystal);
    cur = pick->fit;
  }
  // Substitutes: each phase's pattern (the measured one less the other phases' peaks) is
  // searched again, and its best rows that a fit could stretch onto the same peaks
  // (interchangeable(): the same crystal family and nearly the same cell) are fitted in its
  // place with the rest of the set, each from its CIF; the best replaces the phase when its fit
  // lowers the BIC by at least the share substitute_min_drop. A member of a family found first (HfO2 for ZrO2, Dy2O3 for Y2O3, another
  // spinel for Fe3O4) is stretched towards the measured phase's cell, and the forward search
  // then never tries the right member.
  for (std::size_t k = 0; mo.substitutes > 0 && k < res.phases.size(); ++k) {
    std::set<std::string> have_keys;
    for (const MixturePhase& ph : res.phases) have_keys.insert(phase_key(lib.entries[ph.entry]));
    const xrd::LibraryEntry& now = lib.entries[res.phases[k].entry];
    const IdentifyResult near = id.identify(residual_pattern(measured, cur, k), residual_opt);
    std::vector<const Candidate*> pool;
    for (const Candidate& c : near.candidates) {
      if (static_cast<int>(pool.size()) >= mo.substitutes) break;
      const xrd::LibraryEntry& e = lib.entries[c.entry];
      if (have_keys.count(phase_key(e)) || !interchangeable(e, now, mo.fit.cell_bound)) continue;
      if (mo.max_reflections > 0 && too_large_entry(c.entry)) continue;
      pool.push_back(&c);
    }
    if (pool.empty()) continue;
    std::vector<const xrd::Crystal*> set;
    for (std::size_t j = 0; j < crystals.size(); ++j)
      if (j != k) set.push_back(crystals[j].get());
    std::vector<PhaseStart> starts = starts_from(cur, k);
    // A substitute starts where the phase it replaces ended: its refined cell (the two cells are
    // alike), peak width and shape; the scales are then solved linearly and the texture is
    // chosen afresh.
    PhaseStart from;
    from.scale = 1.0;
    from.W = cur.phases[k].fwhm_w;
    from.eta = cur.phases[k].eta;
    from.cell = cur.phases[k].cell;
    starts.push_back(from);
    std::vector<CandidateFit> tried = fit_candidates(id, measured, set, pool, mo.fit, starts);
    res.fits += static_cast<int>(tried.size());
    const CandidateFit* pick = lowest_bic(tried, lib, mo);
    if (!pick || !(pick->fit.bic < (1.0 - mo.substitute_min_drop) * cur.bic)) continue;
    substituted.push_back(now.reduced_formula + " -> " + lib.entries[pick->candidate->entry].reduced_formula);
    MixturePhase np{pick->candidate->entry, pick->candidate->same_phase, res.phases[k].chi2_drop,
                    res.phases[k].lines_chi2_drop};
    res.phases.erase(res.phases.begin() + static_cast<std::ptrdiff_t>(k));
    crystals.erase(crystals.begin() + static_cast<std::ptrdiff_t>(k));
    res.phases.push_back(np);  // the fit holds the new phase last
    crystals.push_back(pick->crystal);
    cur = pick->fit;
    --k;  // the phase now at k has not been tried
  }
  // Backward: a phase that does not earn its place (its removal gives back less than
  // min_chi2_drop of the misfit or min_lines_chi2_drop over its lines, or it makes less than
  // min_weight_fraction) leaves. Stepwise: the least useful first, one at a time, the rest
  // refitted, until every phase left earns its place. With `prune` the first phase (the search's
  // best row) always stays: first, one at a time, the other phases that make the fit worse (a
  // negative share of χ² or over their lines); then every other phase below a threshold at once, judged in the company of
  // all the phases that stayed, and the rest is refitted. Each phase's chi2_drop and
  // lines_chi2_drop become what its removal from the final set would give back.
  enum class Stage { Negative, Thresholds, Report };
  Stage stage = mo.prune ? Stage::Negative : Stage::Thresholds;
  std::vector<std::string> left_out;  // reduced formulas of the phases the backward rounds removed
  while (res.phases.size() > 1) {
    const std::size_t n = res.phases.size();
    std::vector<MixtureFit> without(n);
    std::vector<char> fitted(n, 0);
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<const xrd::Crystal*> set;
      for (std::size_t j = 0; j < n; ++j)
        if (j != i) set.push_back(crystals[j].get());
      try {
        without[i] = fit_mixture(measured, set, mo.fit, starts_from(cur, i));
        fitted[i] = without[i].ok();
      } catch (const std::exception&) {
        // a set that cannot be fitted keeps its phase
      }
    }
    res.fits += static_cast<int>(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!fitted[i]) continue;
      res.phases[i].chi2_drop = (without[i].chi2 - cur.chi2) / without[i].chi2;  // share of the misfit phase i removes
      res.phases[i].lines_chi2_drop = lines_chi2_drop(cur, i, without[i]);
    }
    // The phases below the thresholds (zero ones: those that make the fit worse), and the least
    // useful of them.
    auto below = [&](bool zero, std::vector<char>& useless) {
      std::size_t worst = n;
      for (std::size_t i = 0; i < n; ++i) {
        const MixturePhase& ph = res.phases[i];
        useless[i] = fitted[i] && (zero ? ph.chi2_drop < 0 || ph.lines_chi2_drop < 0
                                        : ph.chi2_drop < mo.min_chi2_drop || ph.lines_chi2_drop < mo.min_lines_chi2_drop ||
                                              cur.phases[i].weight_fraction < mo.min_weight_fraction);
        if (mo.prune && i == 0) useless[i] = 0;  // the search's best row stays, as identify answers it
        if (useless[i] && (worst == n || ph.chi2_drop < res.phases[worst].chi2_drop)) worst = i;
      }
      return worst;
    };
    auto remove_one = [&](std::size_t i) {
      left_out.push_back(lib.entries[res.phases[i].entry].reduced_formula);
      res.phases.erase(res.phases.begin() + static_cast<std::ptrdiff_t>(i));
      crystals.erase(crystals.begin() + static_cast<std::ptrdiff_t>(i));
      cur = std::move(without[i]);
    };
    if (stage == Stage::Report) break;  // the final figures are set
    std::vector<char> useless(n, 0);
    if (stage == Stage::Negative) {
      const std::size_t worst = below(true, useless);
      if (worst < n) {
        remove_one(worst);
        continue;
      }
      stage = Stage::Thresholds;
    }
    const std::size_t worst = below(false, useless);
    if (worst == n) break;
    // A phase below a threshold beside an interchangeable partner: both can be stretched onto the
    // same peaks, so each one's share judged in the other's company says little, and a refit
    // without one starts the other from a state in which the two shared the peaks. Each of the
    // two is refitted alone with the rest of the set, from its CIF (as a joining candidate), and
    // the one with the worse fit leaves; the rounds go on with the better fit.
    {
      std::size_t pi = n, pj = n;
      for (std::size_t i = 0; i < n && pi == n; ++i) {
        if (!useless[i]) continue;
        for (std::size_t j = 0; j < n; ++j)
          // The partner may be below a threshold too (two that share the peaks would both leave).
          // With prune the first phase (the search's best row) stays where it is: no pair with it.
          if (j != i && fitted[j] && !(mo.prune && j == 0) &&
              interchangeable(lib.entries[res.phases[i].entry], lib.entries[res.phases[j].entry], mo.fit.cell_bound)) {
            pi = i;
            pj = j;
            break;
          }
      }
      if (pi < n) {
        // The set without both, then `keep` appended and fitted from its CIF.
        auto alone = [&](std::size_t keep, std::size_t drop) {
          std::vector<char> d(n, 0);
          d[keep] = d[drop] = 1;
          std::vector<PhaseStart> st = starts_from(cur, d);
          std::vector<const xrd::Crystal*> set;
          for (std::size_t k = 0; k < n; ++k)
            if (!d[k]) set.push_back(crystals[k].get());
          set.push_back(crystals[keep].get());
          st.push_back(PhaseStart{});
          MixtureFit f;
          try {
            f = fit_mixture(measured, set, mo.fit, st);
          } catch (const std::exception&) {
            f = MixtureFit{};
          }
          return f;
        };
        MixtureFit keep_i = alone(pi, pj);
        MixtureFit keep_j = alone(pj, pi);
        res.fits += 2;
        const bool i_ok = keep_i.ok(), j_ok = keep_j.ok();
        if (i_ok || j_ok) {
          const bool keep_first = i_ok && (!j_ok || keep_i.chi2 <= keep_j.chi2);
          const std::size_t keep = keep_first ? pi : pj, drop = keep_first ? pj : pi;
          left_out.push_back(lib.entries[res.phases[drop].entry].reduced_formula);
          MixturePhase kp = res.phases[keep];
          std::shared_ptr<const xrd::Crystal> kc = crystals[keep];
          std::vector<MixturePhase> phases;
          std::vector<std::shared_ptr<const xrd::Crystal>> cr;
          for (std::size_t k = 0; k < n; ++k)
            if (k != keep && k != drop) {
              phases.push_back(res.phases[k]);
              cr.push_back(crystals[k]);
            }
          phases.push_back(kp);
          cr.push_back(kc);
          res.phases = std::move(phases);
          crystals = std::move(cr);
          cur = keep_first ? std::move(keep_i) : std::move(keep_j);
          continue;
        }
      }
    }
    if (!mo.prune) {
      remove_one(worst);
      continue;
    }
    stage = Stage::Report;  // after this removal, one more round sets the final figures
    if (std::count(useless.begin(), useless.end(), 1) == 1) {
      remove_one(worst);
      continue;
    }
    std::vector<const xrd::Crystal*> kept_set;
    std::vector<MixturePhase> kept_phases;
    std::vector<std::shared_ptr<const xrd::Crystal>> kept_crystals;
    for (std::size_t i = 0; i < n; ++i)
      if (!useless[i]) {
        kept_set.push_back(crystals[i].get());
        kept_phases.push_back(res.phases[i]);
        kept_crystals.push_back(crystals[i]);
      }
    MixtureFit refit;
    try {
      refit = fit_mixture(measured, kept_set, mo.fit, starts_from(cur, useless));
    } catch (const std::exception&) {
      refit = MixtureFit{};
    }
    ++res.fits;
    if (!refit.ok()) {  // the smaller set cannot be fitted: remove the least useful phase alone
      remove_one(worst);
      continue;
    }
    cur = std::move(refit);
    for (std::size_t i = 0; i < n; ++i)
      if (useless[i]) left_out.push_back(lib.entries[res.phases[i].entry].reduced_formula);
    res.phases = std::move(kept_phases);
    crystals = std::move(kept_crystals);
  }
  if (!substituted.empty()) {
    res.note += "; substituted: ";
    for (std::size_t k = 0; k < substituted.size(); ++k) res.note += (k ? ", " : "") + substituted[k];
  }
  if (!left_out.empty()) {
    res.note += "; then left out: ";
    for (std::size_t k = 0; k < left_out.size(); ++k) res.note += (k ? ", " : "") + left_out[k];
  }
  if (res.phases.size() == 1) res.phases[0].chi2_drop = res.phases[0].lines_chi2_drop = 1.0;
  res.fit = std::move(cur);
  res.unexplained = unexplained_peaks(res.fit, mo.unexplained_sigmas);
  if (mo.quant.active()) {
    std::vector<const xrd::Crystal*> set;
    std::vector<std::string> ids;
    for (std::size_t k = 0; k < res.phases.size(); ++k) {
      set.push_back(crystals[k].get());
      ids.push_back(lib.entries[res.phases[k].entry].id);
    }
    res.quant = quantify(res.fit, set, ids, mo.quant);
    res.quantified = true;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace xrdid::identify
