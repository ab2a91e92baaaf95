// Host declarations of the CUDA twins of nn/ops: same arguments as the CPU op plus a cudaStream_t,
// DEVICE pointers, asynchronous; *_backward ACCUMULATES (+=), nullptr gradients are skipped.
// float and double instantiations. No device code (includable from plain C++).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "nn/ops/adam.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/conv1d.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/random.hpp"
#include "nn/ops/residual.hpp"

namespace xrdid::cuda {

// A dropout seed (nn/ops/random.hpp): the fixed `value` (base == nullptr), or, for CUDA-graph
// replay, derived ON THE DEVICE as nn::ops::step_seed(*base, value) from a base seed in DEVICE
// memory that the host rewrites before each replay (value is then the dropout site's counter).
using nn::ops::SeedArg;
// Per-step Adam scalars {lr, bc1, bc2} (nn/ops/adam.hpp), in DEVICE memory.
using nn::ops::AdamHyper;

// cuBLAS math mode of every handle this library creates or uses from now on: TF32 tensor-core
// GEMMs (true) or full FP32 (false, the default). Affects the float cuBLAS paths only.
void set_tf32(bool enabled);
bool tf32_enabled();

// A caller-owned cuBLAS workspace (DEVICE memory, 256-byte aligned) for every cuBLAS call these
// kernels issue on `stream`, from any thread; ptr = nullptr or bytes = 0 unregisters it. The
// caller unregisters before freeing it. Without one, cuBLAS uses its default workspace pool
// (allocated by cuBLAS itself, also inside CUDA-graph capture).
void set_cublas_workspace(cudaStream_t stream, void* ptr, std::size_t bytes);

// Scratch memory of the kernels (reduction workspaces, BN coefficients) is taken from the
// calling thread's ScratchArena while one is installed (ScratchScope), LIFO, so a planned step
// does no allocation at all; without one, from cudaMallocAsync. `bytes` too small -> CudaError
// naming the request. DEVICE memory owned by the caller.
class ScratchScope {
 public:
  ScratchScope(void* base, std::size_t bytes);
  ~ScratchScope();
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;
  static std::size_t high_water();  // most bytes in use at once since the last reset_high_water
  static void reset_high_water();

 private:
  void* prev_base_;
  std::size_t prev_bytes_, prev_used_;
};

using nn::ops::BatchNormShape;
using nn::ops::ResidualShape;
using nn::ops::Conv1dShape;
using nn::ops::LinearShape;
using nn::ops::MatmulShape;

// ---- conv1d.cu --------------------------------------------------------------------------------
// x: (N, C_in, L_in); w: (C_out, C_in/G, K); b: (C_out) or nullptr; y: (N, C_out, L_out).
// K = 1, stride 1, no padding, G = 1 -> cuBLAS strided-batched GEMM; otherwise implicit GEMM.
template <class T>
void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y, cudaStream_t stream);
// dy: (N, C_out, L_out); dx += (N, C_in, L_in); dw += (C_out, C_in/G, K); db += (C_out).
template <class T>
void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                     cudaStream_t stream);

// ---- batchnorm.cu -----------------------------------------------------------------------------
// x (N, C, L) -> mean, var (C): biased batch variance, two passes, deterministic (no atomics).
template <class T>
void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var, cudaStream_t stream);
template <class T>
void batchnorm_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                       const T* beta, double eps, T* y, cudaStream_t stream);
template <class T>
void batchnorm_update_running(std::int64_t C, std::int64_t M, const T* mean, const T* var, double momentum,
                              T* running_mean, T* running_var, cudaStream_t stream);
template <class T>
void batchnorm_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                        const T* dy, double eps, bool training, T* dx, T* dgamma, T* dbeta,
                        cudaStream_t stream);

// Fused (no CPU twin; equals the composition of the CPU ops):
//   xbn = batchnorm_forward(x); act = swish(xbn); y = dropout(act, p, seed) over the flat (N*C*L)
// index. xbn and act may be nullptr (not stored); they are what the backward of BN and swish need.
// p = 0 disables dropout.
template <class T>
void batchnorm_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                                     const T* gamma, const T* beta, double eps, double p, std::uint64_t seed,
                                     T* xbn, T* act, T* y, cudaStream_t stream);

