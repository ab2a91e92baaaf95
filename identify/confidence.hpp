// Calibrated confidence: the probability that a ranked row is the sample's phase, from its score
// and its margin over the best other row, by a logistic model per search method whose
// coefficients are fitted on measured patterns (scripts/calibrate.py, docs/results.md).
#pragma once
#include <vector>

#include "identify/identify.hpp"

namespace xrdid::identify {

// p = 1 / (1 + exp(-(bias + w_score * score + w_margin * margin))), where margin = the row's score
// minus the best score of the other rows (> 0 for the first row only).
struct Calibration {
  double bias = 0, w_score = 0, w_margin = 0;
};

Calibration calibration(Method m);

// Sets every row's probability (rows ranked best first, one row per phase).
void assign_probabilities(std::vector<Candidate>& rows, Method m);

}  // namespace xrdid::identify
