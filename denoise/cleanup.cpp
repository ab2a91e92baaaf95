// See cleanup.hpp.
#include "denoise/cleanup.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "denoise/beads.hpp"
#include "denoise/snip.hpp"

namespace xrdid::denoise {

void cleanup_for_matching(std::vector<double>& y, double step, const CleanupOptions& opt) {
  if (opt.background == "snip") {
    SnipParams sp;
    sp.iterations = std::max(5, static_cast<int>(std::lround(0.4 / std::max(step, 1e-4))));
    const auto b = snip(y, sp);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] -= b[i];
  } else if (opt.background == "beads") {
    y = beads_xrd(y, beads_xrd_defaults(step)).x;
  } else if (opt.background != "none") {
    throw std::runtime_error("unknown background method '" + opt.background + "' (snip, beads, none)");
  }
  if (y.size() >= 8) {
    std::vector<double> dif(y.size() - 1);
    for (std::size_t i = 0; i + 1 < y.size(); ++i) dif[i] = std::abs(y[i + 1] - y[i]);
    std::nth_element(dif.begin(), dif.begin() + static_cast<std::ptrdiff_t>(dif.size() / 2), dif.end());
    const double sigma = dif[dif.size() / 2] / (0.6745 * std::sqrt(2.0));
    std::vector<double> sm(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      const std::size_t lo = i >= 2 ? i - 2 : 0, hi = std::min(y.size() - 1, i + 2);
      double acc = 0;
      for (std::size_t j = lo; j <= hi; ++j) acc += y[j];
      sm[i] = acc / static_cast<double>(hi - lo + 1);
    }
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = sm[i] - opt.noise_floor_sigmas * sigma;
  }
  for (auto& v : y) v = std::max(0.0, v);
}

}  // namespace xrdid::denoise
