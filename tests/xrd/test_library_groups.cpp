// Duplicate grouping (xrd/library_groups.hpp): hand-made tiny libraries, and the repeat
// determinations of Fe, AlO, TiN and DyMn6-xCrxGe6 under $XRDID_DATA when it is set.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "xrd/library.hpp"
#include "xrd/library_groups.hpp"
#include "common/data_dir.hpp"

using namespace xrdid::xrd;
namespace fs = std::filesystem;

namespace {

// Gaussian peaks (centre in degrees, height) on the grid 10..14 deg, step 0.02, max 100.
std::vector<float> peaks(const std::vector<std::pair<double, double>>& list) {
  std::vector<float> row(200, 0.0f);
  for (std::size_t k = 0; k < row.size(); ++k) {
    const double x = 10.0 + 0.02 * static_cast<double>(k);
    double v = 0.0;
    for (const auto& [c, h] : list) v += h * std::exp(-0.5 * (x - c) * (x - c) / (0.07 * 0.07));
    row[k] = static_cast<float>(v);
  }
  const float top = *std::max_element(row.begin(), row.end());
  if (top > 0) for (auto& v : row) v *= 100.0f / top;
  return row;
}

struct TinyLib {
  Library lib;
  TinyLib() {
    lib.two_theta_start = 10.0;
    lib.two_theta_step = 0.02;
    lib.n_points = 200;
  }
  void add(const std::string& id, const std::string& formula, int sg, const std::vector<float>& row) {
    LibraryEntry e;
    e.id = id;
    e.reduced_formula = formula;
    e.spacegroup_number = sg;
    lib.entries.push_back(e);
    lib.patterns.insert(lib.patterns.end(), row.begin(), row.end());
  }
};

}  // namespace

