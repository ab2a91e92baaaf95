// Calibrated confidence: the probability that a ranked row is the sample's phase, from its score,
// its margin over the best other row and (profile, hybrid) its chance level, by a logistic model
// per search method whose
// coefficients are fitted on measured patterns (scripts/calibrate.py, docs/results.md).
#pragma once
#include <vector>

#include "identify/identify.hpp"

namespace xrdid::identify {

// p = 1 / (1 + exp(-(bias + w_score * score + w_margin * margin + w_chance * chance))), where
// margin = the row's score minus the best score of the other rows (> 0 for the first row only)
// and chance = Candidate::chance (0 where the method has none).
struct Calibration {
  double bias = 0, w_score = 0, w_margin = 0, w_chance = 0;
};

Calibration calibration(Method m);

// Sets every row's probability (rows ranked best first, one row per phase).
void assign_probabilities(std::vector<Candidate>& rows, Method m);

}  // namespace xrdid::identify