// The CUDA twins of nn/ops/batchnorm.hpp's fused bn_swish_dropout_forward/_backward (same
// arguments; drop = false or p = 0: no dropout). The backward recomputes x_bn, the swish
// derivative and the mask from x and the statistics (nothing stored), ACCUMULATES.
template <class T>
void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                              const T* beta, double eps, bool drop, double p, SeedArg seed, T* y,
                              cudaStream_t stream);
template <class T>
void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                               const T* beta, double eps, bool training, bool drop, double p, SeedArg seed,
                               const T* dy, T* dx, T* dgamma, T* dbeta, cudaStream_t stream);

// ---- activation.cu ----------------------------------------------------------------------------
template <class T> void swish_forward(std::int64_t n, const T* x, T* y, cudaStream_t stream);
template <class T> void swish_backward(std::int64_t n, const T* x, const T* dy, T* dx, cudaStream_t stream);
template <class T> void sigmoid_forward(std::int64_t n, const T* x, T* y, cudaStream_t stream);
template <class T> void sigmoid_backward(std::int64_t n, const T* y, const T* dy, T* dx, cudaStream_t stream);
template <class T> void relu_forward(std::int64_t n, const T* x, T* y, cudaStream_t stream);
template <class T> void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx, cudaStream_t stream);

// ---- dropout.cu (mask: element i kept iff nn::ops::uniform(seed, i) >= float(p)) -------------
template <class T>
void dropout_forward(std::int64_t n, double p, std::uint64_t seed, const T* x, T* y, cudaStream_t stream);
template <class T>
void dropout_backward(std::int64_t n, double p, std::uint64_t seed, const T* dy, T* dx, cudaStream_t stream);

template <class T>
void dropout_forward(std::int64_t n, double p, SeedArg seed, const T* x, T* y, cudaStream_t stream);
template <class T>
void dropout_backward(std::int64_t n, double p, SeedArg seed, const T* dy, T* dx, cudaStream_t stream);

// ---- elementwise.cu (raw-array ops of nn/ops/elementwise.hpp) -------------------------------
template <class T> void add_forward(std::int64_t n, const T* a, const T* b, T* y, cudaStream_t stream);
template <class T> void axpy(std::int64_t n, T alpha, const T* x, T* y, cudaStream_t stream);
template <class T> void mul_forward(std::int64_t n, const T* a, const T* b, T* y, cudaStream_t stream);
template <class T>
void mul_backward(std::int64_t n, const T* a, const T* b, const T* dy, T* da, T* db, cudaStream_t stream);
// DEVIATION from the CPU twin (which returns a host double): the sum goes to the DEVICE double
// *out, so no host sync; double accumulation, fixed two-stage tree (deterministic).
template <class T> void sum_all(std::int64_t n, const T* x, double* out, cudaStream_t stream);
template <class T> void add_scalar(std::int64_t n, T value, T* y, cudaStream_t stream);
// y += T(*s) * x with the scale *s a DEVICE double (AdaCos logits and their backward; the CPU
// twin is axpy with alpha = T(s)).
template <class T>
void axpy_device_scale(std::int64_t n, const double* s, const T* x, T* y, cudaStream_t stream);

// ---- pool.cu ----------------------------------------------------------------------------------
// x (R, L) -> y (R, ceil(L/2)); one real ZERO appended on the right for odd L.
template <class T> void maxpool_same2_forward(std::int64_t R, std::int64_t L, const T* x, T* y, cudaStream_t stream);
template <class T>
void maxpool_same2_backward(std::int64_t R, std::int64_t L, const T* x, const T* dy, T* dx, cudaStream_t stream);
// x (R, L) -> y (R) mean over L.
template <class T> void mean_length_forward(std::int64_t R, std::int64_t L, const T* x, T* y, cudaStream_t stream);
template <class T> void mean_length_backward(std::int64_t R, std::int64_t L, const T* dy, T* dx, cudaStream_t stream);

// ---- channel.cu -------------------------------------------------------------------------------
// y[n,c,l] = x[n,c,l] * e[n,c]; x, y (N, C, L), e (N, C).
template <class T>
void scale_channels_forward(std::int64_t N, std::int64_t C, std::int64_t L, const T* x, const T* e, T* y,
                            cudaStream_t stream);
template <class T>
void scale_channels_backward(std::int64_t N, std::int64_t C, std::int64_t L, const T* x, const T* e, const T* dy,
                             T* dx, T* de, cudaStream_t stream);
