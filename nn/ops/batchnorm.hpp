// BatchNorm1d over (N, C, L): per-channel statistics over N x L. CPU reference ops.
// Gradient contract: every *_backward ACCUMULATES (+=) into dx, dgamma, dbeta; any may be nullptr.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

struct BatchNormShape {
  std::int64_t N = 1, C = 1, L = 1;
};

// x: (N, C, L) -> mean (C), var (C): the BIASED batch variance (divides by N*L).
template <class T>
void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var);

// y = (x - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c]; x, y: (N, C, L); the rest (C).
// Used with the batch statistics in training and the running statistics in evaluation.
template <class T>
void batchnorm_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                       const T* gamma, const T* beta, double eps, T* y);

// running = (1-momentum)*running + momentum*batch, with the UNBIASED variance var*M/(M-1),
// M = N*L (the biased var is used when M == 1). All (C).
template <class T>
void batchnorm_update_running(std::int64_t C, std::int64_t M, const T* mean, const T* var,
                              double momentum, T* running_mean, T* running_var);

// training = true: mean/var are the batch statistics of x and the gradient flows through them.
// training = false: mean/var are constants (running statistics).
// dy: (N, C, L); dx += (N, C, L); dgamma, dbeta += (C).
template <class T>
void batchnorm_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                        const T* gamma, const T* dy, double eps, bool training, T* dx, T* dgamma,
                        T* dbeta);

}  // namespace xrdid::nn::ops

namespace xrdid::nn::ops {

// Fused y = dropout(swish(batchnorm(x))) with the given statistics (one pass over x):
// z = x*a[c] + b[c] exactly as batchnorm_forward, s = z * sigmoid(z) exactly as swish_forward,
// and, when drop is true, y = s / (1 - p) where uniform(seed, i) >= p (i: flat index), else 0,
// exactly as dropout_forward. drop = false: y = s.
template <class T>
void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                              const T* gamma, const T* beta, double eps, bool drop, double p,
                              std::uint64_t seed, T* y);

// Backward of the fused op: recomputes z and sigmoid(z) from x, then the batch-norm backward
// (training: through the batch statistics) on dz = dy * mask * (s' ). Accumulates into dx,
// dgamma, dbeta (any may be nullptr).
template <class T>
void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                               const T* gamma, const T* beta, double eps, bool training, bool drop,
                               double p, std::uint64_t seed, const T* dy, T* dx, T* dgamma, T* dbeta);

}  // namespace xrdid::nn::ops
