// SNIP background (Ryan et al. 1988; LLS transform and decreasing windows from Morháč et al. 1997).
#include "denoise/snip.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xrdid::denoise {

std::vector<double> snip(const std::vector<double>& y, const SnipParams& p) {
  if (p.iterations < 0) throw std::runtime_error("snip: iterations must be >= 0");
  const std::size_t n = y.size();
  for (double v : y)
    if (!std::isfinite(v)) throw std::runtime_error("snip: input contains NaN or infinity");
  if (n < 3) return y;

  // LLS on y − min(y, 0) so that negative values (e.g. already background-subtracted data)
  // stay inside the transform's domain; the shift is undone afterwards.
  double shift = 0.0;
  if (p.lls) shift = std::min(0.0, *std::min_element(y.begin(), y.end()));
  auto fwd = [&](double v) { return p.lls ? std::log(std::log(std::sqrt(v - shift + 1.0) + 1.0) + 1.0) : v; };
  auto inv = [&](double v) {
    if (!p.lls) return v;
    const double a = std::exp(std::exp(v) - 1.0) - 1.0;
    return a * a - 1.0 + shift;
  };
  std::vector<double> v(n), w(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = fwd(y[i]);

  const int m = std::min<long>(p.iterations, static_cast<long>((n - 1) / 2));
  for (int step = 0; step < m; ++step) {
    const std::size_t w_half = static_cast<std::size_t>(p.decreasing ? m - step : step + 1);
    w = v;
    for (std::size_t i = 1; i + 1 < n; ++i) {
      const std::size_t k = std::min({w_half, i, n - 1 - i});  // shrink at the ends
      const double mean = 0.5 * (v[i - k] + v[i + k]);
      if (mean < w[i]) w[i] = mean;
    }
    std::swap(v, w);
  }
  for (std::size_t i = 0; i < n; ++i) v[i] = inv(v[i]);
  return v;
}

}  // namespace xrdid::denoise