// x (N, C, L) -> y (N, before + C + after, L), new channels zero.
template <class T>
void pad_channels_forward(std::int64_t N, std::int64_t C, std::int64_t L, std::int64_t before, std::int64_t after,
                          const T* x, T* y, cudaStream_t stream);
template <class T>
void pad_channels_backward(std::int64_t N, std::int64_t C, std::int64_t L, std::int64_t before, std::int64_t after,
                           const T* dy, T* dx, cudaStream_t stream);

// ---- residual.cu (the fused end of a block: y = h*e + shortcut(x); the shortcut's backward) -----
template <class T>
void residual_se_forward(const ResidualShape& s, const T* h, const T* e, const T* x, T* y, cudaStream_t stream);
template <class T>
void residual_shortcut_backward(const ResidualShape& s, const T* x, const T* dy, T* dx, cudaStream_t stream);

// ---- linear.cu (cuBLAS, row-major via the transpose identity) --------------------------------
template <class T> void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c, cudaStream_t stream);
template <class T>
void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db, cudaStream_t stream);
template <class T>
void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y, cudaStream_t stream);
template <class T>
void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                     cudaStream_t stream);

// ---- norm.cu ----------------------------------------------------------------------------------
template <class T>
void l2_normalize_rows_forward(std::int64_t R, std::int64_t D, double eps, const T* x, T* y, T* norm,
                               cudaStream_t stream);
template <class T>
void l2_normalize_rows_backward(std::int64_t R, std::int64_t D, double eps, const T* y, const T* norm, const T* dy,
                                T* dx, cudaStream_t stream);

// ---- loss.cu (labels are DEVICE int64 arrays; loss is a DEVICE scalar) -----------------------
template <class T>
void cosface_forward(std::int64_t N, std::int64_t C, double s, double m, const T* c, const std::int64_t* labels,
                     T* p, T* loss, cudaStream_t stream);
template <class T>
void cosface_backward(std::int64_t N, std::int64_t C, double s, const T* p, const std::int64_t* labels, T dloss,
                      T* dc, cudaStream_t stream);
template <class T>
void cross_entropy_forward(std::int64_t N, std::int64_t C, const T* z, const std::int64_t* labels, T* p, T* loss,
                           cudaStream_t stream);
template <class T>
void cross_entropy_backward(std::int64_t N, std::int64_t C, const T* p, const std::int64_t* labels, T dloss, T* dz,
                            cudaStream_t stream);
// AdaCos scale update, entirely on the device (no host sync). DEVIATION from the CPU twin, which
// returns a host double: here s_prev and s_new are DEVICE doubles (they may alias, for an
// in-place update). Lower median of the N target angles by a bitonic sort in one block;
// N <= kAdacosMaxN.
constexpr std::int64_t kAdacosMaxN = 4096;
template <class T>
void adacos_update_scale(std::int64_t N, std::int64_t C, const T* c, const std::int64_t* labels,
                         const double* s_prev, double* s_new, cudaStream_t stream);

// ---- topk.cu ----------------------------------------------------------------------------------
// scores (N, C) -> idx (N, k) DEVICE int64: the k largest per row, descending, ties -> lower index.
template <class T>
void topk_rows(std::int64_t N, std::int64_t C, const T* scores, std::int64_t k, std::int64_t* idx,
               cudaStream_t stream);

// ---- adam.cu (torch.optim.Adam / AdamW semantics, as nn/optim.cpp's adam_update) -------------
// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t. decoupled: p *= 1 - lr*wd (AdamW); else g += wd*p (Adam).
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, double bc1, double bc2, cudaStream_t stream);
// The same update with lr, bc1, bc2 read from DEVICE memory (graph replay); the coefficients are
// formed in double from them exactly as adam_update forms them on the host, then rounded to T.
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::int64_t n, const AdamHyper* hyper, double beta1, double beta2,
                 double eps, double weight_decay, bool decoupled, cudaStream_t stream);
// One fused launch (per 32 tensors) over a list of parameter tensors; the arrays are HOST arrays
// of DEVICE pointers, count entries each. Same update as adam_update on every tensor.
template <class T>
void adam_update_multi(int count, T* const* p, const T* const* g, T* const* m, T* const* v, const std::int64_t* n,
                       double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                       double bc1, double bc2, cudaStream_t stream);

}  // namespace xrdid::cuda
