// CudaBackend (see cuda_backend.hpp).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include "kernels/cublas_util.cuh"
#include "kernels/cuda_backend.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/device.hpp"
#include "kernels/op_profile.hpp"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using nn::exec::AdamHyper;
using nn::exec::BatchNormShape;
using nn::exec::Conv1dShape;
using nn::exec::LinearShape;
using nn::exec::MatmulShape;
using nn::exec::SeedArg;
using i64 = std::int64_t;

constexpr std::size_t kScratchBytes = std::size_t{256} << 20;      // kernels' reduction workspaces
constexpr std::size_t kCublasWorkspace = std::size_t{32} << 20;    // cuBLAS (set once per handle)

// One recorded sequence.
struct Recording {
  long calls = 0;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
};

class CudaBackendCore {
 public:
  explicit CudaBackendCore(const CudaBackendOptions& o) : opt_(o) {
    const int n = device_count();
    if (n == 0)
      throw std::runtime_error("xrdid: --device cuda: no usable CUDA device (no GPU, or no driver); use --device cpu");
    if (o.device < 0 || o.device >= n)
      throw std::runtime_error("xrdid: CUDA device " + std::to_string(o.device) + " does not exist (" +
                               std::to_string(n) + " found)");
    XRDID_CUDA_CHECK(cudaSetDevice(o.device));
    XRDID_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    set_tf32(o.tf32);
    XRDID_CUDA_CHECK(cudaMalloc(&cublas_ws_, kCublasWorkspace));
    // Registered per stream, not set on the handle once: cublas_handle's cublasSetStream on every
    // call resets a handle's workspace to the default pool (a one-time cublasSetWorkspace here was
    // undone by the first GEMM, and captured graphs used cuBLAS's own workspace).
    set_cublas_workspace(stream_, cublas_ws_, kCublasWorkspace);
  }
  ~CudaBackendCore() {
    if (stream_) set_cublas_workspace(stream_, nullptr, 0);  // before cublas_ws_ is freed
    for (auto& [k, r] : recordings_) drop(r);
    if (stream_) {
      XRDID_CUDA_CHECK_NOTHROW(cudaStreamSynchronize(stream_));
      XRDID_CUDA_CHECK_NOTHROW(cudaStreamDestroy(stream_));
    }
    if (cublas_ws_) XRDID_CUDA_CHECK_NOTHROW(cudaFree(cublas_ws_));
  }
  CudaBackendCore(const CudaBackendCore&) = delete;
  CudaBackendCore& operator=(const CudaBackendCore&) = delete;

  void* allocate(std::size_t bytes) {
    void* p = nullptr;
    if (const cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1); e != cudaSuccess) {
      cudaGetLastError();  // not sticky: clear it so that later launch checks do not report it
      throw CudaError("cudaMalloc of " + std::to_string(bytes) + " bytes: " + cudaGetErrorString(e));
    }
    // On the backend's stream: a plain cudaMemset runs on the legacy stream, asynchronously to
    // the host and unordered with the non-blocking stream_, so it could land after an upload
    // (the executor uploads the model right after allocating its state).
    XRDID_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes ? bytes : 1, stream_));
    return p;
  }
  void release(void* p) noexcept {
    if (p) XRDID_CUDA_CHECK_NOTHROW(cudaFree(p));
  }
  void* allocate_host(std::size_t bytes) {
    void* p = nullptr;
    XRDID_CUDA_CHECK(cudaMallocHost(&p, bytes ? bytes : 1));
    std::memset(p, 0, bytes ? bytes : 1);
    return p;
  }
  void release_host(void* p) noexcept {
    if (p) XRDID_CUDA_CHECK_NOTHROW(cudaFreeHost(p));
  }
  void upload(void* dst, const void* src, std::size_t bytes) {
    XRDID_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
  }
  void download(void* dst, const void* src, std::size_t bytes) {
    XRDID_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
  }
  void copy(void* dst, const void* src, std::size_t bytes) {
    XRDID_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
  }
  void zero(void* p, std::size_t bytes) { XRDID_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream_)); }
  void synchronize() { XRDID_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  void run(const std::string& key, const std::function<void()>& ops, void* scratch) {
    std::unique_ptr<ScratchScope> scope;
    if (scratch) scope = std::make_unique<ScratchScope>(scratch, kScratchBytes);
    set_tf32(opt_.tf32);
    Recording& r = recordings_[key];
    if (opt_.profile) {  // every call eagerly, each op between two events
      ops();
      profile_.finish(stream_);
      ++counters_.eager;
      return;
    }
    if (!opt_.graphs || r.calls == 0) {  // the warm-up (or every call without graphs) runs eagerly
      ops();
      ++r.calls;  // counted once it succeeded: a failed warm-up is retried, not captured
      ++counters_.eager;
      return;
    }
    if (!r.exec) {
      XRDID_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
      try {
        ops();
      } catch (...) {
        cudaGraph_t g = nullptr;
        cudaStreamEndCapture(stream_, &g);  // leave the stream usable; the error is the one thrown
        if (g) cudaGraphDestroy(g);
        cudaGetLastError();
        throw;
      }
      XRDID_CUDA_CHECK(cudaStreamEndCapture(stream_, &r.graph));
      XRDID_CUDA_CHECK(cudaGraphInstantiate(&r.exec, r.graph, 0));
      ++r.calls;
      ++counters_.captured;
    }
    XRDID_CUDA_CHECK(cudaGraphLaunch(r.exec, stream_));
    ++counters_.replays;
  }
  void forget_recordings() {
    synchronize();
    for (auto& [k, r] : recordings_) drop(r);
    recordings_.clear();
  }
  cudaStream_t stream() const { return stream_; }
  GraphCounters counters() const { return counters_; }
  bool profiling() const { return opt_.profile; }
  void mark(const std::string& label) { profile_.mark(label, stream_); }
  std::string profile_report() const { return profile_.report(); }

 private:
  static void drop(Recording& r) noexcept {
    if (r.exec) XRDID_CUDA_CHECK_NOTHROW(cudaGraphExecDestroy(r.exec));
    if (r.graph) XRDID_CUDA_CHECK_NOTHROW(cudaGraphDestroy(r.graph));
    r.exec = nullptr;
    r.graph = nullptr;
  }
  CudaBackendOptions opt_;
  cudaStream_t stream_ = nullptr;
  void* cublas_ws_ = nullptr;
  std::map<std::string, Recording> recordings_;
  GraphCounters counters_;
  OpProfile profile_;
};

