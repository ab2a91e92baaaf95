// See cleanup.hpp.
#include "denoise/cleanup.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "denoise/beads.hpp"
#include "denoise/snip.hpp"

namespace xrdid::denoise {

namespace {

// Moving average over 2h+1 points (shrunk at the ends).
std::vector<double> moving_average(const std::vector<double>& y, std::size_t h) {
  std::vector<double> s(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t lo = i >= h ? i - h : 0, hi = std::min(y.size() - 1, i + h);
    double acc = 0;
    for (std::size_t j = lo; j <= hi; ++j) acc += y[j];
    s[i] = acc / static_cast<double>(hi - lo + 1);
  }
  return s;
}

// The q-quantile of v over windows of 2h+1 points, evaluated every `stride` points and linearly
// interpolated between them (the noise level changes slowly along a pattern).
std::vector<double> running_quantile(const std::vector<double>& v, std::size_t h, double q) {
  const std::size_t n = v.size();
  const std::size_t stride = std::max<std::size_t>(1, h / 4);
  std::vector<double> at, out(n), buf;
  std::vector<std::size_t> pos;
  for (std::size_t c = 0;; c += stride) {
    c = std::min(c, n - 1);
    const std::size_t lo = c >= h ? c - h : 0, hi = std::min(n - 1, c + h);
    buf.assign(v.begin() + static_cast<std::ptrdiff_t>(lo), v.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
    const auto k = static_cast<std::ptrdiff_t>(q * static_cast<double>(buf.size() - 1));
    std::nth_element(buf.begin(), buf.begin() + k, buf.end());
    at.push_back(buf[static_cast<std::size_t>(k)]);
    pos.push_back(c);
    if (c == n - 1) break;
  }
  for (std::size_t s = 0; s + 1 < pos.size(); ++s)
    for (std::size_t i = pos[s]; i <= pos[s + 1]; ++i) {
      const double t = static_cast<double>(i - pos[s]) / static_cast<double>(pos[s + 1] - pos[s]);
      out[i] = (1 - t) * at[s] + t * at[s + 1];
    }
  if (pos.size() == 1) out.assign(n, at[0]);
  return out;
}

}  // namespace

void cleanup_for_matching(std::vector<double>& y, double step, const CleanupOptions& opt) {
  step = std::max(step, 1e-4);
  if (opt.background != "snip" && opt.background != "beads" && opt.background != "none")
    throw std::runtime_error("unknown background method '" + opt.background + "' (snip, beads, none)");
  if (y.size() < 8) {
    for (auto& v : y) v = std::max(0.0, v);
    return;
  }
  // Local counting noise of one point: the running median of |y[i+1] - y[i]| over ±1° (robust
  // to peaks, which are a minority of any 2° window), as a Gaussian σ (/ 0.6745 √2).
  const std::size_t h = std::max<std::size_t>(12, static_cast<std::size_t>(std::lround(1.0 / step)));
  std::vector<double> dif(y.size());
  for (std::size_t i = 0; i + 1 < y.size(); ++i) dif[i] = std::abs(y[i + 1] - y[i]);
  dif.back() = dif[dif.size() - 2];
  std::vector<double> sigma = running_quantile(dif, h, 0.5);
  const std::size_t ma = 2;  // 5-point moving average: σ / √5 for uncorrelated counts
  for (auto& s : sigma) s /= 0.6745 * std::sqrt(2.0) * std::sqrt(2.0 * ma + 1.0);
  std::vector<double> sm = moving_average(y, ma);
  if (opt.background == "snip") {
    SnipParams sp;
    sp.iterations = std::max(5, static_cast<int>(std::lround(0.4 / step)));
    const auto b = snip(sm, sp);
    for (std::size_t i = 0; i < y.size(); ++i) sm[i] -= b[i];
  }
  // What the background estimate leaves of broad features (iterated clipping cuts under a
  // curved background, e.g. an amorphous hump, by the sum of its chord deficits): the running
  // median of the residual over ±1°, where peaks are a minority, goes too.
  if (opt.background != "none") {
    const auto level = running_quantile(sm, h, 0.5);
    for (std::size_t i = 0; i < y.size(); ++i) sm[i] -= std::max(0.0, level[i]);
  } else if (opt.background == "beads") {
    sm = moving_average(beads_xrd(y, beads_xrd_defaults(step)).x, ma);
  }
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::max(0.0, sm[i] - opt.noise_floor_sigmas * sigma[i]);
}

}  // namespace xrdid::denoise
