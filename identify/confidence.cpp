// See confidence.hpp.
#include "identify/confidence.hpp"

#include <algorithm>
#include <cmath>

namespace xrdid::identify {

// Fitted by scripts/calibrate.py on the shared RRUFF/opXRD patterns, once against the whole
// shared library and once against it without the RRUFF/opXRD structures (docs/results.md).
// Hybrid scores are 0.9 × the profile score + 0.1 × the model's and take the profile's model;
// the model method has no calibration of its own yet and takes it too.
Calibration calibration(Method m) {
  switch (m) {
    case Method::Peaks: return {-2.6787, 3.2707, 12.7466};
    case Method::Profile:
    case Method::Hybrid:
    case Method::Model: return {-9.3011, 11.7620, 14.3847};
  }
  return {};
}

void assign_probabilities(std::vector<Candidate>& rows, Method m) {
  const Calibration k = calibration(m);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // The margin over the best other row; a lone row (chemistry filters leave one) has none.
    double best_other = rows[i].score;
    bool any = false;
    for (std::size_t j = 0; j < rows.size(); ++j)
      if (j != i) best_other = any ? std::max(best_other, rows[j].score) : rows[j].score, any = true;
    const double margin = rows[i].score - best_other;
    rows[i].probability = 1.0 / (1.0 + std::exp(-(k.bias + k.w_score * rows[i].score + k.w_margin * margin)));
  }
}

}  // namespace xrdid::identify
