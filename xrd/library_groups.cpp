// Groups repeated determinations of one structure in a library (see library_groups.hpp):
// bucket by (reduced formula, space group), then union–find over pairs with a high shifted cosine.
#include "xrd/library_groups.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace xrdid::xrd {
namespace {

double norm(const float* a, std::size_t n) {
  double s = 0.0;
  for (std::size_t k = 0; k < n; ++k) s += static_cast<double>(a[k]) * a[k];
  return std::sqrt(s);
}

// Sum over k of a[k] * b[k - shift] where both indices are inside [0, n).
double shifted_dot(const float* a, const float* b, std::size_t n, int shift) {
  const std::size_t s = static_cast<std::size_t>(shift < 0 ? -shift : shift);
  if (s >= n) return 0.0;
  const float* x = shift >= 0 ? a + s : a;
  const float* y = shift >= 0 ? b : b + s;
  double acc = 0.0;
  for (std::size_t k = 0; k < n - s; ++k) acc += static_cast<double>(x[k]) * y[k];
  return acc;
}

double best_cosine(const float* a, double na, const float* b, double nb, std::size_t n, int max_shift) {
  if (na <= 0.0 || nb <= 0.0) return 0.0;
  double best = -1.0;
  for (int s = -max_shift; s <= max_shift; ++s) best = std::max(best, shifted_dot(a, b, n, s));
  return best / (na * nb);
}

struct UnionFind {
  std::vector<std::size_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), std::size_t{0}); }
  std::size_t find(std::size_t i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }
  void unite(std::size_t i, std::size_t j) {
    i = find(i);
    j = find(j);
    if (i != j) parent[std::max(i, j)] = std::min(i, j);  // the earlier entry stays the root
  }
};

}  // namespace

std::string composition_key(const std::string& formula) {
  std::map<std::string, double> amounts;
  double total = 0.0;
  std::size_t i = 0;
  while (i < formula.size()) {
    const char c = formula[i];
    if (c == ' ') {
      ++i;
      continue;
    }
    if (c < 'A' || c > 'Z') return formula;
    std::size_t j = i + 1;
    while (j < formula.size() && formula[j] >= 'a' && formula[j] <= 'z') ++j;
    const std::string el = formula.substr(i, j - i);
    std::size_t k = j;
    while (k < formula.size() && ((formula[k] >= '0' && formula[k] <= '9') || formula[k] == '.')) ++k;
    double amount = 1.0;
    if (k > j) {
      try {
        amount = std::stod(formula.substr(j, k - j));
      } catch (const std::exception&) {
        return formula;
      }
    }
    if (!(amount > 0.0)) return formula;
    amounts[el] += amount;
    total += amount;
    i = k;
  }
  if (amounts.empty()) return formula;
  std::string key;
  for (const auto& [el, amount] : amounts) key += el + ":" + std::to_string(std::llround(1000.0 * amount / total)) + " ";
  return key;
}

double shifted_cosine(const float* a, const float* b, std::size_t n, int max_shift) {
  if (max_shift < 0) throw std::invalid_argument("shifted_cosine: negative shift");
  return best_cosine(a, norm(a, n), b, norm(b, n), n, max_shift);
}

std::vector<int> group_duplicates(const Library& lib, double min_cosine, double max_shift_deg) {
  const std::size_t n = lib.size();
  if (!(min_cosine >= -1.0 && min_cosine <= 1.0))
    throw std::invalid_argument("group_duplicates: min_cosine must lie in [-1, 1]");
  if (!(max_shift_deg >= 0.0)) throw std::invalid_argument("group_duplicates: max_shift_deg must be >= 0");
  if (n > 0 && lib.patterns.size() != n * lib.n_points)
    throw std::invalid_argument("group_duplicates: the library was loaded without its patterns");
  if (n > 0 && !(lib.two_theta_step > 0.0)) throw std::invalid_argument("group_duplicates: bad 2θ step");
  const int max_shift = n > 0 ? static_cast<int>(std::floor(max_shift_deg / lib.two_theta_step + 1e-9)) : 0;

  std::map<std::pair<std::string, int>, std::vector<std::size_t>> buckets;
  for (std::size_t i = 0; i < n; ++i)
    buckets[{composition_key(lib.entries[i].reduced_formula), lib.entries[i].spacegroup_number}].push_back(i);

  std::vector<double> norms(n);
  for (std::size_t i = 0; i < n; ++i) norms[i] = norm(lib.pattern(i), lib.n_points);

  UnionFind uf(n);
  for (const auto& [key, members] : buckets) {
    for (std::size_t p = 0; p < members.size(); ++p)
      for (std::size_t q = p + 1; q < members.size(); ++q) {
        const std::size_t i = members[p], j = members[q];
        if (uf.find(i) == uf.find(j)) continue;  // already linked through others
        if (best_cosine(lib.pattern(i), norms[i], lib.pattern(j), norms[j], lib.n_points, max_shift) >= min_cosine)
          uf.unite(i, j);
      }
  }

  std::vector<int> group(n, -1), root_group(n, -1);
  int next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = uf.find(i);
    if (root_group[r] < 0) root_group[r] = next++;
    group[i] = root_group[r];
  }
  return group;
}

}  // namespace xrdid::xrd
