// One row per phase (see same_phase.hpp).
#include "identify/same_phase.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "xrd/library_groups.hpp"
#include "xrd/symmetry.hpp"

namespace xrdid::identify {

namespace {

// The same lattice within the tolerance, in any order of the axes: a CIF's setting (Pnma or
// Pbnm, the monoclinic axis b or c) permutes a, b, c and their angles together; an angle and
// its supplement (an axis pointing the other way) count as the same.
bool same_cell(const std::array<double, 6>& x, const std::array<double, 6>& y, const SamePhaseTolerance& tol) {
  static constexpr int kOrders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (const auto& p : kOrders) {
    bool same = true;
    for (int i = 0; i < 3 && same; ++i) {
      const double u = x[p[i]], v = y[i], au = x[3 + p[i]], av = y[3 + i];
      same = u > 0 && v > 0 && std::abs(u - v) <= tol.cell_rel * std::max(u, v) &&
             std::min(std::abs(au - av), std::abs(180.0 - au - av)) <= tol.angle_deg;
    }
    if (same) return true;
  }
  return false;
}

bool same_group(int a, int b) { return a == b || (a > 0 && xrd::enantiomorph(a) == b); }

// The best cosine of library pattern a with pattern b whose d-spacings are scaled by f, |f − 1| ≤
// max_rel in steps of 0.001: one lattice in two settings (a centred cell and its primitive one,
// hexagonal and rhombohedral axes) whose cells also differ by up to max_rel, which neither a
// comparison of the cells nor the zero-shift cosine matches.
double scaled_cosine(const xrd::Library& lib, std::size_t a, std::size_t b, double max_rel) {
  const float* pa = lib.pattern(a);
  const float* pb = lib.pattern(b);
  const std::size_t n = lib.n_points;
  const double deg = M_PI / 180.0;
  double aa = 0;
  std::vector<double> sin_theta(n);
  for (std::size_t i = 0; i < n; ++i) {
    aa += double(pa[i]) * pa[i];
    sin_theta[i] = std::sin(0.5 * (lib.two_theta_start + lib.two_theta_step * static_cast<double>(i)) * deg);
  }
  if (!(aa > 0)) return 0.0;
  double best = 0;
  const int steps = static_cast<int>(std::floor(max_rel / 0.001 + 1e-9));
  for (int k = -steps; k <= steps; ++k) {
    const double f = 1.0 + 0.001 * k;  // a line of b at d appears at f·d
    double ab = 0, bb = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double s = sin_theta[i] / f;  // sin θ of the point of b that moves here
      if (!(s > 0 && s < 1)) continue;
      const double x = (2.0 * std::asin(s) / deg - lib.two_theta_start) / lib.two_theta_step;
      if (x < 0 || x > static_cast<double>(n - 1)) continue;
      const auto j = static_cast<std::size_t>(x);
      const double t = x - static_cast<double>(j);
      const double v = j + 1 < n ? (1 - t) * pb[j] + t * pb[j + 1] : pb[j];
      ab += pa[i] * v;
      bb += v * v;
    }
    if (bb > 0) best = std::max(best, ab / std::sqrt(aa * bb));
  }
  return best;
}

// The elements of an entry other than hydrogen (which X-ray structures often leave out).
std::vector<std::string> heavy_elements(const xrd::LibraryEntry& e) {
  std::vector<std::string> out;
  for (const auto& el : e.elements)
    if (el != "H" && el != "D") out.push_back(el);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool partial_record(const xrd::LibraryEntry& e) {
  if (e.declared_spacegroup_number > 1) return false;
  int right = 0;
  for (int i = 3; i < 6; ++i) right += std::abs(e.cell[i] - 90.0) < 0.01;
  return e.incomplete() || (e.spacegroup_number == 1 && right >= 2);
}

bool same_phase(const xrd::Library& lib, std::size_t a, std::size_t b, const SamePhaseTolerance& tol) {
  const auto& ea = lib.entries[a];
  const auto& eb = lib.entries[b];
  const bool ra = partial_record(ea), rb = partial_record(eb);
  if (ra != rb) {
    const auto el = heavy_elements(ea);
    return !el.empty() && el == heavy_elements(eb) && same_cell(ea.cell, eb.cell, tol);
  }
  if (!same_group(ea.spacegroup_number, eb.spacegroup_number)) return false;
  if (xrd::composition_key(ea.reduced_formula) != xrd::composition_key(eb.reduced_formula)) return false;
  if (same_cell(ea.cell, eb.cell, tol)) return true;
  if (lib.patterns.empty() || lib.two_theta_step <= 0) return false;
  const int shift = static_cast<int>(tol.max_shift_deg / lib.two_theta_step);
  return xrd::shifted_cosine(lib.pattern(a), lib.pattern(b), lib.n_points, shift) >= tol.min_cosine ||
         scaled_cosine(lib, a, b, tol.cell_rel) >= tol.min_cosine;
}

std::vector<PhaseRow> rows_by_phase(const xrd::Library& lib, const std::vector<std::size_t>& ranked, std::size_t rows,
                                    const SamePhaseTolerance& tol) {
  std::vector<PhaseRow> out;
  for (std::size_t pos = 0; pos < ranked.size(); ++pos) {
    bool listed = false;
    // A row led by a partial record takes no complete structure: that one keeps a row of its own
    // (a record's cell can match two polymorphs, which would then share the record's row).
    const bool complete = !partial_record(lib.entries[ranked[pos]]);
    for (auto& row : out)
      if (!(complete && partial_record(lib.entries[ranked[row.position]])) &&
          same_phase(lib, ranked[row.position], ranked[pos], tol)) {
        row.also.push_back(pos);
        listed = true;
        break;
      }
    if (!listed && out.size() < rows) out.push_back(PhaseRow{pos, {}});
  }
  return out;
}

}  // namespace xrdid::identify
