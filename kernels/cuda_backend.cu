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
};

class CountersSource {
 public:
  virtual ~CountersSource() = default;
  virtual GraphCounters graph_counters() const = 0;
};

template <class T>
class CudaBackend final : public nn::exec::Backend<T>, public CountersSource {
 public:
  explicit CudaBackend(const CudaBackendOptions& o) : core_(o), s_(core_.stream()) {}
  GraphCounters graph_counters() const override { return core_.counters(); }

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

  void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) override {
    cuda::conv1d_forward<T>(s, x, w, b, y, s_);
  }
  void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) override {
    cuda::conv1d_backward<T>(s, x, w, dy, dx, dw, db, s_);
  }
  void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var) override {
    cuda::batchnorm_stats<T>(s, x, mean, var, s_);
  }
  void batchnorm_update_running(i64 C, i64 M, const T* mean, const T* var, double momentum, T* rm,
                                T* rv) override {
    cuda::batchnorm_update_running<T>(C, M, mean, var, momentum, rm, rv, s_);
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
  void swish_forward(i64 n, const T* x, T* y) override { cuda::swish_forward<T>(n, x, y, s_); }
  void swish_backward(i64 n, const T* x, const T* dy, T* dx) override { cuda::swish_backward<T>(n, x, dy, dx, s_); }
  void sigmoid_forward(i64 n, const T* x, T* y) override { cuda::sigmoid_forward<T>(n, x, y, s_); }
  void sigmoid_backward(i64 n, const T* y, const T* dy, T* dx) override {
    cuda::sigmoid_backward<T>(n, y, dy, dx, s_);
  }
  void dropout_forward(i64 n, double p, SeedArg seed, const T* x, T* y) override {
    cuda::dropout_forward<T>(n, p, seed, x, y, s_);
  }
  void dropout_backward(i64 n, double p, SeedArg seed, const T* dy, T* dx) override {
    cuda::dropout_backward<T>(n, p, seed, dy, dx, s_);
  }
  void add_forward(i64 n, const T* a, const T* b, T* y) override { cuda::add_forward<T>(n, a, b, y, s_); }
  void axpy(i64 n, T alpha, const T* x, T* y) override { cuda::axpy<T>(n, alpha, x, y, s_); }
  void maxpool_same2_forward(i64 R, i64 L, const T* x, T* y) override {
    cuda::maxpool_same2_forward<T>(R, L, x, y, s_);
  }
  void maxpool_same2_backward(i64 R, i64 L, const T* x, const T* dy, T* dx) override {
    cuda::maxpool_same2_backward<T>(R, L, x, dy, dx, s_);
  }
  void mean_length_forward(i64 R, i64 L, const T* x, T* y) override { cuda::mean_length_forward<T>(R, L, x, y, s_); }
  void mean_length_backward(i64 R, i64 L, const T* dy, T* dx) override {
    cuda::mean_length_backward<T>(R, L, dy, dx, s_);
  }
  void scale_channels_forward(i64 N, i64 C, i64 L, const T* x, const T* e, T* y) override {
    cuda::scale_channels_forward<T>(N, C, L, x, e, y, s_);
  }
  void scale_channels_backward(i64 N, i64 C, i64 L, const T* x, const T* e, const T* dy, T* dx, T* de) override {
    cuda::scale_channels_backward<T>(N, C, L, x, e, dy, dx, de, s_);
  }
  void pad_channels_forward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* x, T* y) override {
    cuda::pad_channels_forward<T>(N, C, L, before, after, x, y, s_);
  }
  void pad_channels_backward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* dy, T* dx) override {
    cuda::pad_channels_backward<T>(N, C, L, before, after, dy, dx, s_);
  }
  void residual_se_forward(const nn::exec::ResidualShape& s, const T* h, const T* e, const T* x, T* y) override {
    cuda::residual_se_forward<T>(s, h, e, x, y, s_);
  }
  void residual_shortcut_backward(const nn::exec::ResidualShape& s, const T* x, const T* dy, T* dx) override {
    cuda::residual_shortcut_backward<T>(s, x, dy, dx, s_);
  }
  void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y) override {
    cuda::linear_forward<T>(s, x, w, b, y, s_);
  }
  void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) override {
    cuda::linear_backward<T>(s, x, w, dy, dx, dw, db, s_);
  }
  void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c) override {
    cuda::matmul_forward<T>(s, a, b, c, s_);
  }
  void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db) override {
    cuda::matmul_backward<T>(s, a, b, dc, da, db, s_);
  }
  void l2_normalize_rows_forward(i64 R, i64 D, double eps, const T* x, T* y, T* norm) override {
    cuda::l2_normalize_rows_forward<T>(R, D, eps, x, y, norm, s_);
  }
  void l2_normalize_rows_backward(i64 R, i64 D, double eps, const T* y, const T* norm, const T* dy,
                                  T* dx) override {
    cuda::l2_normalize_rows_backward<T>(R, D, eps, y, norm, dy, dx, s_);
  }
  void cosface_forward(i64 N, i64 C, double s, double m, const T* c, const i64* labels, T* p, T* loss) override {
    cuda::cosface_forward<T>(N, C, s, m, c, labels, p, loss, s_);
  }
  void cosface_backward(i64 N, i64 C, double s, const T* p, const i64* labels, T dloss, T* dc) override {
    cuda::cosface_backward<T>(N, C, s, p, labels, dloss, dc, s_);
  }
  void cross_entropy_forward(i64 N, i64 C, const T* z, const i64* labels, T* p, T* loss) override {
    cuda::cross_entropy_forward<T>(N, C, z, labels, p, loss, s_);
  }
  void cross_entropy_backward(i64 N, i64 C, const T* p, const i64* labels, T dloss, T* dz) override {
    cuda::cross_entropy_backward<T>(N, C, p, labels, dloss, dz, s_);
  }
  void adacos_update_scale(i64 N, i64 C, const T* c, const i64* labels, const double* s_prev,
                           double* s_new) override {
    cuda::adacos_update_scale<T>(N, C, c, labels, s_prev, s_new, s_);
  }
  void axpy_scale(i64 n, const double* s, const T* x, T* y) override { cuda::axpy_device_scale<T>(n, s, x, y, s_); }
  void topk_rows(i64 N, i64 C, const T* scores, i64 k, i64* idx) override {
    cuda::topk_rows<T>(N, C, scores, k, idx, s_);
  }
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

}  // namespace xrdid::cuda
