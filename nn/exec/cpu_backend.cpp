// CpuBackend (see cpu_backend.hpp): every op forwards to its nn/ops/ reference.
#include "nn/exec/cpu_backend.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "nn/ops/activation.hpp"
#include "nn/ops/channel.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/loss.hpp"
#include "nn/ops/norm.hpp"
#include "nn/ops/pool.hpp"
#include "nn/ops/residual.hpp"

namespace xrdid::nn::exec {

namespace {

void* aligned_zeroed(std::size_t bytes) {
  const std::size_t n = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, n ? n : 64);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, n ? n : 64);
  return p;
}

template <class T>
class CpuBackend final : public Backend<T> {
 public:
  std::string name() const override { return "cpu"; }
  void* allocate(std::size_t bytes) override { return aligned_zeroed(bytes); }
  void release(void* p) noexcept override { std::free(p); }
  void* allocate_host(std::size_t bytes) override { return aligned_zeroed(bytes); }
  void release_host(void* p) noexcept override { std::free(p); }
  void upload(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, std::size_t bytes) override { std::memmove(dst, src, bytes); }
  void zero(void* p, std::size_t bytes) override { std::memset(p, 0, bytes); }
  void synchronize() override {}
  void run(const std::string&, const std::function<void()>& ops, void*) override { ops(); }
  void forget_recordings() override {}
  std::size_t scratch_bytes() const override { return 0; }

