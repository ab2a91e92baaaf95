// Dataset storage and splits.
#include "train/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace xrdid::train {

void Dataset::add(const float* p, std::int64_t label, std::int64_t group_id) {
  if (length <= 0) throw std::runtime_error("xrdid: Dataset::add before the pattern length was set");
  float mx = 0.f;
  for (int i = 0; i < length; ++i) mx = std::max(mx, p[i]);
  const float inv = mx > 0.f ? 1.f / mx : 0.f;
  for (int i = 0; i < length; ++i) x.push_back(p[i] * inv);
  y.push_back(label);
  group.push_back(group_id);
}

namespace {
void cut(const std::vector<std::size_t>& order, Split& s) {
  const std::size_t m = order.size();
  const auto n_train = static_cast<std::size_t>(std::llround(0.7 * static_cast<double>(m)));
  const auto n_val_end =
      static_cast<std::size_t>(std::llround(static_cast<double>(m - n_train) / 2.0 + static_cast<double>(n_train)));
  s.train.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_train));
  s.val.assign(order.begin() + static_cast<std::ptrdiff_t>(n_train), order.begin() + static_cast<std::ptrdiff_t>(n_val_end));
  s.test.assign(order.begin() + static_cast<std::ptrdiff_t>(n_val_end), order.end());
}
}  // namespace

Split split_random(std::size_t m, std::uint64_t seed) {
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  Split s;
  cut(order, s);
  return s;
}

Split split_by_group(const Dataset& d, std::uint64_t seed) {
  std::int64_t ng = 0;
  for (auto g : d.group) ng = std::max(ng, g + 1);
  std::vector<std::size_t> groups(static_cast<std::size_t>(ng));
  std::iota(groups.begin(), groups.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(groups.begin(), groups.end(), rng);
  Split gs;
  cut(groups, gs);
  std::vector<int> where(static_cast<std::size_t>(ng), 0);
  for (auto g : gs.val) where[g] = 1;
  for (auto g : gs.test) where[g] = 2;
  Split s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    int w = where[static_cast<std::size_t>(d.group[i])];
    (w == 0 ? s.train : w == 1 ? s.val : s.test).push_back(i);
  }
  return s;
}

}  // namespace xrdid::train
