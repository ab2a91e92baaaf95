// Grouped, strided, dilated 1D convolution: CPU reference ops (raw pointers, one shape struct).
// Gradient contract for every *_backward here: results are ACCUMULATED (+=) into dx, dw, db;
// any of them may be nullptr (not computed). Forward outputs are overwritten.
#pragma once
#include <cstdint>

#include "nn/cpu_path.hpp"

namespace xrdid::nn::ops {

struct Conv1dShape {
  std::int64_t N = 1, C_in = 1, C_out = 1, L_in = 1, L_out = 1, K = 1;
  std::int64_t stride = 1, dilation = 1, groups = 1, pad_left = 0, pad_right = 0;

  // The "same" padding of docs/method.md §7.2: L_out = ceil(L_in/stride), total pad
  // max(0, (L_out-1)*stride + (K-1)*dilation + 1 - L_in), left floor(total/2), rest right.
  static Conv1dShape same(std::int64_t N, std::int64_t C_in, std::int64_t C_out, std::int64_t L_in,
                          std::int64_t K, std::int64_t stride = 1, std::int64_t dilation = 1,
                          std::int64_t groups = 1);
  // Explicit zero padding; L_out = (L_in + pl + pr - dilation*(K-1) - 1)/stride + 1.
  static Conv1dShape padded(std::int64_t N, std::int64_t C_in, std::int64_t C_out, std::int64_t L_in,
                            std::int64_t K, std::int64_t stride, std::int64_t dilation,
                            std::int64_t groups, std::int64_t pad_left, std::int64_t pad_right);
  // Throws if the fields are inconsistent (channels not divisible by groups, L_out wrong, ...).
  void validate() const;
  // Multiply-adds of the forward pass times two.
  double flops() const;
};

// x: (N, C_in, L_in); w: (C_out, C_in/G, K); b: (C_out) or nullptr; y: (N, C_out, L_out).
// Output channel group g (C_out/G channels) sees only input channel group g.
// Strategy: K=1/stride 1/no pad/G=1 -> plain GEMMs (float: the SGEMM of the CPU path). Dilation 1
// with 16k channels per group -> a direct register-blocked kernel (16 channels x 16 positions per
// tile, stride phases of the padded input in a thread-local buffer; OpenMP over (sample, group)),
// compiled for each CPU path. Otherwise im2col per (sample chunk, group) into a thread-local
// buffer + one Eigen GEMM.
template <class T>
void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y);

// dy: (N, C_out, L_out). dx += dL/dx (N, C_in, L_in); dw += (C_out, C_in/G, K); db += (C_out).
// dx uses the direct kernel when C_in/G is a multiple of 16 (dilation 1); dw and db use
// im2col + GEMM over chunks of samples (OpenMP over groups, or per-thread partial sums).
template <class T>
void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                     T* db);

// Forward weights laid out once, for a caller that runs the same weights many times (an
// inference plan; nn/exec/cpu_backend.cpp): the number of elements of the layout for shape s (0:
// this shape's forward reads the weights as they are — the 1x1 GEMMs and im2col; otherwise the
// direct kernel's tile order, which does not depend on N or L), the layout written from w, and
// the forward that reads it instead of w: the same bits as conv1d_forward. On cpu_path().
std::int64_t conv1d_forward_layout_size(const Conv1dShape& s);
template <class T>
void conv1d_forward_layout(const Conv1dShape& s, const T* w, T* layout);
template <class T>
void conv1d_forward_laid_out(const Conv1dShape& s, const T* x, const T* layout, const T* b, T* y);

// The same on a given CPU path (nn/cpu_path.hpp; tests and benchmarks): the direct kernels and
// the 1x1 GEMMs of that path. The path must be supported (cpu_supports). conv1d_forward and
// conv1d_backward run on cpu_path().
template <class T>
void conv1d_forward_on(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* b, T* y);
template <class T>
void conv1d_backward_on(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                        T* db);

}  // namespace xrdid::nn::ops
