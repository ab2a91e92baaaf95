// See model_input.hpp.
#include "denoise/model_input.hpp"

#include <algorithm>
#include <vector>

#include "denoise/cleanup.hpp"

namespace xrdid::denoise {

void model_input_row(float* row, std::size_t n, std::size_t lo, std::size_t hi, double step, bool clean,
                     double exponent) {
  std::vector<double> y(row + lo, row + hi);
  if (clean) denoise::cleanup_for_matching(y, step, {});
  double mx = 0;
  for (double v : y) mx = std::max(mx, v);
  std::fill(row, row + n, 0.f);
  if (mx > 0)
    for (std::size_t i = lo; i < hi; ++i) row[i] = static_cast<float>(compress_input(y[i - lo] / mx, exponent));
}

}  // namespace xrdid::denoise
