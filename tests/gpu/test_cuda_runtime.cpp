// The CUDA runtime around the ops, not per-op arithmetic: CUDA-graph capture and replay (a slice
// of the training step; device seeds and scalars rewritten between replays), ScratchScope arenas,
// the cuBLAS workspace registered per stream, set_tf32, the CUDA backend's stream-ordered zeroing
// of new allocations, and two CUDA backends used in turn on one thread.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "kernels/buffer.hpp"
#include "kernels/cublas_util.cuh"
#include "kernels/cuda_backend.hpp"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/adam.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/random.hpp"
#include "op_cases.hpp"  // bsd_bounds

namespace cpu = xrdid::nn::ops;
namespace gpu = xrdid::cuda;
using namespace xrdid::gputest;

// ---------------------------------------------------------------------------- CUDA graphs ----
namespace {

// A slice of a training step on the device: conv forward, BN stats + fused BN/swish/dropout, a
// linear layer (cuBLAS), CosFace, the AdaCos update and the conv backward. Scratch memory is
// stream-ordered (cudaMallocAsync), so the same calls must also work inside stream capture.
struct StepBuffers {
  cpu::Conv1dShape cs = cpu::Conv1dShape::same(4, 64, 64, 375, 16, 2, 1, 4);
  cpu::BatchNormShape bs{4, 64, 188};
  cpu::LinearShape ls{4, 64 * 188, 10};
  DeviceBuffer<float> x, w, b, y, mean, var, gamma, beta, act, lw, logits, p, loss, dy, dx, dw, db;
  DeviceBuffer<i64> labels;
  DeviceBuffer<double> scale;
  explicit StepBuffers(std::mt19937_64& rng) {
    const std::size_t nx = cs.N * cs.C_in * cs.L_in, nw = cs.C_out * (cs.C_in / cs.groups) * cs.K;
    const std::size_t ny = cs.N * cs.C_out * cs.L_out;
    x = to_dev(uniform<float>(nx, rng));
    w = to_dev(uniform<float>(nw, rng, -0.25, 0.25));
    b = to_dev(uniform<float>(cs.C_out, rng));
    y = poisoned<float>(ny);
    mean = poisoned<float>(bs.C);
    var = poisoned<float>(bs.C);
    gamma = to_dev(uniform<float>(bs.C, rng, 0.5, 1.5));
    beta = to_dev(uniform<float>(bs.C, rng));
    act = poisoned<float>(ny);
    lw = to_dev(uniform<float>(ls.out * ls.in, rng, -0.01, 0.01));
    logits = poisoned<float>(ls.N * ls.out);
    p = poisoned<float>(ls.N * ls.out);
    loss = poisoned<float>(1);
    dy = to_dev(uniform<float>(ny, rng));
    dx = to_dev(std::vector<float>(nx, 0.f));
    dw = to_dev(std::vector<float>(nw, 0.f));
    db = to_dev(std::vector<float>(cs.C_out, 0.f));
    labels = DeviceBuffer<i64>(std::vector<i64>{1, 7, 3, 3});
    scale = DeviceBuffer<double>(std::vector<double>{2.0});
  }
  void run(cudaStream_t st) {
    gpu::conv1d_forward<float>(cs, x.data(), w.data(), b.data(), y.data(), st);
    gpu::batchnorm_stats<float>(bs, y.data(), mean.data(), var.data(), st);
    gpu::batchnorm_swish_dropout_forward<float>(bs, y.data(), mean.data(), var.data(), gamma.data(), beta.data(),
                                                1e-5, 0.5, 99, nullptr, nullptr, act.data(), st);
    gpu::linear_forward<float>(ls, act.data(), lw.data(), nullptr, logits.data(), st);
    gpu::cosface_forward<float>(ls.N, ls.out, 30.0, 0.4, logits.data(), labels.data(), p.data(), loss.data(), st);
    gpu::adacos_update_scale<float>(ls.N, ls.out, logits.data(), labels.data(), scale.data(), scale.data(), st);
    gpu::conv1d_backward<float>(cs, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), st);
  }
  std::vector<float> outputs(const gpu::Stream& st) const {
    std::vector<float> all;
    for (const auto* buf : {&y, &act, &logits, &p, &loss, &dx, &dw, &db}) {
      auto h = host(*buf, st);
      all.insert(all.end(), h.begin(), h.end());
    }
    all.push_back(static_cast<float>(host(scale, st)[0]));
    return all;
  }
};

}  // namespace

