// The largest of a run of errors, NaN as soon as one of them is NaN. std::max(worst, e) returns
// worst when e is NaN, so a check on a maximum folded with it passes on NaN results (an op that
// wrote nothing into a NaN-filled output, a diverged parameter).
#pragma once
#include <cmath>
#include <limits>

namespace xrdid::testing {

inline double worse(double worst, double e) {
  if (std::isnan(worst) || std::isnan(e)) return std::numeric_limits<double>::quiet_NaN();
  return e > worst ? e : worst;
}

}  // namespace xrdid::testing
