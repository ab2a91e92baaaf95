// Training data from structures: K simulated copies per structure (the seed: 5, each with its
// own random Debye–Waller B ~ U[0.5, 3] Å² per element), the seed's fixed-Gaussian rendering on
// 0..119.98° step 0.02°, and class labels by a chosen identity.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/dataset.hpp"
#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::train {

// What makes two structures the same class:
//   "formula+sg" (default): reduced formula + space-group number (separates polymorphs,
//                merges repeated determinations of one phase);
//   "formula":   the seed's choice, the formula alone (polymorphs share a class);
//   "cif":       one class per structure file.
std::string class_key(const xrd::Crystal& c, const std::string& identity);

struct SimulationOptions {
  int copies = 5;
  double b_min = 0.5, b_max = 3.0;  // Å², per element per copy
  xrd::Wavelength wavelength{1.54184, 0.0, 0.5};
  double two_theta_min = 0.0, two_theta_max = 120.0, step = 0.02;
  double sigma = 0.07;              // Gaussian σ in degrees
  std::string identity = "formula+sg";
  std::uint64_t seed = 1;
  int threads = 0;
};

// Patterns are group = index of the structure in `crystals`. Class names are the keys.
Dataset simulate_dataset(const std::vector<xrd::Crystal>& crystals, const SimulationOptions& opt);

}  // namespace xrdid::train
