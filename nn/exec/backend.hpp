// Backend: where a planned computation (nn/exec/net1d_executor.hpp) runs. The ops, listed once in
// nn/exec/ops.def, are those of nn/ops/ (same arguments, same ACCUMULATE (+=) contract for every
// *_backward, nullptr gradients skipped), on raw pointers into the backend's own memory: host memory for CpuBackend
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
  // Per-op timing: while profiling() is true, the executor calls mark(label) before each op of
  // a run and mark("") after its last; a backend that times ops attributes the time between
  // two marks to the first one's label (the CUDA backend's `profile` option).
  virtual bool profiling() const { return false; }
  virtual void mark(const std::string& label) { (void)label; }
};

template <class T>
class Backend : public BackendBase {
 public:
  // One pure virtual per entry of nn/exec/ops.def (the documentation of each op is there).
#define XRDID_OP(name, params, args) virtual void name params = 0;
#define XRDID_OP_CUSTOM(name, params, args) virtual void name params = 0;
#include "nn/exec/ops.def"
#undef XRDID_OP
#undef XRDID_OP_CUSTOM
};

}  // namespace xrdid::nn::exec
