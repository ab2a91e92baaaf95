// The fused end of a Net1D block on the CPU (see residual.hpp); OpenMP over rows (n, c).
#include "nn/ops/residual.hpp"

#include <stdexcept>
#include <string>

namespace xrdid::nn::ops {

void ResidualShape::validate() const {
  if (N < 1 || C_in < 1 || L_in < 1 || C_out < C_in || before < 0 || before > C_out - C_in)
    throw std::invalid_argument("xrdid: residual shape N=" + std::to_string(N) + " C_in=" + std::to_string(C_in) +
                                " C_out=" + std::to_string(C_out) + " L_in=" + std::to_string(L_in) +
                                " before=" + std::to_string(before) + " is inconsistent");
}

namespace {
// The shortcut's value at output position l of input row xr (length L): "same" max-pool keeps
// the larger of (x[2l], x[2l+1]) with one real zero appended for odd L (nn/ops/pool.cpp).
template <class T>
inline T shortcut_at(const T* xr, std::int64_t L, std::int64_t l, bool down) {
  if (!down) return xr[l];
  const T a = xr[2 * l], b = 2 * l + 1 < L ? xr[2 * l + 1] : T(0);
  return a >= b ? a : b;
}
}  // namespace

template <class T>
void residual_se_forward(const ResidualShape& s, const T* h, const T* e, const T* x, T* y) {
  s.validate();
  const std::int64_t Lo = s.L_out(), R = s.N * s.C_out;
#pragma omp parallel for schedule(static) if (R * Lo > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const std::int64_t n = r / s.C_out, ci = r % s.C_out - s.before;
    const T* hr = h + r * Lo;
    T* yr = y + r * Lo;
    const T er = e[r];
    if (ci < 0 || ci >= s.C_in) {
      for (std::int64_t l = 0; l < Lo; ++l) yr[l] = hr[l] * er + T(0);
      continue;
    }
    const T* xr = x + (n * s.C_in + ci) * s.L_in;
    for (std::int64_t l = 0; l < Lo; ++l) yr[l] = hr[l] * er + shortcut_at(xr, s.L_in, l, s.downsample);
  }
}

template <class T>
void residual_shortcut_backward(const ResidualShape& s, const T* x, const T* dy, T* dx) {
  s.validate();
  const std::int64_t Lo = s.L_out(), R = s.N * s.C_in, L = s.L_in;
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const std::int64_t n = r / s.C_in, co = r % s.C_in + s.before;
    const T* dr = dy + (n * s.C_out + co) * Lo;
    const T* xr = x + r * L;
    T* gr = dx + r * L;
    if (!s.downsample) {
      for (std::int64_t l = 0; l < L; ++l) gr[l] += dr[l];
      continue;
    }
    // The pooled output l took x[2l] when x[2l] >= x[2l+1] (or the appended zero), else x[2l+1].
    for (std::int64_t l = 0; l < Lo; ++l) {
      const bool pair = 2 * l + 1 < L;
      const bool left = xr[2 * l] >= (pair ? xr[2 * l + 1] : T(0));
      if (left) gr[2 * l] += dr[l];
      else if (pair) gr[2 * l + 1] += dr[l];
    }
  }
}

template void residual_se_forward<float>(const ResidualShape&, const float*, const float*, const float*, float*);
template void residual_se_forward<double>(const ResidualShape&, const double*, const double*, const double*, double*);
template void residual_shortcut_backward<float>(const ResidualShape&, const float*, const float*, float*);
template void residual_shortcut_backward<double>(const ResidualShape&, const double*, const double*, double*);

}  // namespace xrdid::nn::ops
