// One row per phase (see same_phase.hpp).
#include "identify/same_phase.hpp"

#include <cmath>
#include <cstdlib>

#include "xrd/library_groups.hpp"

namespace xrdid::identify {

namespace {

bool same_cell(const std::array<double, 6>& x, const std::array<double, 6>& y, const SamePhaseTolerance& tol) {
  for (int i = 0; i < 3; ++i)
    if (!(x[i] > 0 && y[i] > 0) || std::abs(x[i] - y[i]) > tol.cell_rel * std::max(x[i], y[i])) return false;
  for (int i = 3; i < 6; ++i)
    if (!(std::abs(x[i] - y[i]) <= tol.angle_deg)) return false;
  return true;
}

}  // namespace

bool same_phase(const xrd::Library& lib, std::size_t a, std::size_t b, const SamePhaseTolerance& tol) {
  const auto& ea = lib.entries[a];
  const auto& eb = lib.entries[b];
  if (ea.spacegroup_number != eb.spacegroup_number) return false;
  if (xrd::composition_key(ea.reduced_formula) != xrd::composition_key(eb.reduced_formula)) return false;
  if (same_cell(ea.cell, eb.cell, tol)) return true;
  if (lib.patterns.empty() || lib.two_theta_step <= 0) return false;
  const int shift = static_cast<int>(tol.max_shift_deg / lib.two_theta_step);
  return xrd::shifted_cosine(lib.pattern(a), lib.pattern(b), lib.n_points, shift) >= tol.min_cosine;
}

std::vector<PhaseRow> rows_by_phase(const xrd::Library& lib, const std::vector<std::size_t>& ranked, std::size_t rows,
                                    const SamePhaseTolerance& tol) {
  std::vector<PhaseRow> out;
  for (std::size_t pos = 0; pos < ranked.size(); ++pos) {
    bool listed = false;
    for (auto& row : out)
      if (same_phase(lib, ranked[row.position], ranked[pos], tol)) {
        row.also.push_back(pos);
        listed = true;
        break;
      }
    if (!listed && out.size() < rows) out.push_back(PhaseRow{pos, {}});
  }
  return out;
}

}  // namespace xrdid::identify
