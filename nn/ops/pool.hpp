// Pooling over length: "same" max-pool (k = s = 2, one ZERO appended on the right) and the
// mean over length. CPU reference ops. Gradient contract: *_backward ACCUMULATE (+=) into dx.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// x: (R, L) with R = N*C rows; y: (R, ceil(L/2)). y[r, i] = max(x[r, 2i], x[r, 2i+1]) where
// x[r, L] = 0 for odd L (a real zero, not -inf).
template <class T> void maxpool_same2_forward(std::int64_t R, std::int64_t L, const T* x, T* y);
// Recomputes the winners from x: ties go to the left element (then to x[L-1] over the pad).
template <class T>
void maxpool_same2_backward(std::int64_t R, std::int64_t L, const T* x, const T* dy, T* dx);

// x: (R, L) -> y: (R) mean over L.
template <class T> void mean_length_forward(std::int64_t R, std::int64_t L, const T* x, T* y);
// dx[r, l] += dy[r] / L.
template <class T> void mean_length_backward(std::int64_t R, std::int64_t L, const T* dy, T* dx);

}  // namespace xrdid::nn::ops
