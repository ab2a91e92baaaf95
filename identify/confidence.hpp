// Calibrated confidence: the probability that a ranked row is the sample's phase, from its score,
// its margin over the best other row and (profile, hybrid) its chance level and how far the
// measured cell lies from the reference's, by a logistic model per search method whose
// coefficients are fitted on measured patterns (scripts/calibrate.py, docs/results.md).
#pragma once
#include <vector>

#include "identify/identify.hpp"

namespace xrdid::identify {

// p = 1 / (1 + exp(-(bias + w_score * score + w_margin * margin + w_chance * chance
//                     + w_volume * volume))), where
// margin = the row's score minus the best score of the other rows (> 0 for the first row only),
// chance = Candidate::chance (0 where the method has none) and volume = |volume_change(row)|.
// threshold: the method's default --min-probability, chosen with its coefficients (the lowest
// probability that answers at most 10 % of the queries whose phase is absent as confident).
struct Calibration {
  double bias = 0, w_score = 0, w_margin = 0, w_chance = 0, w_volume = 0;
  double threshold = 0.5;
};

// How far the measured cell lies from the reference's: 100 ln(V / V0), in per cent of the
// reference cell's volume V0 (the probability weighs its magnitude). V is the cell the row's
// whole-pattern fit refined (Candidate::fit, else Candidate::confidence_fit) or, for a row
// without a converged fit, the search's lattice scale f applied to all three axes (V / V0 = f³).
// A reference of another composition of the same structure type (an isostructural compound,
// another member of a solid solution) fits the peaks only with its cell stretched, the
// sample's own phase with its cell nearly as published.
double volume_change(const Candidate& row);

// The row's converged whole-pattern fit: verified or drawn (Candidate::fit), else the one made
// for its probability (Candidate::confidence_fit); nullptr when it has none.
const FitResult* converged_fit(const Candidate& row);

Calibration calibration(Method m);

// The first row's probability at which the answer is confident: opt.min_probability, or where it
// is negative (the default) the method's calibrated threshold.
double confidence_threshold(const IdentifyOptions& opt);

// Sets every row's probability (rows ranked best first, one row per phase). Identifier::identify
// fits the first row before, where the method's calibration weighs the volume change.
void assign_probabilities(std::vector<Candidate>& rows, Method m);

}  // namespace xrdid::identify