TEST_CASE("a slice of the training step captures into a CUDA graph and replays like direct calls") {
  gpu::Stream st;
  std::mt19937_64 rng_a(0xdeadbeef + 14), rng_b(0xdeadbeef + 14);
  StepBuffers direct(rng_a), graphed(rng_b);  // identical inputs
  direct.run(st);
  const auto want = direct.outputs(st);

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  graphed.run(st);
  REQUIRE(cudaStreamEndCapture(st, &graph) == cudaSuccess);
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, st) == cudaSuccess);
  const auto got = graphed.outputs(st);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  // Same kernels and splits; cuBLAS may pick another algorithm under capture: loose tolerance.
  CHECK(check_close("graph replay vs direct", got, want, reduction_tol<float>(64.0 * 16.0, rms(want))));
}


namespace {

// --------------------------------------------------------------------------- ScratchScope ----
TEST_CASE("ScratchScope: kernels take their scratch from the arena, LIFO, and a too-small one throws") {
  std::mt19937_64 rng(0x5eed0006);
  gpu::Stream st;
  for (const cpu::BatchNormShape s : {cpu::BatchNormShape{4, 64, 3000}, cpu::BatchNormShape{1, 3, 37}}) {
    CAPTURE(s.C);
    const std::size_t n = s.N * s.C * s.L;
    auto x = uniform<float>(n, rng, 4.0, 6.0);
    std::vector<float> mean(s.C), vr(s.C);
    cpu::batchnorm_stats<float>(s, x.data(), mean.data(), vr.data());
    const auto dx0 = uniform<float>(n, rng), dg0 = uniform<float>(s.C, rng), db0 = uniform<float>(s.C, rng);
    auto d_x = to_dev(x), d_mean = to_dev(mean), d_var = to_dev(vr), d_dy = to_dev(uniform<float>(n, rng));
    auto d_g = to_dev(uniform<float>(s.C, rng, 0.5, 1.5)), d_b = to_dev(uniform<float>(s.C, rng));
    // One batchnorm_backward from the priors; returns dx, dgamma, dbeta concatenated.
    auto run = [&]() {
      auto d_dx = to_dev(dx0), d_dg = to_dev(dg0), d_db = to_dev(db0);
      gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(), d_dy.data(), 1e-5,
                                     true, d_dx.data(), d_dg.data(), d_db.data(), st);
      std::vector<float> v;
      for (auto* b : {&d_dx, &d_dg, &d_db}) {
        auto h = host(*b, st);
        v.insert(v.end(), h.begin(), h.end());
      }
      return v;
    };
    // Without a scope (cudaMallocAsync); the high-water mark is counted the same way.
    gpu::ScratchScope::reset_high_water();
    const auto want = run();
    const std::size_t hw_free = gpu::ScratchScope::high_water();
    CHECK(hw_free > 0);

    DeviceBuffer<unsigned char> region(std::size_t{16} << 20), region2(std::size_t{16} << 20);
    gpu::ScratchScope::reset_high_water();
    {
      gpu::ScratchScope scope(region.data(), region.size());
      // Same kernels, same splits, other addresses: bit for bit.
      CHECK(check_close("bn backward in a scope", run(), want, kExact));
    }
    const std::size_t hw = gpu::ScratchScope::high_water();
    CHECK(hw > 0);
    CHECK(hw <= region.size());
    CHECK(hw == hw_free);  // 256-aligned base: both modes count the rounded requests
    {
      gpu::ScratchScope scope(region.data(), hw);  // exactly the measured size suffices
      CHECK(check_close("bn backward in an exact-size scope", run(), want, kExact));
      // The fused backward needs one more C-sized slice than batchnorm_backward: its workspace
      // and first coefficient slice fit, the second throws, naming the request...
      auto d_dx = to_dev(dx0);
      bool threw = false;
      try {
        gpu::bn_swish_dropout_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(), d_b.data(),
                                              1e-5, true, false, 0.0, gpu::SeedArg{}, d_dy.data(), d_dx.data(),
                                              nullptr, nullptr, st);
      } catch (const gpu::CudaError& e) {
        threw = true;
        const std::string what = e.what();
        CHECK(what.find("bytes") != std::string::npos);
      }
      CHECK(threw);
      // ...and the slices taken before the throw were given back: the full size is free again.
      CHECK(check_close("bn backward after a failed request", run(), want, kExact));
    }
    {
      gpu::ScratchScope scope(region.data(), hw - 1);
      auto d_dx = to_dev(dx0);
      CHECK_THROWS_AS(gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(),
                                                     d_dy.data(), 1e-5, true, d_dx.data(), nullptr, nullptr, st),
                      gpu::CudaError);
    }
    {
      gpu::ScratchScope outer(region.data(), region.size());
      {
        gpu::ScratchScope inner(region2.data(), region2.size());
        CHECK(check_close("bn backward in a nested scope", run(), want, kExact));
      }
      CHECK(check_close("bn backward in the restored outer scope", run(), want, kExact));
    }
    {
      gpu::ScratchScope empty(nullptr, 0);  // installed, but every request throws
      auto d_dx = to_dev(dx0);
      CHECK_THROWS_AS(gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(),
                                                     d_dy.data(), 1e-5, true, d_dx.data(), nullptr, nullptr, st),
                      gpu::CudaError);
    }
    CHECK(check_close("bn backward after the scopes (cudaMallocAsync)", run(), want, kExact));
  }
}

