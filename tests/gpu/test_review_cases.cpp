// Regression cases from a desk review of kernels/ (written before any GPU run):
//  - CudaBackend::allocate zeroed with a legacy-stream cudaMemset, unordered with the backend's
//    non-blocking stream, so an upload right after allocate could be overwritten by the zeroing;
//  - the backend's cuBLAS workspace was set once on the handle and undone by the cublasSetStream
//    of the next cublas_handle call; a workspace is now registered per stream (set_cublas_workspace).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gpu_test_util.hpp"
#include "kernels/buffer.hpp"
#include "kernels/cuda_backend.hpp"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/linear.hpp"

namespace cpu = xrdid::nn::ops;
namespace gpu = xrdid::cuda;
using namespace xrdid::gputest;

TEST_CASE("CUDA backend: allocate() zeroes in stream order, before an upload that follows it") {
  auto be = gpu::make_cuda_backend<float>();
  // A large allocation makes the zeroing take milliseconds; the small upload goes to its END,
  // which a memset on another stream would write last (after the upload).
  constexpr std::size_t kBig = std::size_t{4} << 30, kTail = 1 << 16;
  auto* host_src = static_cast<unsigned char*>(be->allocate_host(kTail));
  auto* host_dst = static_cast<unsigned char*>(be->allocate_host(kTail));
  for (std::size_t i = 0; i < kTail; ++i) host_src[i] = static_cast<unsigned char>(1 + i % 251);
  for (int rep = 0; rep < 3; ++rep) {
    CAPTURE(rep);
    void* d = be->allocate(kBig);
    be->upload(static_cast<char*>(d) + (kBig - kTail), host_src, kTail);
    std::memset(host_dst, 0, kTail);
    be->download(host_dst, static_cast<char*>(d) + (kBig - kTail), kTail);
    be->synchronize();
    CHECK(std::memcmp(host_dst, host_src, kTail) == 0);  // zeros: the zeroing landed after the upload
    be->release(d);
  }
  be->release_host(host_src);
  be->release_host(host_dst);
}

namespace {

// Counts the nodes of `graph` of type `type`.
std::size_t count_nodes(cudaGraph_t graph, cudaGraphNodeType type) {
  std::size_t n = 0;
  REQUIRE(cudaGraphGetNodes(graph, nullptr, &n) == cudaSuccess);
  std::vector<cudaGraphNode_t> nodes(n);
  if (n) REQUIRE(cudaGraphGetNodes(graph, nodes.data(), &n) == cudaSuccess);
  std::size_t k = 0;
  for (auto node : nodes) {
    cudaGraphNodeType t{};
    REQUIRE(cudaGraphNodeGetType(node, &t) == cudaSuccess);
    k += t == type;
  }
  return k;
}

}  // namespace

TEST_CASE("a cuBLAS workspace registered for a stream survives cublasSetStream and is used under capture") {
  gpu::Stream st;
  std::mt19937_64 rng(4242);
  const cpu::LinearShape s{64, 1024, 512};
  const auto x = uniform<float>(static_cast<std::size_t>(s.N * s.in), rng);
  const auto w = uniform<float>(static_cast<std::size_t>(s.out * s.in), rng, -0.05, 0.05);
  std::vector<float> y(static_cast<std::size_t>(s.N * s.out));
  cpu::linear_forward<float>(s, x.data(), w.data(), nullptr, y.data());
  auto d_x = to_dev(x), d_w = to_dev(w);
  auto d_y = poisoned<float>(y.size());
  DeviceBuffer<unsigned char> ws(std::size_t{32} << 20);
  gpu::set_cublas_workspace(st, ws.data(), ws.size());
  // Eager first (the handle exists before capture; its cublasSetStream resets the workspace, which
  // cublas_handle must re-apply), then captured: no allocation node may come from cuBLAS.
  gpu::linear_forward<float>(s, d_x.data(), d_w.data(), nullptr, d_y.data(), st);
  CHECK(check_close("linear y (eager, user workspace)", host(d_y, st), y, reduction_tol<float>(s.in + 1, rms(y))));
  d_y.fill_bytes(0xFF);
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  gpu::linear_forward<float>(s, d_x.data(), d_w.data(), nullptr, d_y.data(), st);
  REQUIRE(cudaStreamEndCapture(st, &graph) == cudaSuccess);
  CHECK(count_nodes(graph, cudaGraphNodeTypeMemAlloc) == 0);
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, st) == cudaSuccess);
  CHECK(check_close("linear y (graph, user workspace)", host(d_y, st), y, reduction_tol<float>(s.in + 1, rms(y))));
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  gpu::set_cublas_workspace(st, nullptr, 0);
  // Unregistered: cuBLAS's default pool again (the freed buffer must never be used).
  d_y.fill_bytes(0xFF);
  gpu::linear_forward<float>(s, d_x.data(), d_w.data(), nullptr, d_y.data(), st);
  CHECK(check_close("linear y (default workspace)", host(d_y, st), y, reduction_tol<float>(s.in + 1, rms(y))));
}

TEST_CASE("two CUDA backends in turn on one thread: the first one's freed cuBLAS workspace is never used") {
  std::mt19937_64 rng(77);
  const cpu::LinearShape s{8, 256, 96};
  const auto x = uniform<float>(static_cast<std::size_t>(s.N * s.in), rng);
  const auto w = uniform<float>(static_cast<std::size_t>(s.out * s.in), rng, -0.1, 0.1);
  std::vector<float> y(static_cast<std::size_t>(s.N * s.out));
  cpu::linear_forward<float>(s, x.data(), w.data(), nullptr, y.data());
  for (int rep = 0; rep < 2; ++rep) {
    CAPTURE(rep);
    auto be = gpu::make_cuda_backend<float>();
    auto* hx = static_cast<float*>(be->allocate_host(x.size() * sizeof(float)));
    auto* hw = static_cast<float*>(be->allocate_host(w.size() * sizeof(float)));
    auto* hy = static_cast<float*>(be->allocate_host(y.size() * sizeof(float)));
    std::memcpy(hx, x.data(), x.size() * sizeof(float));
    std::memcpy(hw, w.data(), w.size() * sizeof(float));
    auto* dx = static_cast<float*>(be->allocate(x.size() * sizeof(float)));
    auto* dw = static_cast<float*>(be->allocate(w.size() * sizeof(float)));
    auto* dy = static_cast<float*>(be->allocate(y.size() * sizeof(float)));
    be->upload(dx, hx, x.size() * sizeof(float));
    be->upload(dw, hw, w.size() * sizeof(float));
    for (int call = 0; call < 3; ++call)  // eager, captured, replayed
      be->run("linear", [&] {
        be->linear_forward(s, dx, dw, nullptr, dy);
        be->download(hy, dy, y.size() * sizeof(float));
      });
    be->synchronize();
    CHECK(check_close("backend linear y", std::vector<float>(hy, hy + y.size()), y,
                      reduction_tol<float>(s.in + 1, rms(y))));
    be->release(dx);
    be->release(dw);
    be->release(dy);
    be->release_host(hx);
    be->release_host(hw);
    be->release_host(hy);
  }
}
