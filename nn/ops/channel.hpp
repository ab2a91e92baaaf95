// Channel-wise ops on (N, C, L): SE scaling by per-(sample, channel) factors and zero channel
// padding of the residual shortcut. Gradient contract: *_backward ACCUMULATE (+=) into dx, de.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// x (N, C, L), e (N, C) -> y (N, C, L): y[n,c,l] = x[n,c,l] * e[n,c].
template <class T>
void scale_channels_forward(std::int64_t N, std::int64_t C, std::int64_t L, const T* x, const T* e, T* y);
// dx += dy * e; de[n,c] += sum_l dy * x.
template <class T>
void scale_channels_backward(std::int64_t N, std::int64_t C, std::int64_t L, const T* x, const T* e,
                             const T* dy, T* dx, T* de);

// x (N, C, L) -> y (N, before + C + after, L), the new channels zero.
template <class T>
void pad_channels_forward(std::int64_t N, std::int64_t C, std::int64_t L, std::int64_t before,
                          std::int64_t after, const T* x, T* y);
// dx (N, C, L) += the middle channels of dy.
template <class T>
void pad_channels_backward(std::int64_t N, std::int64_t C, std::int64_t L, std::int64_t before,
                           std::int64_t after, const T* dy, T* dx);

}  // namespace xrdid::nn::ops