// ------------------------------------------------------------------------------------ TF32 ----
// Restores FP32 math at the end of the test whatever happens (the switch is process-wide).
struct Tf32Guard {
  ~Tf32Guard() { gpu::set_tf32(false); }
};

TEST_CASE("set_tf32 switches the math mode of the cuBLAS handle in use") {
  std::mt19937_64 rng(0x5eed0007);
  gpu::Stream st;
  Tf32Guard guard;
  const cpu::MatmulShape s{256, 1024, 300, false};
  const auto a = uniform<float>(s.M * s.K, rng), b = uniform<float>(s.K * s.N, rng);
  std::vector<float> c(s.M * s.N);
  cpu::matmul_forward<float>(s, a.data(), b.data(), c.data());
  auto d_a = to_dev(a), d_b = to_dev(b);
  cublasMath_t mode{};

  CHECK_FALSE(gpu::tf32_enabled());
  REQUIRE(cublasGetMathMode(gpu::cublas_handle(st), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);

  gpu::set_tf32(true);
  CHECK(gpu::tf32_enabled());
  REQUIRE(cublasGetMathMode(gpu::cublas_handle(st), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_TF32_TENSOR_OP_MATH);
  auto d_c = poisoned<float>(c.size());
  gpu::matmul_forward<float>(s, d_a.data(), d_b.data(), d_c.data(), st);
  // TF32 keeps 10 mantissa bits: each of the K products carries an input-rounding error of up to
  // 2^-10 relative (truncation may bias it), so the sum is off by ~2^-10 times the size of the
  // result (rms); 8x margin. Double precision is untouched by the switch (checked elsewhere).
  const double u_tf32 = std::ldexp(1.0, -10);
  CHECK(check_close("matmul TF32", host(d_c, st), c, Tol{8.0 * u_tf32 * rms(c), 8.0 * u_tf32}));

  gpu::set_tf32(false);  // back to FP32 on the same (existing) handle
  CHECK_FALSE(gpu::tf32_enabled());
  REQUIRE(cublasGetMathMode(gpu::cublas_handle(st), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);
  gpu::matmul_forward<float>(s, d_a.data(), d_b.data(), d_c.data(), st);
  CHECK(check_close("matmul FP32", host(d_c, st), c, reduction_tol<float>(s.K, rms(c))));
}

// ------------------------------------------------------------------------- graph replay ----
// A captured slice of a planned step: fused BN/swish/dropout forward and backward and a dropout
// with device-derived seeds, Adam with device scalars, axpy with a device scale; captured inside
// a ScratchScope (no allocation nodes), replayed twice with new host-written values, each replay
// compared with the CPU ops at that replay's seeds and scalars.
TEST_CASE("a graph with device seeds and scalars replays with new values like the CPU ops") {
  std::mt19937_64 rng(0x5eed0008);
  gpu::Stream st;
  const cpu::BatchNormShape s{2, 16, 375};
  const std::size_t n = s.N * s.C * s.L, C = s.C;
  const double eps = 1e-5, p1 = 0.3, p2 = 0.2, b1 = 0.9, b2 = 0.999, aeps = 1e-8, wd = 0.01;
  const std::uint64_t site1 = 1, site2 = 2;
  auto x = uniform<float>(n, rng, 4.0, 6.0), gamma = uniform<float>(C, rng, 0.5, 1.5), beta = uniform<float>(C, rng);
  auto dy = uniform<float>(n, rng);
  std::vector<float> mean(C), vr(C);
  cpu::batchnorm_stats<float>(s, x.data(), mean.data(), vr.data());
  const auto dx0 = uniform<float>(n, rng), acc0 = uniform<float>(n, rng);
  const std::vector<float> zc(C, 0.f);
  auto d_x = to_dev(x), d_mean = to_dev(mean), d_var = to_dev(vr), d_gamma = to_dev(gamma), d_beta = to_dev(beta);
  auto d_dy = to_dev(dy), d_y = poisoned<float>(n), d_y2 = poisoned<float>(n), d_dx = to_dev(dx0);
  auto d_dg = to_dev(zc), d_db = to_dev(zc), d_p = to_dev(gamma), d_m = to_dev(zc), d_v = to_dev(zc);
  auto d_acc = to_dev(acc0);
  DeviceBuffer<std::uint64_t> d_base(1);
  DeviceBuffer<gpu::AdamHyper> d_h(1);
  DeviceBuffer<double> d_scale(1);
  DeviceBuffer<unsigned char> region(std::size_t{8} << 20);

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  {
    gpu::ScratchScope scope(region.data(), region.size());
    REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
    gpu::bn_swish_dropout_forward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(),
                                         eps, true, p1, gpu::SeedArg{d_base.data(), site1}, d_y.data(), st);
    gpu::dropout_forward<float>(static_cast<i64>(n), p2, gpu::SeedArg{d_base.data(), site2}, d_y.data(), d_y2.data(),
                                st);
    gpu::bn_swish_dropout_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(),
                                          eps, true, true, p1, gpu::SeedArg{d_base.data(), site1}, d_dy.data(),
                                          d_dx.data(), d_dg.data(), d_db.data(), st);
    gpu::adam_update<float>(d_p.data(), d_dg.data(), d_m.data(), d_v.data(), static_cast<i64>(C), d_h.data(), b1, b2,
                            aeps, wd, true, st);
    gpu::axpy_device_scale<float>(static_cast<i64>(n), d_scale.data(), d_y2.data(), d_acc.data(), st);
    REQUIRE(cudaStreamEndCapture(st, &graph) == cudaSuccess);
  }
  std::size_t count = 0;
  REQUIRE(cudaGraphGetNodes(graph, nullptr, &count) == cudaSuccess);
  std::vector<cudaGraphNode_t> nodes(count);
  REQUIRE(cudaGraphGetNodes(graph, nodes.data(), &count) == cudaSuccess);
  std::size_t alloc_nodes = 0;
  for (auto node : nodes) {
    cudaGraphNodeType type{};
    REQUIRE(cudaGraphNodeGetType(node, &type) == cudaSuccess);
    if (type == cudaGraphNodeTypeMemAlloc || type == cudaGraphNodeTypeMemFree) ++alloc_nodes;
  }
  CHECK(alloc_nodes == 0);  // the scratch came from the arena
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);

  struct Replay {
    std::uint64_t base;
    double lr, scale;
  };
  for (const Replay r : {Replay{12345, 1e-3, 0.75}, Replay{0xabcdef0123456789ull, 3e-3, -1.5}}) {
    CAPTURE(r.base);
    const double bc1 = 1.0 - b1, bc2 = 1.0 - b2;  // step 1 each time (state reset below)
    st.synchronize();
    d_base.copy_from_host(std::vector<std::uint64_t>{r.base});
    d_h.copy_from_host(std::vector<gpu::AdamHyper>{gpu::AdamHyper{r.lr, bc1, bc2}});
    d_scale.copy_from_host(std::vector<double>{r.scale});
    d_dx.copy_from_host(dx0);
    d_dg.copy_from_host(zc);
    d_db.copy_from_host(zc);
    d_p.copy_from_host(gamma);
    d_m.copy_from_host(zc);
    d_v.copy_from_host(zc);
    d_acc.copy_from_host(acc0);
    REQUIRE(cudaGraphLaunch(exec, st) == cudaSuccess);

    const std::uint64_t seed1 = cpu::step_seed(r.base, site1), seed2 = cpu::step_seed(r.base, site2);
    std::vector<float> y(n), y2(n), dx = dx0, dg = zc, db = zc, p = gamma, m = zc, v = zc, acc = acc0;
    cpu::bn_swish_dropout_forward<float>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, true,
                                         p1, seed1, y.data());
    cpu::dropout_forward<float>(static_cast<i64>(n), p2, seed2, y.data(), y2.data());
    cpu::bn_swish_dropout_backward<float>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, true,
                                          true, p1, seed1, dy.data(), dx.data(), dg.data(), db.data());
    cpu::adam_update<float>(p.data(), dg.data(), m.data(), v.data(), static_cast<i64>(C), r.lr, b1, b2, aeps, wd,
                            true, bc1, bc2);
    cpu::axpy<float>(static_cast<i64>(n), static_cast<float>(r.scale), y2.data(), acc.data());

    const auto bnd = xrdid::optest::bsd_bounds<float>(s, x, mean, vr, gamma, beta, eps, true, true, p1, seed1, dy, y, dx, dg, db);
    CHECK(check_within("graph y", host(d_y, st), y, bnd.y));
    // y2 = y * mask2 / (1 - p2): y's bound times the scale, plus one rounding.
    std::vector<double> t2(n), ta(n);
    for (std::size_t i = 0; i < n; ++i) {
      t2[i] = bnd.y[i] / (1.0 - p2) + eps_of<float>() * std::fabs(y2[i]);
      ta[i] = std::fabs(r.scale) * t2[i] + 2.0 * eps_of<float>() * (std::fabs(acc[i]) + std::fabs(r.scale * y2[i]));
    }
    CHECK(check_within("graph y2", host(d_y2, st), y2, t2));
    CHECK(check_within("graph dx", host(d_dx, st), dx, bnd.dx));
    CHECK(check_within("graph dgamma", host(d_dg, st), dg, bnd.dgamma));
    CHECK(check_within("graph dbeta", host(d_db, st), db, bnd.dbeta));
    CHECK(check_within("graph acc", host(d_acc, st), acc, ta));
    // One Adam step moves each p by about lr*sign(g) (Adam's first step is insensitive to small
    // gradient differences); elementwise relative to |p|, as the Adam test.
    CHECK(check_close("graph adam p", host(d_p, st), p, elementwise_tol<float>(rms(p))));
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

}  // namespace

TEST_CASE("CUDA backend: allocate() zeroes in stream order, before an upload that follows it") {
  auto be = gpu::make_cuda_backend<float>();
  // A large allocation makes the zeroing take milliseconds; the small upload goes to its END,
  // which a memset on another stream would write last (after the upload).
#ifdef XRDID_CUDA_EMU
  constexpr std::size_t kBig = std::size_t{64} << 20, kTail = 1 << 16;  // host memory: enough to order
#else
  constexpr std::size_t kBig = std::size_t{4} << 30, kTail = 1 << 16;
#endif
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
