// Loss and head CPU ops; row sums in double with the log-sum-exp shift.
#include "nn/ops/loss.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace xrdid::nn::ops {

template <class T>
void cosface_forward(std::int64_t N, std::int64_t C, double s, double m, const T* c,
                     const std::int64_t* labels, T* p, T* loss) {
  // Per-row losses summed in row order afterwards: deterministic for any thread count.
  std::vector<double> row_loss(static_cast<std::size_t>(N));
#pragma omp parallel for schedule(static) if (N * C > 65536)
  for (std::int64_t i = 0; i < N; ++i) {
    const T* ci = c + i * C;
    T* pi = p + i * C;
    const std::int64_t y = labels[i];
    double zmax = -INFINITY;
    for (std::int64_t j = 0; j < C; ++j) {
      const double z = s * (ci[j] - (j == y ? m : 0.0));
      zmax = std::max(zmax, z);
    }
    double se = 0;
    for (std::int64_t j = 0; j < C; ++j) se += std::exp(s * (ci[j] - (j == y ? m : 0.0)) - zmax);
    const double lse = zmax + std::log(se);
    for (std::int64_t j = 0; j < C; ++j)
      pi[j] = static_cast<T>(std::exp(s * (ci[j] - (j == y ? m : 0.0)) - lse));
    row_loss[static_cast<std::size_t>(i)] = lse - s * (ci[y] - m);
  }
  double total = 0;
  for (double v : row_loss) total += v;
  *loss = static_cast<T>(total / static_cast<double>(N));
}

template <class T>
void cosface_backward(std::int64_t N, std::int64_t C, double s, const T* p, const std::int64_t* labels,
                      T dloss, T* dc) {
  const T g = static_cast<T>(static_cast<double>(dloss) * s / static_cast<double>(N));
#pragma omp parallel for schedule(static) if (N * C > 65536)
  for (std::int64_t i = 0; i < N; ++i) {
    const T* pi = p + i * C;
    T* gi = dc + i * C;
#pragma omp simd
    for (std::int64_t j = 0; j < C; ++j) gi[j] += g * pi[j];
    gi[labels[i]] -= g;
  }
}

template <class T>
void cross_entropy_forward(std::int64_t N, std::int64_t C, const T* z, const std::int64_t* labels, T* p,
                           T* loss) {
  cosface_forward(N, C, 1.0, 0.0, z, labels, p, loss);
}

template <class T>
void cross_entropy_backward(std::int64_t N, std::int64_t C, const T* p, const std::int64_t* labels,
                            T dloss, T* dz) {
  cosface_backward(N, C, 1.0, p, labels, dloss, dz);
}

template <class T>
double adacos_update_scale(std::int64_t N, std::int64_t C, const T* c, const std::int64_t* labels,
                           double s_prev) {
  double b_sum = 0;
  std::vector<double> theta(static_cast<std::size_t>(N));
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t y = labels[i];
    for (std::int64_t j = 0; j < C; ++j)
      if (j != y) b_sum += std::exp(s_prev * static_cast<double>(c[i * C + j]));
    const double ct = std::clamp(static_cast<double>(c[i * C + y]), -1.0 + 1e-7, 1.0 - 1e-7);
    theta[static_cast<std::size_t>(i)] = std::acos(ct);
  }
  const double b_avg = b_sum / static_cast<double>(N);
  // Lower median: element (N-1)/2 of the sorted angles (torch.median's convention).
  auto mid = theta.begin() + (N - 1) / 2;
  std::nth_element(theta.begin(), mid, theta.end());
  const double theta_med = *mid;
  return std::log(b_avg) / std::cos(std::min(M_PI / 4.0, theta_med));
}

template <class T>
void topk_rows(std::int64_t N, std::int64_t C, const T* scores, std::int64_t k, std::int64_t* idx) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(C));
  for (std::int64_t i = 0; i < N; ++i) {
    const T* si = scores + i * C;
    std::iota(order.begin(), order.end(), 0);
    auto better = [si](std::int64_t a, std::int64_t b) { return si[a] > si[b] || (si[a] == si[b] && a < b); };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), better);
    std::copy(order.begin(), order.begin() + k, idx + i * k);
  }
}

#define XRDID_INST(T)                                                                                     \
  template void cosface_forward<T>(std::int64_t, std::int64_t, double, double, const T*,                  \
                                   const std::int64_t*, T*, T*);                                          \
  template void cosface_backward<T>(std::int64_t, std::int64_t, double, const T*, const std::int64_t*, T, \
                                    T*);                                                                  \
  template void cross_entropy_forward<T>(std::int64_t, std::int64_t, const T*, const std::int64_t*, T*,   \
                                         T*);                                                             \
  template void cross_entropy_backward<T>(std::int64_t, std::int64_t, const T*, const std::int64_t*, T,   \
                                          T*);                                                            \
  template double adacos_update_scale<T>(std::int64_t, std::int64_t, const T*, const std::int64_t*,       \
                                         double);                                                         \
  template void topk_rows<T>(std::int64_t, std::int64_t, const T*, std::int64_t, std::int64_t*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