TEST_CASE("shifted_cosine: identical rows give 1, disjoint rows 0, a shift is found within the window") {
  const auto a = peaks({{11.0, 100}, {12.5, 40}});
  const auto b = peaks({{11.06, 100}, {12.56, 40}});  // the same pattern 3 points higher
  const auto c = peaks({{13.5, 100}});
  const std::vector<float> zero(200, 0.0f);
  CHECK(shifted_cosine(a.data(), a.data(), 200, 0) == doctest::Approx(1.0));
  CHECK(shifted_cosine(a.data(), c.data(), 200, 5) == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(shifted_cosine(a.data(), zero.data(), 200, 5) == 0.0);
  CHECK(shifted_cosine(a.data(), b.data(), 200, 0) < 0.9);
  CHECK(shifted_cosine(a.data(), b.data(), 200, 3) == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(shifted_cosine(b.data(), a.data(), 200, 3) == doctest::Approx(1.0).epsilon(1e-4));
  CHECK_THROWS_AS(shifted_cosine(a.data(), b.data(), 200, -1), std::invalid_argument);
}

TEST_CASE("group_duplicates: formula, space group and pattern must all agree; groups follow entry order") {
  const auto fe = peaks({{11.0, 100}, {12.5, 40}});
  const auto fe_shifted = peaks({{11.06, 100}, {12.56, 40}});  // 0.06 deg: a slightly different cell
  const auto other = peaks({{10.5, 100}, {13.0, 70}});
  TinyLib t;
  t.add("fe-1", "Fe", 229, fe);           // 0
  t.add("feo", "FeO", 225, other);        // 1
  t.add("fe-2", "Fe", 229, fe_shifted);   // 0: same identity, small zero shift
  t.add("fe-fcc", "Fe", 225, fe);         // 2: same pattern but another space group
  t.add("co", "Co", 229, fe);             // 3: same pattern but another formula
  t.add("fe-3", "Fe", 229, other);        // 4: same formula and group, different pattern
  t.add("fe-4", "Fe", 229, fe);           // 0
  const std::vector<int> g = group_duplicates(t.lib);
  CHECK(g == std::vector<int>{0, 1, 0, 2, 3, 4, 0});

  // Without a shift window the shifted determination stands alone.
  CHECK(group_duplicates(t.lib, 0.98, 0.0) == std::vector<int>{0, 1, 2, 3, 4, 5, 0});
  // A loose threshold still never merges across formula or space group.
  const std::vector<int> loose = group_duplicates(t.lib, -1.0, 0.1);
  CHECK(loose == std::vector<int>{0, 1, 0, 2, 3, 0, 0});
}

TEST_CASE("composition_key: formulas compared as atom fractions") {
  CHECK(composition_key("TiN") == composition_key("Ti3.52N3.52"));
  CHECK(composition_key("TiN") == composition_key("Ti4 N4"));
  CHECK(composition_key("TiN") != composition_key("Ti4N3.6"));
  CHECK(composition_key("Al2O3") == composition_key("O3Al2"));
  CHECK(composition_key("DyMn4.5Cr1.5Ge6") == composition_key("Dy2Mn9Cr3Ge12"));
  CHECK(composition_key("DyMn4.5Cr1.5Ge6") != composition_key("DyMn4.002Cr1.998Ge6"));
  CHECK(composition_key("Fe") == "Fe:1000 ");
  CHECK(composition_key("not a formula") == "not a formula");
  CHECK(composition_key("") == "");

  TinyLib t;
  t.add("tin", "TiN", 225, peaks({{12.0, 100}}));
  t.add("tin-partial", "Ti3.52N3.52", 225, peaks({{12.02, 100}}));
  t.add("tin-poor", "Ti4N3.6", 225, peaks({{12.0, 100}}));
  CHECK(group_duplicates(t.lib) == std::vector<int>{0, 0, 1});
}

TEST_CASE("group_duplicates: links are transitive (union-find)") {
  // a~b and b~c with a 3-point step each; a and c are 6 points apart, beyond a 4-point window.
  TinyLib t;
  t.add("a", "TiN", 225, peaks({{11.00, 100}}));
  t.add("b", "TiN", 225, peaks({{11.06, 100}}));
  t.add("c", "TiN", 225, peaks({{11.12, 100}}));
  const float* r = t.lib.patterns.data();
  REQUIRE(shifted_cosine(r, r + 400, 200, 4) < 0.95);
  CHECK(group_duplicates(t.lib, 0.98, 0.08) == std::vector<int>{0, 0, 0});
  CHECK(group_duplicates(t.lib, 0.98, 0.0) == std::vector<int>{0, 1, 2});
}

TEST_CASE("group_duplicates: edge cases") {
  TinyLib empty;
  CHECK(group_duplicates(empty.lib).empty());
  TinyLib t;
  t.add("x", "Si", 227, peaks({{12.0, 100}}));
  CHECK(group_duplicates(t.lib) == std::vector<int>{0});
  CHECK_THROWS_AS(group_duplicates(t.lib, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(group_duplicates(t.lib, 0.98, -0.1), std::invalid_argument);
  t.lib.patterns.clear();  // as load_library(path, /*patterns=*/false) leaves it
  CHECK_THROWS_WITH_AS(group_duplicates(t.lib), doctest::Contains("without its patterns"), std::invalid_argument);
}

TEST_CASE("group_duplicates on repeat determinations from COD ($XRDID_DATA/cif/httk-cod/duplicates)") {
  const auto found = xrdid::testing::data_dir("cif/httk-cod/duplicates");
  if (!found) return;
  const fs::path dir = *found;
  LibraryBuildOptions opt;
  opt.two_theta_start = 10.0;
  opt.two_theta_stop = 90.0;
  std::vector<LibrarySkip> skipped;
  const Library lib = build_library(collect_cifs({dir.string()}), opt, &skipped);
  REQUIRE(lib.size() > 0);
  const std::vector<int> g = group_duplicates(lib);
  REQUIRE(g.size() == lib.size());
  const int n_groups = *std::max_element(g.begin(), g.end()) + 1;
  MESSAGE(lib.size() << " entries (" << skipped.size() << " CIFs skipped), " << n_groups << " identities");

  std::map<int, std::set<std::pair<std::string, int>>> keys;
  std::map<int, int> sizes;
  for (std::size_t i = 0; i < lib.size(); ++i) {
    keys[g[i]].insert({composition_key(lib.entries[i].reduced_formula), lib.entries[i].spacegroup_number});
    ++sizes[g[i]];
  }
  // Every group is one (formula, space group); numbering follows entry order.
  for (const auto& [id, k] : keys) CHECK(k.size() == 1);
  int seen = -1;
  for (int v : g) {
    CHECK(v <= seen + 1);
    seen = std::max(seen, v);
  }
  // Repeat determinations collapse: far fewer identities than entries, and real groups exist.
  CHECK(n_groups < static_cast<int>(lib.size()) / 2);
  int largest = 0;
  for (const auto& [id, s] : sizes) largest = std::max(largest, s);
  CHECK(largest >= 10);
  // Four determinations of TiN with the same cell (a = 4.244 Å) are one identity; no group
  // mixes the four families (they differ in formula or space group anyway).
  std::map<std::string, int> by_id;
  for (std::size_t i = 0; i < lib.size(); ++i) by_id[lib.entries[i].id] = g[i];
  if (by_id.count("TiN/1011099") && by_id.count("TiN/1100034") && by_id.count("TiN/1101045")) {
    CHECK(by_id["TiN/1011099"] == by_id["TiN/1100034"]);
    CHECK(by_id["TiN/1011099"] == by_id["TiN/1101045"]);
  }
}
