// See confidence.hpp.
#include "identify/confidence.hpp"

#include <algorithm>
#include <cmath>

#include "identify/fit.hpp"

namespace xrdid::identify {

// Fitted by scripts/calibrate.py --train-complete-only on the shared RRUFF/opXRD patterns whose
// true CIF is complete (xrd::atom_volume_fill at least 0.5: 131 of 144), once against the whole
// shared library and once against it without the RRUFF/opXRD structures (docs/results.md). The
// volume change weighs where the first row is fitted (profile, peaks, hybrid).
// Hybrid scores are 0.9 × the profile score + 0.1 × the model's and take the profile's model.
// The model method has no calibration of its own yet and no chance level: it takes the profile's
// model fitted on score and margin alone, and the profile's threshold. Thresholds by
// scripts/calibrate.py --choose-threshold 0.1.
Calibration calibration(Method m) {
  switch (m) {
    case Method::Peaks: return {-1.3205, 2.3828, 15.8385, 0.0, -0.8594, 0.45};
    case Method::Profile:
    case Method::Hybrid: return {-9.4020, 13.3523, 24.2177, 1.5393, -1.8254, 0.25};
    case Method::Model: return {-11.3013, 14.2928, 18.9984, 0.0, 0.0, 0.25};
  }
  return {};
}

double confidence_threshold(const IdentifyOptions& opt) {
  return opt.min_probability >= 0 ? opt.min_probability : calibration(opt.method).threshold;
}

const FitResult* converged_fit(const Candidate& row) {
  if (row.fit && row.fit->ok()) return row.fit.get();
  if (row.confidence_fit && row.confidence_fit->ok()) return row.confidence_fit.get();
  return nullptr;
}

double volume_change(const Candidate& row) {
  if (const FitResult* fit = converged_fit(row)) {
    const double v = cell_volume_change(fit->cell, fit->cell_start);
    if (std::isfinite(v)) return v;
  }
  return row.scale > 0 ? 300.0 * std::log(row.scale) : 0.0;
}

void assign_probabilities(std::vector<Candidate>& rows, Method m) {
  const Calibration k = calibration(m);
  // The best and second-best scores: every row's margin is over the best of the others.
  double best = -1e300, second = -1e300;
  for (const auto& r : rows) {
    if (r.score > best) second = best, best = r.score;
    else if (r.score > second) second = r.score;
  }
  bool best_taken = false;
  for (auto& r : rows) {
    double margin = 0.0;  // a lone row (chemistry filters leave one) has no margin
    if (rows.size() > 1) {
      const bool is_best = !best_taken && r.score == best;
      best_taken = best_taken || is_best;
      margin = r.score - (is_best ? second : best);
    }
    const double volume = k.w_volume != 0.0 ? std::abs(volume_change(r)) : 0.0;
    r.probability = 1.0 / (1.0 + std::exp(-(k.bias + k.w_score * r.score + k.w_margin * margin +
                                             k.w_chance * r.chance + k.w_volume * volume)));
  }
}

}  // namespace xrdid::identify
