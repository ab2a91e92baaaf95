// CpuBackend (see cpu_backend.hpp): every op of nn/exec/ops.def forwards to its nn/ops/ reference.
#include "nn/exec/cpu_backend.hpp"

#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <vector>

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

// The forward layouts of the convolution weights, kept between calls (an inference plan runs the
// same weights every call): one per weight pointer, valid until a write through the backend
// (upload, copy, zero, the optimiser's update) reaches the weight or its memory is released.
// An invalid layout keeps its memory and is rewritten at the next call that needs it.
template <class T>
class ConvLayouts {
 public:
  const T* get(const Conv1dShape& s, const T* w) {
    const std::int64_t n = ops::conv1d_forward_layout_size(s);
    Entry& e = map_[w];
    if (!e.valid || e.C_in != s.C_in || e.C_out != s.C_out || e.K != s.K || e.stride != s.stride ||
        e.groups != s.groups) {
      e.data.resize(static_cast<std::size_t>(n));
      ops::conv1d_forward_layout<T>(s, w, e.data.data());
      e.C_in = s.C_in, e.C_out = s.C_out, e.K = s.K, e.stride = s.stride, e.groups = s.groups;
      e.weights = static_cast<std::size_t>(s.C_out * (s.C_in / s.groups) * s.K);
      e.valid = true;
    }
    return e.data.data();
  }
  // A write to [p, p + bytes).
  void written(const void* p, std::size_t bytes) {
    if (map_.empty()) return;
    const auto* lo = static_cast<const char*>(p);
    for (auto& [w, e] : map_) {
      const auto* wl = reinterpret_cast<const char*>(w);
      if (lo < wl + e.weights * sizeof(T) && wl < lo + bytes) e.valid = false;
    }
  }
  void forget() { map_.clear(); }

 private:
  struct Entry {
    bool valid = false;
    std::int64_t C_in = 0, C_out = 0, K = 0, stride = 0, groups = 0;
    std::size_t weights = 0;  // elements of the weight the layout was written from
    std::vector<T> data;
  };
  std::map<const T*, Entry> map_;
};

template <class T>
class CpuBackend final : public Backend<T> {
 public:
  std::string name() const override { return "cpu"; }
  void* allocate(std::size_t bytes) override { return aligned_zeroed(bytes); }
  void release(void* p) noexcept override {
    layouts_.forget();
    std::free(p);
  }
  void* allocate_host(std::size_t bytes) override { return aligned_zeroed(bytes); }
  void release_host(void* p) noexcept override { std::free(p); }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    layouts_.written(dst, bytes);
    std::memcpy(dst, src, bytes);
  }
  void download(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    layouts_.written(dst, bytes);
    std::memmove(dst, src, bytes);
  }
  void zero(void* p, std::size_t bytes) override {
    layouts_.written(p, bytes);
    std::memset(p, 0, bytes);
  }
  void synchronize() override {}
  void run(const std::string&, const std::function<void()>& ops, void*) override { ops(); }
  void forget_recordings() override {}
  std::size_t scratch_bytes() const override { return 0; }

  // The pass-through ops of nn/exec/ops.def; the XRDID_OP_CUSTOM ones are written below.
#define XRDID_OP(name, params, args) \
  void name params override { ops::name<T> args; }
#define XRDID_OP_CUSTOM(name, params, args)
#include "nn/exec/ops.def"
#undef XRDID_OP
#undef XRDID_OP_CUSTOM

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
  void dropout_forward(i64 n, double p, SeedArg seed, const T* x, T* y) override {
    ops::dropout_forward<T>(n, p, ops::resolve(seed), x, y);
  }
  void dropout_backward(i64 n, double p, SeedArg seed, const T* dy, T* dx) override {
    ops::dropout_backward<T>(n, p, ops::resolve(seed), dy, dx);
  }
  void adacos_update_scale(i64 N, i64 C, const T* c, const i64* labels, const double* s_prev,
                           double* s_new) override {
    *s_new = ops::adacos_update_scale<T>(N, C, c, labels, *s_prev);
  }
  void axpy_scale(i64 n, const double* s, const T* x, T* y) override { ops::axpy<T>(n, static_cast<T>(*s), x, y); }
  void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) override {
    if (ops::conv1d_forward_layout_size(s) == 0) {
      ops::conv1d_forward<T>(s, x, w, b, y);
      return;
    }
    ops::conv1d_forward_laid_out<T>(s, x, layouts_.get(s, w), b, y);
  }
  void adam_update(T* p, const T* g, T* m, T* v, i64 n, const AdamHyper* h, double beta1, double beta2, double eps,
                   double weight_decay, bool decoupled) override {
    layouts_.written(p, static_cast<std::size_t>(n) * sizeof(T));
    ops::adam_update<T>(p, g, m, v, n, h->lr, beta1, beta2, eps, weight_decay, decoupled, h->bc1, h->bc2);
  }

 private:
  ConvLayouts<T> layouts_;
};

}  // namespace

template <class T>
std::unique_ptr<Backend<T>> make_cpu_backend() {
  return std::make_unique<CpuBackend<T>>();
}
template std::unique_ptr<Backend<float>> make_cpu_backend<float>();
template std::unique_ptr<Backend<double>> make_cpu_backend<double>();

}  // namespace xrdid::nn::exec
