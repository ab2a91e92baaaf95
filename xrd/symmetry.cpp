// Space-group detection with spglib 2.0 (see symmetry.hpp).
#include "xrd/symmetry.hpp"

#include <spglib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace xrdid::xrd {

namespace {

// spglib reports failures through one global error code, so calls are made one at a time.
std::mutex& spglib_mutex() {
  static std::mutex m;
  return m;
}

// "F m -3 m" from spglib's setting-specific symbol ("F m -3 m", "P 1 2_1/c 1", "R -3 m"): the
// underscores of screw axes dropped, as gemmi and the CIFs write them.
std::string clean_symbol(const char* s) {
  std::string out;
  for (const char* p = s; *p; ++p)
    if (*p != '_') out += *p;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

DetectedSpaceGroup detect_space_group(const Crystal& c, double tolerance) {
  DetectedSpaceGroup out;
  if (tolerance <= 0) tolerance = kSymmetryTolerance;
  if (c.sites.empty()) {
    out.error = "no atoms";
    return out;
  }
  // One atom per position group; its kind is the sorted list of (Z, occupancy in 1/1000).
  std::map<int, std::vector<std::pair<int, long>>> mix;  // position_group -> species
  std::map<int, std::array<double, 3>> where;
  for (const Site& s : c.sites) {
    mix[s.position_group].emplace_back(s.z, std::lround(s.occ * 1000.0));
    where.emplace(s.position_group, s.fract);
  }
  std::map<std::vector<std::pair<int, long>>, int> kind_of;
  std::vector<double> positions;  // x, y, z of each atom in turn (spglib's double[][3])
  std::vector<int> types;
  positions.reserve(3 * mix.size());
  types.reserve(mix.size());
  for (auto& [group, species] : mix) {
    std::sort(species.begin(), species.end());
    const int next = static_cast<int>(kind_of.size()) + 1;
    types.push_back(kind_of.emplace(species, next).first->second);
    const std::array<double, 3>& x = where.at(group);
    positions.insert(positions.end(), x.begin(), x.end());
  }
  // spglib wants the basis vectors as columns.
  const auto rows = c.lattice_vectors();
  double lattice[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) lattice[i][j] = rows[j][i];

  std::lock_guard<std::mutex> lock(spglib_mutex());
  SpglibDataset* ds = spg_get_dataset(lattice, reinterpret_cast<double(*)[3]>(positions.data()), types.data(),
                                      static_cast<int>(types.size()), tolerance);
  if (!ds) {
    out.error = spg_get_error_message(spg_get_error_code());
    return out;
  }
  out.number = ds->spacegroup_number;
  const SpglibSpacegroupType t = spg_get_spacegroup_type(ds->hall_number);
  out.symbol = clean_symbol(t.number > 0 ? t.international : ds->international_symbol);
  spg_free_dataset(ds);
  if (out.number < 1 || out.number > 230) {
    out.error = "spglib returned space group " + std::to_string(out.number);
    out.number = 0;
    out.symbol.clear();
  }
  return out;
}

int enantiomorph(int number) {
  static constexpr int kPairs[][2] = {{76, 78},   {91, 95},   {92, 96},   {144, 145}, {151, 153}, {152, 154},
                                      {169, 170}, {171, 172}, {178, 179}, {180, 181}, {212, 213}};
  for (const auto& p : kPairs) {
    if (p[0] == number) return p[1];
    if (p[1] == number) return p[0];
  }
  return 0;
}

}  // namespace xrdid::xrd
