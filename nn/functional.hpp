// Differentiable operations on Vars (the autograd front of the CPU reference ops in nn/ops/).
//
// Layout conventions: N batch, C channels, L length, K kernel width, G groups; every tensor is
// contiguous row-major. Each op works for F32 and F64 (F64 is used by the gradient checks);
// all inputs of one op share one dtype. Gradients follow the contract of nn/autograd.hpp.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/autograd.hpp"

namespace xrdid::nn::F {

// ---- convolution -------------------------------------------------------------------------
struct Conv1dOpts {
  int stride = 1;
  int dilation = 1;
  int groups = 1;
  // true: the "same" padding of docs/method.md §7.2 (L_out = ceil(L/stride), total pad
  // max(0,(L_out-1)*stride + (K-1)*dilation + 1 - L), left = floor(total/2), rest right).
  // false: explicit pad_left / pad_right.
  bool same = true;
  int pad_left = 0;
  int pad_right = 0;
};
// x: (N, C_in, L); w: (C_out, C_in/G, K); b: (C_out) or undefined. -> (N, C_out, L_out)
Var conv1d(const Var& x, const Var& w, const Var& b, const Conv1dOpts& opts);

// ---- normalisation and activations --------------------------------------------------------
// x: (N, C, L). Training: batch statistics over (N, L), biased variance for normalising,
// running_var updated with the unbiased variance, running = (1-momentum)*running + momentum*batch.
// Evaluation: running statistics. running_mean/var: (C), same dtype as x, updated in place.
Var batch_norm1d(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean,
                 Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);
Var swish(const Var& x);    // x * sigmoid(x)
Var sigmoid(const Var& x);
Var relu(const Var& x);
// Inverted dropout: kept values scaled by 1/(1-p). The mask of element i is a pure function of
// (seed, i) (counter-based hash, see nn/ops/random.hpp), so CPU and CUDA draw the same mask.
Var dropout(const Var& x, double p, bool training, std::uint64_t seed);
// Fused dropout(swish(batch_norm1d(x)), p, training, seed): the same values and gradients as
// the three ops in sequence (same statistics, running-stat update, mask), in one pass over the
// data forward and two backward, with no intermediate tensors. p = 0: no dropout.
Var bn_swish_dropout(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean,
                     Tensor& running_var, bool training, double momentum, double eps, double p,
                     std::uint64_t seed);

// ---- pooling, shapes, broadcasting --------------------------------------------------------
// "Same" max-pool with kernel = stride = 2: one ZERO appended on the right (a real value, not
// -inf), floor windows. (N, C, L) -> (N, C, ceil(L/2)).
Var max_pool_same2(const Var& x);
Var mean_length(const Var& x);                             // (N, C, L) -> (N, C)
Var scale_channels(const Var& x, const Var& e);            // x (N,C,L) * e (N,C) broadcast over L
Var add(const Var& a, const Var& b);                       // same shapes
Var pad_channels(const Var& x, int before, int after);     // zero channels: (N,C,L)->(N,C+b+a,L)
Var reshape(const Var& x, Shape shape);

// ---- dense --------------------------------------------------------------------------------
Var linear(const Var& x, const Var& w, const Var& b);      // x (N,in), w (out,in), b (out)|undef
Var matmul(const Var& a, const Var& b, bool trans_b = false);  // (M,K)x(K,N) or (M,K)x(N,K)^T
Var l2_normalize_rows(const Var& x, double eps = 1e-12);   // x / max(||x_row||, eps)
// Cosines (N, C) of unit rows u (N, D) with the rows of w (C, D): u w^T / max(||w_row||, eps),
// without a normalised copy of w. Forward only: no input may need a gradient.
Var cosine_rows(const Var& u, const Var& w, double eps = 1e-12);

// ---- heads and losses (labels: one class index per row) ---------------------------------------
// Mean softmax cross-entropy of logits (N, C), computed with log-sum-exp. -> scalar.
Var cross_entropy(const Var& logits, const std::vector<std::int64_t>& labels);
// CosFace / LMCL on cosines (N, C): z = s*(c - m*onehot), mean CE. -> scalar.
Var cosface_loss(const Var& cosines, const std::vector<std::int64_t>& labels, double s = 30.0,
                 double m = 0.4);
// AdaCos (Zhang et al. 2019): with the previous scale `s`, B_avg = (1/N) sum_i sum_{j!=y_i}
// exp(s c_ij), theta_med = LOWER median of the target angles, s <- ln(B_avg)/cos(min(pi/4,
// theta_med)); returns s_new * cosines (s is a constant for the gradient) and updates `s`.
Var adacos_logits(const Var& cosines, const std::vector<std::int64_t>& labels, double& s);
double adacos_initial_scale(std::int64_t num_classes);  // sqrt(2) * ln(C - 1)

// ---- reductions used by tests and losses ---------------------------------------------------
Var sum(const Var& x);                                      // -> scalar
Var mul(const Var& a, const Var& b);                        // elementwise, same shapes

// Indices of the k largest entries of each row of scores (N, C), descending; ties -> lower index.
std::vector<std::vector<std::int64_t>> topk(const Tensor& scores, int k);

}  // namespace xrdid::nn::F