class CountersSource {
 public:
  virtual ~CountersSource() = default;
  virtual GraphCounters graph_counters() const = 0;
  virtual std::string profile_report() const = 0;
};

template <class T>
class CudaBackend final : public nn::exec::Backend<T>, public CountersSource {
 public:
  explicit CudaBackend(const CudaBackendOptions& o) : core_(o), s_(core_.stream()) {}
  GraphCounters graph_counters() const override { return core_.counters(); }
  std::string profile_report() const override { return core_.profile_report(); }
  bool profiling() const override { return core_.profiling(); }
  void mark(const std::string& label) override { core_.mark(label); }

  std::string name() const override { return "cuda"; }
  void* allocate(std::size_t b) override { return core_.allocate(b); }
  void release(void* p) noexcept override { core_.release(p); }
  void* allocate_host(std::size_t b) override { return core_.allocate_host(b); }
  void release_host(void* p) noexcept override { core_.release_host(p); }
  void upload(void* d, const void* s, std::size_t b) override { core_.upload(d, s, b); }
  void download(void* d, const void* s, std::size_t b) override { core_.download(d, s, b); }
  void copy(void* d, const void* s, std::size_t b) override { core_.copy(d, s, b); }
  void zero(void* p, std::size_t b) override { core_.zero(p, b); }
  void synchronize() override { core_.synchronize(); }
  void run(const std::string& key, const std::function<void()>& ops, void* scratch) override {
    core_.run(key, ops, scratch);
  }
  void forget_recordings() override { core_.forget_recordings(); }
  std::size_t scratch_bytes() const override { return kScratchBytes; }

  // The pass-through ops of nn/exec/ops.def: xrdid::cuda::name<T>(args..., stream). The
  // XRDID_OP_CUSTOM ones are written below.
#define XRDID_WITH_STREAM(...) (__VA_ARGS__, s_)
#define XRDID_OP(name, params, args) \
  void name params override { cuda::name<T> XRDID_WITH_STREAM args; }
#define XRDID_OP_CUSTOM(name, params, args)
#include "nn/exec/ops.def"
#undef XRDID_OP
#undef XRDID_OP_CUSTOM
#undef XRDID_WITH_STREAM

  void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) override {
    cuda::conv1d_forward<T>(s, x, w, b, y, s_);
  }
  void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                                const T* beta, double eps, bool drop, double p, SeedArg seed, T* y) override {
    cuda::bn_swish_dropout_forward<T>(s, x, mean, var, gamma, beta, eps, drop, p, seed, y, s_);
  }
  void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                                 const T* beta, double eps, bool training, bool drop, double p, SeedArg seed,
                                 const T* dy, T* dx, T* dgamma, T* dbeta) override {
    cuda::bn_swish_dropout_backward<T>(s, x, mean, var, gamma, beta, eps, training, drop, p, seed, dy, dx, dgamma,
                                       dbeta, s_);
  }
  void dropout_forward(i64 n, double p, SeedArg seed, const T* x, T* y) override {
    cuda::dropout_forward<T>(n, p, seed, x, y, s_);
  }
  void dropout_backward(i64 n, double p, SeedArg seed, const T* dy, T* dx) override {
    cuda::dropout_backward<T>(n, p, seed, dy, dx, s_);
  }
  void adacos_update_scale(i64 N, i64 C, const T* c, const i64* labels, const double* s_prev,
                           double* s_new) override {
    cuda::adacos_update_scale<T>(N, C, c, labels, s_prev, s_new, s_);
  }
  void axpy_scale(i64 n, const double* s, const T* x, T* y) override { cuda::axpy_device_scale<T>(n, s, x, y, s_); }
  void adam_update(T* p, const T* g, T* m, T* v, i64 n, const AdamHyper* h, double beta1, double beta2, double eps,
                   double weight_decay, bool decoupled) override {
    cuda::adam_update<T>(p, g, m, v, n, h, beta1, beta2, eps, weight_decay, decoupled, s_);
  }

 private:
  CudaBackendCore core_;
  cudaStream_t s_;
};

}  // namespace

template <class T>
std::unique_ptr<nn::exec::Backend<T>> make_cuda_backend(const CudaBackendOptions& opt) {
  return std::make_unique<CudaBackend<T>>(opt);
}
template std::unique_ptr<nn::exec::Backend<float>> make_cuda_backend<float>(const CudaBackendOptions&);
template std::unique_ptr<nn::exec::Backend<double>> make_cuda_backend<double>(const CudaBackendOptions&);

GraphCounters graph_counters(const nn::exec::BackendBase& backend) {
  const auto* src = dynamic_cast<const CountersSource*>(&backend);
  return src ? src->graph_counters() : GraphCounters{};
}

std::string profile_report(const nn::exec::BackendBase& backend) {
  const auto* src = dynamic_cast<const CountersSource*>(&backend);
  return src ? src->profile_report() : std::string{};
}

}  // namespace xrdid::cuda
