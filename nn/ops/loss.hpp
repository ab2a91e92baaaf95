// Classification heads and losses on (N, C) score matrices: softmax cross-entropy, CosFace
// (z = s*(c - m*onehot)), the AdaCos scale update and top-k. CPU reference ops.
// Gradient contract: every *_backward ACCUMULATES (+=) into its gradient output.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// Margin softmax cross-entropy: z[i,j] = s*(c[i,j] - m*[j == y_i]); loss = mean_i (LSE(z_i) - z_i,y).
// c (N, C), labels (N) in [0, C); p (N, C) receives softmax(z) for the backward; loss (1).
// s = 1, m = 0 is plain cross-entropy on c; s = 30, m = 0.4 is CosFace.
template <class T>
void cosface_forward(std::int64_t N, std::int64_t C, double s, double m, const T* c,
                     const std::int64_t* labels, T* p, T* loss);
// dc += dloss * s/N * (p - onehot); dloss is the upstream gradient of the scalar loss.
template <class T>
void cosface_backward(std::int64_t N, std::int64_t C, double s, const T* p, const std::int64_t* labels,
                      T dloss, T* dc);

// Plain mean softmax cross-entropy of logits z (N, C) (cosface with s = 1, m = 0).
template <class T>
void cross_entropy_forward(std::int64_t N, std::int64_t C, const T* z, const std::int64_t* labels, T* p,
                           T* loss);
template <class T>
void cross_entropy_backward(std::int64_t N, std::int64_t C, const T* p, const std::int64_t* labels,
                            T dloss, T* dz);

// AdaCos scale update (Zhang et al. 2019, eq. 15-16 as in the reference code), not differentiated:
// B_avg = (1/N) sum_i sum_{j != y_i} exp(s_prev c_ij); theta_med = LOWER median of
// acos(clamp(c_i,y_i, -1+1e-7, 1-1e-7)); returns ln(B_avg) / cos(min(pi/4, theta_med)).
template <class T>
double adacos_update_scale(std::int64_t N, std::int64_t C, const T* c, const std::int64_t* labels,
                           double s_prev);

// scores (N, C) -> idx (N, k): the k largest entries per row, descending; ties -> lower index.
template <class T>
void topk_rows(std::int64_t N, std::int64_t C, const T* scores, std::int64_t k, std::int64_t* idx);

}  // namespace xrdid::nn::ops
