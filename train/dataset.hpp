// In-memory training data: fixed-length patterns with class labels, the seed's 70/15/15 split
// over spectra and a stricter split that keeps every copy of a structure in one set.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xrdid::train {

struct Dataset {
  int length = 0;                       // points per pattern
  double two_theta_start = 0.0;         // grid of every pattern: start + i * step (degrees)
  double two_theta_step = 0.02;
  std::vector<float> x;                 // size() x length, each pattern scaled to [0, 1]
  std::vector<std::int64_t> y;          // class of each pattern
  std::vector<std::int64_t> group;      // structure (library entry) of each pattern
  std::vector<std::string> class_names; // class index -> name

  std::size_t size() const { return y.size(); }
  const float* row(std::size_t i) const { return x.data() + i * static_cast<std::size_t>(length); }
  std::int64_t num_classes() const { return static_cast<std::int64_t>(class_names.size()); }
  // Appends one pattern (copied, divided by its maximum).
  void add(const float* pattern, std::int64_t label, std::int64_t group_id);
};

struct Split {
  std::vector<std::size_t> train, val, test;
};

// The seed protocol (docs/method.md §9): one random permutation of all patterns; n_train =
// round(0.7 M), validation/test split at round((M - n_train)/2 + n_train).
Split split_random(std::size_t m, std::uint64_t seed);
// Stricter: whole groups (structures) go to one set, in the same 70/15/15 proportions of groups.
Split split_by_group(const Dataset& d, std::uint64_t seed);

}  // namespace xrdid::train
