// Move-only RAII owners of CUDA resources for host code: DeviceBuffer<T>, Stream, Event and
// CublasHandle. Host-only (no device code); errors throw CudaError, destructors only log.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <utility>
#include <vector>

#include "kernels/cuda_check.hpp"

namespace xrdid::cuda {

// Owns n elements of device memory (cudaMalloc). Contents start undefined. The host copies and
// fill_bytes are synchronous (complete on return); kernels take data() on any stream.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    if (n > 0) XRDID_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { copy_from_host(host); }
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }

  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }

  void copy_from_host(const T* src, std::size_t n) {
    if (n > n_) throw CudaError("xrdid: DeviceBuffer::copy_from_host: too many elements");
    if (n) {
      XRDID_CUDA_CHECK(cudaMemcpy(p_, src, n * sizeof(T), cudaMemcpyHostToDevice));
      // A pageable-memory copy may return before its DMA lands, and work on a non-blocking
      // stream does not wait for the legacy stream: finish it here.
      XRDID_CUDA_CHECK(cudaStreamSynchronize(nullptr));
    }
  }
  void copy_from_host(const std::vector<T>& v) { copy_from_host(v.data(), v.size()); }
  std::vector<T> to_host() const {
    std::vector<T> v(n_);
    if (n_) XRDID_CUDA_CHECK(cudaMemcpy(v.data(), p_, bytes(), cudaMemcpyDeviceToHost));
    return v;
  }
  // Sets every byte to `value` (0xFF makes every float/double a NaN: used to poison outputs).
  // Synchronous, like the copies, so that work on any stream sees it.
  void fill_bytes(int value) {
    if (n_) {
      XRDID_CUDA_CHECK(cudaMemset(p_, value, bytes()));
      XRDID_CUDA_CHECK(cudaStreamSynchronize(nullptr));
    }
  }

 private:
  void reset() noexcept {
    if (p_) XRDID_CUDA_CHECK_NOTHROW(cudaFree(p_));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

class Stream {
 public:
  // Non-blocking by default (no implicit sync with the legacy default stream).
  explicit Stream(unsigned flags = cudaStreamNonBlocking) { XRDID_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, flags)); }
  ~Stream() {
    if (s_) XRDID_CUDA_CHECK_NOTHROW(cudaStreamDestroy(s_));
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    if (this != &o) {
      if (s_) XRDID_CUDA_CHECK_NOTHROW(cudaStreamDestroy(s_));
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  cudaStream_t get() const { return s_; }
  operator cudaStream_t() const { return s_; }
  void synchronize() const { XRDID_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { XRDID_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() {
    if (e_) XRDID_CUDA_CHECK_NOTHROW(cudaEventDestroy(e_));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    if (this != &o) {
      if (e_) XRDID_CUDA_CHECK_NOTHROW(cudaEventDestroy(e_));
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) { XRDID_CUDA_CHECK(cudaEventRecord(e_, s)); }
  void synchronize() const { XRDID_CUDA_CHECK(cudaEventSynchronize(e_)); }
  // Milliseconds between two recorded events.
  float elapsed_ms_since(const Event& start) const {
    float ms = 0;
    XRDID_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

// A cuBLAS handle in default (non-TF32) math mode. Move-only.
class CublasHandle {
 public:
  CublasHandle() {
    XRDID_CUBLAS_CHECK(cublasCreate(&h_));
    XRDID_CUBLAS_CHECK(cublasSetMathMode(h_, CUBLAS_DEFAULT_MATH));
  }
  ~CublasHandle() {
    if (h_ && cublasDestroy(h_) != CUBLAS_STATUS_SUCCESS) std::fprintf(stderr, "xrdid: cublasDestroy failed\n");
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&& o) noexcept {
    if (this != &o) {
      if (h_) cublasDestroy(h_);
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

}  // namespace xrdid::cuda