  void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) override {
    ops::conv1d_forward<T>(s, x, w, b, y);
  }
  void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) override {
    ops::conv1d_backward<T>(s, x, w, dy, dx, dw, db);
  }
  void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var) override {
    ops::batchnorm_stats<T>(s, x, mean, var);
  }
  void batchnorm_update_running(i64 C, i64 M, const T* mean, const T* var, double momentum, T* rm,
                                T* rv) override {
    ops::batchnorm_update_running<T>(C, M, mean, var, momentum, rm, rv);
  }
  void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                                const T* beta, double eps, bool drop, double p, SeedArg seed, T* y) override {
    ops::bn_swish_dropout_forward<T>(s, x, mean, var, gamma, beta, eps, drop, p, ops::resolve(seed), y);
  }
  void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                                 const T* beta, double eps, bool training, bool drop, double p, SeedArg seed,
                                 const T* dy, T* dx, T* dgamma, T* dbeta) override {
    ops::bn_swish_dropout_backward<T>(s, x, mean, var, gamma, beta, eps, training, drop, p, ops::resolve(seed), dy,
                                      dx, dgamma, dbeta);
  }
  void swish_forward(i64 n, const T* x, T* y) override { ops::swish_forward<T>(n, x, y); }
  void swish_backward(i64 n, const T* x, const T* dy, T* dx) override { ops::swish_backward<T>(n, x, dy, dx); }
  void sigmoid_forward(i64 n, const T* x, T* y) override { ops::sigmoid_forward<T>(n, x, y); }
  void sigmoid_backward(i64 n, const T* y, const T* dy, T* dx) override { ops::sigmoid_backward<T>(n, y, dy, dx); }
  void dropout_forward(i64 n, double p, SeedArg seed, const T* x, T* y) override {
    ops::dropout_forward<T>(n, p, ops::resolve(seed), x, y);
  }
  void dropout_backward(i64 n, double p, SeedArg seed, const T* dy, T* dx) override {
    ops::dropout_backward<T>(n, p, ops::resolve(seed), dy, dx);
  }
  void add_forward(i64 n, const T* a, const T* b, T* y) override { ops::add_forward<T>(n, a, b, y); }
  void axpy(i64 n, T alpha, const T* x, T* y) override { ops::axpy<T>(n, alpha, x, y); }
  void maxpool_same2_forward(i64 R, i64 L, const T* x, T* y) override { ops::maxpool_same2_forward<T>(R, L, x, y); }
  void maxpool_same2_backward(i64 R, i64 L, const T* x, const T* dy, T* dx) override {
    ops::maxpool_same2_backward<T>(R, L, x, dy, dx);
  }
  void mean_length_forward(i64 R, i64 L, const T* x, T* y) override { ops::mean_length_forward<T>(R, L, x, y); }
  void mean_length_backward(i64 R, i64 L, const T* dy, T* dx) override { ops::mean_length_backward<T>(R, L, dy, dx); }
  void scale_channels_forward(i64 N, i64 C, i64 L, const T* x, const T* e, T* y) override {
    ops::scale_channels_forward<T>(N, C, L, x, e, y);
  }
  void scale_channels_backward(i64 N, i64 C, i64 L, const T* x, const T* e, const T* dy, T* dx, T* de) override {
    ops::scale_channels_backward<T>(N, C, L, x, e, dy, dx, de);
  }
  void pad_channels_forward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* x, T* y) override {
    ops::pad_channels_forward<T>(N, C, L, before, after, x, y);
  }
  void pad_channels_backward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* dy, T* dx) override {
    ops::pad_channels_backward<T>(N, C, L, before, after, dy, dx);
  }
  void residual_se_forward(const ResidualShape& s, const T* h, const T* e, const T* x, T* y) override {
    ops::residual_se_forward<T>(s, h, e, x, y);
  }
  void residual_shortcut_backward(const ResidualShape& s, const T* x, const T* dy, T* dx) override {
    ops::residual_shortcut_backward<T>(s, x, dy, dx);
  }
  void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y) override {
    ops::linear_forward<T>(s, x, w, b, y);
  }
  void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) override {
    ops::linear_backward<T>(s, x, w, dy, dx, dw, db);
  }
  void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c) override {
    ops::matmul_forward<T>(s, a, b, c);
  }
  void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db) override {
    ops::matmul_backward<T>(s, a, b, dc, da, db);
  }
  void l2_normalize_rows_forward(i64 R, i64 D, double eps, const T* x, T* y, T* norm) override {
    ops::l2_normalize_rows_forward<T>(R, D, eps, x, y, norm);
  }
  void l2_normalize_rows_backward(i64 R, i64 D, double eps, const T* y, const T* norm, const T* dy,
                                  T* dx) override {
    ops::l2_normalize_rows_backward<T>(R, D, eps, y, norm, dy, dx);
  }
  void cosface_forward(i64 N, i64 C, double s, double m, const T* c, const i64* labels, T* p, T* loss) override {
    ops::cosface_forward<T>(N, C, s, m, c, labels, p, loss);
  }
  void cosface_backward(i64 N, i64 C, double s, const T* p, const i64* labels, T dloss, T* dc) override {
    ops::cosface_backward<T>(N, C, s, p, labels, dloss, dc);
  }
  void cross_entropy_forward(i64 N, i64 C, const T* z, const i64* labels, T* p, T* loss) override {
    ops::cross_entropy_forward<T>(N, C, z, labels, p, loss);
  }
  void cross_entropy_backward(i64 N, i64 C, const T* p, const i64* labels, T dloss, T* dz) override {
    ops::cross_entropy_backward<T>(N, C, p, labels, dloss, dz);
  }
  void adacos_update_scale(i64 N, i64 C, const T* c, const i64* labels, const double* s_prev,
                           double* s_new) override {
    *s_new = ops::adacos_update_scale<T>(N, C, c, labels, *s_prev);
  }
  void axpy_scale(i64 n, const double* s, const T* x, T* y) override { ops::axpy<T>(n, static_cast<T>(*s), x, y); }
  void topk_rows(i64 N, i64 C, const T* scores, i64 k, i64* idx) override {
    ops::topk_rows<T>(N, C, scores, k, idx);
  }
  void adam_update(T* p, const T* g, T* m, T* v, i64 n, const AdamHyper* h, double beta1, double beta2, double eps,
                   double weight_decay, bool decoupled) override {
    ops::adam_update<T>(p, g, m, v, n, h->lr, beta1, beta2, eps, weight_decay, decoupled, h->bc1, h->bc2);
  }
};

}  // namespace

template <class T>
std::unique_ptr<Backend<T>> make_cpu_backend() {
  return std::make_unique<CpuBackend<T>>();
}
template std::unique_ptr<Backend<float>> make_cpu_backend<float>();
template std::unique_ptr<Backend<double>> make_cpu_backend<double>();

}  // namespace xrdid::nn::exec
