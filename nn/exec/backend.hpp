// Backend: where a planned computation (nn/exec/net1d_executor.hpp) runs. The same ops as
// nn/ops/ (same arguments, same ACCUMULATE (+=) contract for every *_backward, nullptr gradients
// skipped), on raw pointers into the backend's own memory: host memory for CpuBackend
// (nn/exec/cpu_backend.hpp), device memory for the CUDA backend (kernels/cuda_backend.hpp).
//
// Two things differ from nn/ops, so that one captured CUDA graph can be replayed for every step:
// per-step scalars (dropout base seed, AdamHyper, the AdaCos scale) are READ FROM BACKEND MEMORY
// by the ops rather than passed by value, and `run` may record the ops once and replay them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "nn/ops/adam.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/conv1d.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/random.hpp"
#include "nn/ops/residual.hpp"

namespace xrdid::nn::exec {

using ops::AdamHyper;
using ops::BatchNormShape;
using ops::Conv1dShape;
using ops::LinearShape;
using ops::MatmulShape;
using ops::ResidualShape;
using ops::SeedArg;
using i64 = std::int64_t;

// Memory and control, independent of the element type.
class BackendBase {
 public:
  virtual ~BackendBase() = default;
  virtual std::string name() const = 0;
  // Backend memory (device memory for CUDA), zeroed; released by release().
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  // Host staging memory that transfers inside a recorded sequence may read/write (pinned for
  // CUDA); released by release_host().
  virtual void* allocate_host(std::size_t bytes) = 0;
  virtual void release_host(void* p) noexcept = 0;
  // Stream-ordered copies and fill (may be recorded by run()).
  virtual void upload(void* dst, const void* host_src, std::size_t bytes) = 0;
  virtual void download(void* host_dst, const void* src, std::size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void zero(void* p, std::size_t bytes) = 0;
  // Blocks until everything issued so far has finished.
  virtual void synchronize() = 0;
  // Runs `ops` (a fixed sequence of the calls here, same pointers every time). A backend may
  // record it under `key` at a first call and replay the recording at later calls with the
  // same key (CUDA graphs); host code inside `ops` then does not run again. Scratch memory of
  // the ops comes from `scratch` (backend memory of scratch_bytes() bytes) when given.
  virtual void run(const std::string& key, const std::function<void()>& ops, void* scratch = nullptr) = 0;
  // Forgets every recording.
  virtual void forget_recordings() = 0;
  // Bytes of scratch memory the ops of one run may need (0: none).
  virtual std::size_t scratch_bytes() const = 0;
};

template <class T>
class Backend : public BackendBase {
 public:
  // ---- convolution, normalisation, activations --------------------------------------------
  virtual void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) = 0;
  virtual void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) = 0;
  virtual void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var) = 0;
  virtual void batchnorm_update_running(i64 C, i64 M, const T* mean, const T* var, double momentum, T* running_mean,
                                        T* running_var) = 0;
  virtual void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                                        const T* gamma, const T* beta, double eps, bool drop, double p, SeedArg seed,
                                        T* y) = 0;
  virtual void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                                         const T* gamma, const T* beta, double eps, bool training, bool drop,
                                         double p, SeedArg seed, const T* dy, T* dx, T* dgamma, T* dbeta) = 0;
  virtual void swish_forward(i64 n, const T* x, T* y) = 0;
  virtual void swish_backward(i64 n, const T* x, const T* dy, T* dx) = 0;
  virtual void sigmoid_forward(i64 n, const T* x, T* y) = 0;
  virtual void sigmoid_backward(i64 n, const T* y, const T* dy, T* dx) = 0;
  virtual void dropout_forward(i64 n, double p, SeedArg seed, const T* x, T* y) = 0;
  virtual void dropout_backward(i64 n, double p, SeedArg seed, const T* dy, T* dx) = 0;
  // ---- shapes, pooling ----------------------------------------------------------------------
  virtual void add_forward(i64 n, const T* a, const T* b, T* y) = 0;
  virtual void axpy(i64 n, T alpha, const T* x, T* y) = 0;  // y += alpha * x
  virtual void maxpool_same2_forward(i64 R, i64 L, const T* x, T* y) = 0;
  virtual void maxpool_same2_backward(i64 R, i64 L, const T* x, const T* dy, T* dx) = 0;
  virtual void mean_length_forward(i64 R, i64 L, const T* x, T* y) = 0;
  virtual void mean_length_backward(i64 R, i64 L, const T* dy, T* dx) = 0;
  virtual void scale_channels_forward(i64 N, i64 C, i64 L, const T* x, const T* e, T* y) = 0;
  virtual void scale_channels_backward(i64 N, i64 C, i64 L, const T* x, const T* e, const T* dy, T* dx, T* de) = 0;
  virtual void pad_channels_forward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* x, T* y) = 0;
  virtual void pad_channels_backward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* dy, T* dx) = 0;
  virtual void residual_se_forward(const ResidualShape& s, const T* h, const T* e, const T* x, T* y) = 0;
  virtual void residual_shortcut_backward(const ResidualShape& s, const T* x, const T* dy, T* dx) = 0;
  // ---- dense, head, losses ------------------------------------------------------------------
  virtual void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y) = 0;
  virtual void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) = 0;
  virtual void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c) = 0;
  virtual void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db) = 0;
  virtual void l2_normalize_rows_forward(i64 R, i64 D, double eps, const T* x, T* y, T* norm) = 0;
  virtual void l2_normalize_rows_backward(i64 R, i64 D, double eps, const T* y, const T* norm, const T* dy,
                                          T* dx) = 0;
  virtual void cosface_forward(i64 N, i64 C, double s, double m, const T* c, const i64* labels, T* p, T* loss) = 0;
  virtual void cosface_backward(i64 N, i64 C, double s, const T* p, const i64* labels, T dloss, T* dc) = 0;
  virtual void cross_entropy_forward(i64 N, i64 C, const T* z, const i64* labels, T* p, T* loss) = 0;
  virtual void cross_entropy_backward(i64 N, i64 C, const T* p, const i64* labels, T dloss, T* dz) = 0;
  // *s_new = AdaCos scale from *s_prev (may alias); both in backend memory.
  virtual void adacos_update_scale(i64 N, i64 C, const T* c, const i64* labels, const double* s_prev,
                                   double* s_new) = 0;
  // y += T(*s) * x, *s in backend memory.
  virtual void axpy_scale(i64 n, const double* s, const T* x, T* y) = 0;
  virtual void topk_rows(i64 N, i64 C, const T* scores, i64 k, i64* idx) = 0;
  // ---- optimiser (*hyper in backend memory) ----------------------------------------------------
  virtual void adam_update(T* p, const T* g, T* m, T* v, i64 n, const AdamHyper* hyper, double beta1, double beta2,
                           double eps, double weight_decay, bool decoupled) = 0;
};

}  // namespace xrdid::nn::exec
