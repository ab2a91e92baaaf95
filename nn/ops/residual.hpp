// The end of a Net1D block in one pass (docs/method.md §7.3): the SE-scaled main path plus the
// shortcut (optional "same" max-pool by 2, then zero channel padding):
//   y[n,c,l] = h[n,c,l] * e[n,c] + s[n,c,l],  s = pad_channels(before, rest)(downsample ? maxpool_same2(x) : x)
// Equal to scale_channels + max_pool_same2 + pad_channels + add (nn/ops/channel, pool,
// elementwise), without the intermediate tensors. The planned executor uses it; the tape keeps
// the separate ops. Gradient contract: the backward ACCUMULATES (+=).
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

struct ResidualShape {
  std::int64_t N = 1, C_in = 1, C_out = 1, L_in = 1;
  bool downsample = false;
  std::int64_t before = 0;  // zero channels before the shortcut's; C_out - C_in - before after
  std::int64_t L_out() const { return downsample ? (L_in + 1) / 2 : L_in; }
  void validate() const;  // throws on inconsistent fields
};

// h (N, C_out, L_out), e (N, C_out), x (N, C_in, L_in) -> y (N, C_out, L_out).
template <class T>
void residual_se_forward(const ResidualShape& s, const T* h, const T* e, const T* x, T* y);
// The shortcut's backward: dx (N, C_in, L_in) += s^T(dy), dy (N, C_out, L_out). (The main
// path's backward is scale_channels_backward with the same dy.)
template <class T>
void residual_shortcut_backward(const ResidualShape& s, const T* x, const T* dy, T* dx);

}  // namespace xrdid::nn::ops
