// GPU benchmarks (Google Benchmark; needs a CUDA device, exits 77 without one):
//   * ceilings measured on the card itself: cuBLAS SGEMM (FP32 and TF32) and device-to-device
//     copy bandwidth, so every kernel's rate can be read as a fraction of what the card does;
//   * the hot kernels on the seed network's shapes (batch 16), with achieved FLOP/s or bytes/s;
//   * the whole Net1D seed training step (cosine head of 8,172 classes, CosFace, Adam) through the
//     planned executor and its CUDA graph, at batch 16, 64, 256, FP32 and TF32, plus one eager
//     (no graph) case; inference at batch 1, 16, 256. items_per_second = samples/s, the unit of
//     bench/torch_peer_cuda.py, which scripts/gpu_report.py puts beside these.
//
//   build/bench/bench_cuda [--benchmark_filter=Step|Infer|Ceiling|Kernel]
// Kernel timings are CUDA-event times of the launches alone (UseManualTime); step and inference
// timings are wall times of whole synchronised steps (what a user waits for).
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "kernels/buffer.hpp"
#include "kernels/cublas_util.cuh"
#include "kernels/cuda_backend.hpp"
#include "kernels/device.hpp"
#include "kernels/ops_cuda.hpp"
#include "nn/exec/net1d_executor.hpp"

using namespace xrdid;
using xrdid::cuda::DeviceBuffer;

namespace {

constexpr int kClasses = 8172;

DeviceBuffer<float> random_device(std::size_t n, std::uint64_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> h(n);
  for (auto& v : h) v = u(rng);
  return DeviceBuffer<float>(h);
}

// Times `launch` (enqueued on `s`) with CUDA events; one warm-up call first.
void time_events(benchmark::State& state, cudaStream_t s, const std::function<void()>& launch) {
  cudaEvent_t a, b;
  XRDID_CUDA_CHECK(cudaEventCreate(&a));
  XRDID_CUDA_CHECK(cudaEventCreate(&b));
  launch();
  XRDID_CUDA_CHECK(cudaStreamSynchronize(s));
  for (auto _ : state) {
    XRDID_CUDA_CHECK(cudaEventRecord(a, s));
    launch();
    XRDID_CUDA_CHECK(cudaEventRecord(b, s));
    XRDID_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    XRDID_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    state.SetIterationTime(ms * 1e-3);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
}

void rate(benchmark::State& state, const char* name, double per_iteration) {
  state.counters[name] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- ceilings ---------------------------------------------------------------------------------
void BM_Ceiling_Sgemm(benchmark::State& state) {
  const bool tf32 = state.range(0) != 0;
  const int n = 8192;
  auto A = random_device(std::size_t{1} * n * n, 1), B = random_device(std::size_t{1} * n * n, 2);
  DeviceBuffer<float> C(std::size_t{1} * n * n);
  cuda::Stream st;
  cuda::set_tf32(tf32);
  cublasHandle_t h = cuda::cublas_handle(st.get());
  time_events(state, st.get(), [&] {
    cuda::gemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, C.data(), n);
  });
  cuda::set_tf32(false);
  rate(state, "FLOP/s", 2.0 * n * n * static_cast<double>(n));
  state.SetLabel(tf32 ? "cuBLAS SGEMM 8192^3 TF32" : "cuBLAS SGEMM 8192^3 FP32");
}
BENCHMARK(BM_Ceiling_Sgemm)->Arg(0)->Arg(1)->UseManualTime()->Iterations(10)->Unit(benchmark::kMillisecond);

void BM_Ceiling_Copy(benchmark::State& state) {
  const std::size_t bytes = std::size_t{2} << 30;
  DeviceBuffer<char> a(bytes), b(bytes);
  a.fill_bytes(1);
  cuda::Stream st;
  time_events(state, st.get(),
              [&] { XRDID_CUDA_CHECK(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, st.get())); });
  rate(state, "bytes/s", 2.0 * static_cast<double>(bytes));  // read + write
  state.SetLabel("device-to-device copy, read+write");
}
BENCHMARK(BM_Ceiling_Copy)->UseManualTime()->Iterations(20)->Unit(benchmark::kMillisecond);

// ---- kernels on seed shapes ---------------------------------------------------------------------
// Args: C_in, C_out, L_in, K, stride, groups; batch 16; forward (0) or backward data+weight (1).
void BM_Kernel_Conv1d(benchmark::State& state) {
  const auto s = nn::ops::Conv1dShape::same(16, state.range(0), state.range(1), state.range(2), state.range(3),
                                            state.range(4), 1, state.range(5));
  const bool backward = state.range(6) != 0;
  auto x = random_device(static_cast<std::size_t>(s.N * s.C_in * s.L_in), 3);
  auto w = random_device(static_cast<std::size_t>(s.C_out * (s.C_in / s.groups) * s.K), 4, -0.1f, 0.1f);
  auto b = random_device(static_cast<std::size_t>(s.C_out), 5);
  auto dy = random_device(static_cast<std::size_t>(s.N * s.C_out * s.L_out), 6);
  DeviceBuffer<float> y(static_cast<std::size_t>(s.N * s.C_out * s.L_out)), dx(static_cast<std::size_t>(s.N * s.C_in * s.L_in)),
      dw(w.size()), db(b.size());
  cuda::Stream st;
  time_events(state, st.get(), [&] {
    if (backward)
      cuda::conv1d_backward<float>(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), st.get());
    else
      cuda::conv1d_forward<float>(s, x.data(), w.data(), b.data(), y.data(), st.get());
  });
  rate(state, "FLOP/s", backward ? 2.0 * s.flops() : s.flops());
}
BENCHMARK(BM_Kernel_Conv1d)
    ->ArgNames({"Cin", "Cout", "L", "K", "s", "G", "bwd"})
    ->Args({1, 64, 6000, 16, 2, 1, 0})->Args({1, 64, 6000, 16, 2, 1, 1})          // stem
    ->Args({64, 64, 3000, 16, 1, 4, 0})->Args({64, 64, 3000, 16, 1, 4, 1})        // S0 grouped k16
    ->Args({160, 160, 1500, 16, 2, 10, 0})->Args({160, 160, 1500, 16, 2, 10, 1})  // S1B0 grouped, stride 2
    ->Args({1024, 1024, 47, 16, 1, 64, 0})->Args({1024, 1024, 47, 16, 1, 64, 1})  // S6 grouped
    ->Args({64, 64, 3000, 1, 1, 1, 0})->Args({64, 64, 3000, 1, 1, 1, 1})          // S0 1x1 (cuBLAS)
    ->Args({1024, 1024, 24, 1, 1, 1, 0})->Args({1024, 1024, 24, 1, 1, 1, 1})      // S6 1x1
    ->UseManualTime()->Unit(benchmark::kMicrosecond);

// Fused BN + swish + dropout, forward (0) or backward (1); memory-bound: bytes moved counted as
// the minimum (x read, y written; backward: x, dy read, dx written).
void BM_Kernel_BnSwishDropout(benchmark::State& state) {
  const nn::ops::BatchNormShape s{16, state.range(0), state.range(1)};
  const bool backward = state.range(2) != 0;
  const std::size_t n = static_cast<std::size_t>(s.N * s.C * s.L);
  auto x = random_device(n, 7), dy = random_device(n, 8);
  auto gamma = random_device(static_cast<std::size_t>(s.C), 9), beta = random_device(static_cast<std::size_t>(s.C), 10);
  DeviceBuffer<float> mean(static_cast<std::size_t>(s.C)), var(static_cast<std::size_t>(s.C)), y(n), dx(n),
      dg(static_cast<std::size_t>(s.C)), dbt(static_cast<std::size_t>(s.C));
  cuda::Stream st;
  cuda::batchnorm_stats<float>(s, x.data(), mean.data(), var.data(), st.get());
  const cuda::SeedArg seed{nullptr, 77};
  time_events(state, st.get(), [&] {
    if (backward)
      cuda::bn_swish_dropout_backward<float>(s, x.data(), mean.data(), var.data(), gamma.data(), beta.data(), 1e-5,
                                             true, true, 0.5, seed, dy.data(), dx.data(), dg.data(), dbt.data(),
                                             st.get());
    else
      cuda::bn_swish_dropout_forward<float>(s, x.data(), mean.data(), var.data(), gamma.data(), beta.data(), 1e-5,
                                            true, 0.5, seed, y.data(), st.get());
  });
  rate(state, "bytes/s", (backward ? 3.0 : 2.0) * static_cast<double>(n) * sizeof(float));
}
BENCHMARK(BM_Kernel_BnSwishDropout)
    ->ArgNames({"C", "L", "bwd"})
    ->Args({64, 3000, 0})->Args({64, 3000, 1})->Args({1024, 47, 0})->Args({1024, 47, 1})
    ->UseManualTime()->Unit(benchmark::kMicrosecond);

// Adam over the seed model's parameters plus the 8,172-class head (~39 M floats): p, g, m, v
// read, p, m, v written.
void BM_Kernel_Adam(benchmark::State& state) {
  const std::size_t n = 30654000 + std::size_t{kClasses} * 1024;
  auto p = random_device(n, 11), g = random_device(n, 12);
  DeviceBuffer<float> m(n), v(n);
  m.fill_bytes(0);
  v.fill_bytes(0);
  DeviceBuffer<nn::ops::AdamHyper> h(std::vector<nn::ops::AdamHyper>{{1e-3, 0.1, 0.001}});
  cuda::Stream st;
  time_events(state, st.get(), [&] {
    cuda::adam_update<float>(p.data(), g.data(), m.data(), v.data(), static_cast<std::int64_t>(n), h.data(), 0.9,
                             0.999, 1e-8, 0.0, false, st.get());
  });
  rate(state, "bytes/s", 7.0 * static_cast<double>(n) * sizeof(float));
}
BENCHMARK(BM_Kernel_Adam)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_Kernel_CosFace(benchmark::State& state) {
  const std::int64_t N = state.range(0), C = kClasses;
  auto c = random_device(static_cast<std::size_t>(N * C), 13);
  std::vector<std::int64_t> hl(static_cast<std::size_t>(N));
  for (std::int64_t i = 0; i < N; ++i) hl[static_cast<std::size_t>(i)] = (i * 7919) % C;
  DeviceBuffer<std::int64_t> labels(hl);
  DeviceBuffer<float> p(static_cast<std::size_t>(N * C)), loss(1), dc(static_cast<std::size_t>(N * C));
  cuda::Stream st;
  time_events(state, st.get(), [&] {
    cuda::cosface_forward<float>(N, C, 30.0, 0.4, c.data(), labels.data(), p.data(), loss.data(), st.get());
    cuda::cosface_backward<float>(N, C, 30.0, p.data(), labels.data(), 1.f, dc.data(), st.get());
  });
  rate(state, "bytes/s", 4.0 * static_cast<double>(N * C) * sizeof(float));
}
BENCHMARK(BM_Kernel_CosFace)->Arg(16)->Arg(256)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ---- the whole step -----------------------------------------------------------------------------
struct SeedSetup {
  nn::Net1DConfig cfg = nn::net1d_config("seed");
  nn::Rng rng{1};
  nn::Net1D net{cfg, rng};
  nn::CosineHead head{kClasses, cfg.embedding_dim(), rng};
};

// One batch of step inputs: n rows of uniform values in [-1, 1] (seed 3) and spread labels.
struct StepBatch {
  std::vector<float> x;
  std::vector<std::int64_t> y;
  StepBatch(int n, int length) : x(static_cast<std::size_t>(n) * length), y(static_cast<std::size_t>(n)) {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (auto& v : x) v = u(rng);
    for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = (i * 7919) % kClasses;
  }
};

// Args: batch, tf32, graphs.
void BM_Step_Train(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  SeedSetup m;
  cuda::CudaBackendOptions o;
  o.tf32 = state.range(1) != 0;
  o.graphs = state.range(2) != 0;
  auto be = cuda::make_cuda_backend<float>(o);
  nn::exec::Net1DExecutor<float> ex(*be, m.net, m.head, nn::exec::ExecutorOptions{});
  const StepBatch batch(n, m.cfg.input_length);
  const std::vector<float>& x = batch.x;
  const std::vector<std::int64_t>& y = batch.y;
  for (int w = 0; w < 3; ++w) ex.train_step(x.data(), y.data(), n, 100 + w, 1e-4);  // eager, capture, replay
  std::uint64_t step = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ex.train_step(x.data(), y.data(), n, ++step, 1e-4).loss);
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["plan_GB"] = static_cast<double>(ex.plan_bytes() + ex.state_bytes()) / 1e9;
  state.SetLabel(std::string("train b") + std::to_string(n) + (o.tf32 ? " tf32" : " fp32") +
                 (o.graphs ? " graph" : " eager"));
}
BENCHMARK(BM_Step_Train)
    ->ArgNames({"batch", "tf32", "graph"})
    ->Args({16, 0, 1})->Args({64, 0, 1})->Args({256, 0, 1})->Args({16, 1, 1})->Args({256, 1, 1})->Args({16, 0, 0})
    ->UseRealTime()->MinTime(2.0)->Unit(benchmark::kMillisecond);

void BM_Step_Infer(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  SeedSetup m;
  auto be = cuda::make_cuda_backend<float>();
  nn::exec::Net1DExecutor<float> ex(*be, m.net, m.head, nn::exec::ExecutorOptions{});
  std::vector<float> x(static_cast<std::size_t>(n) * m.cfg.input_length, 0.5f);
  std::vector<float> cos(static_cast<std::size_t>(n) * kClasses);
  for (int w = 0; w < 3; ++w) ex.infer(x.data(), n, nullptr, cos.data());
  for (auto _ : state) {
    ex.infer(x.data(), n, nullptr, cos.data());
    benchmark::DoNotOptimize(cos.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel("infer b" + std::to_string(n) + " fp32 graph");
}
BENCHMARK(BM_Step_Infer)->Arg(1)->Arg(16)->Arg(256)->UseRealTime()->MinTime(1.0)->Unit(benchmark::kMillisecond);

// Where a step's time goes: the same steps run eagerly with an event between every two ops
// (CudaBackendOptions::profile); the table goes to stdout. Args: 0 train / 1 inference, batch, tf32.
void BM_Step_Profile(benchmark::State& state) {
  const bool infer = state.range(0) != 0;
  const int n = static_cast<int>(state.range(1));
  SeedSetup m;
  cuda::CudaBackendOptions o;
  o.tf32 = state.range(2) != 0;
  o.profile = true;
  auto be = cuda::make_cuda_backend<float>(o);
  nn::exec::ExecutorOptions eo;
  eo.inference_only = infer;
  nn::exec::Net1DExecutor<float> ex(*be, m.net, m.head, eo);
  const StepBatch batch(n, m.cfg.input_length);
  const std::vector<float>& x = batch.x;
  const std::vector<std::int64_t>& y = batch.y;
  std::vector<float> cos(static_cast<std::size_t>(n) * kClasses);
  std::uint64_t step = 0;
  auto one = [&] {
    if (infer)
      ex.infer(x.data(), n, nullptr, cos.data());
    else
      benchmark::DoNotOptimize(ex.train_step(x.data(), y.data(), n, ++step, 1e-4).loss);
  };
  one();  // warm-up, not counted
  for (auto _ : state) one();
  state.SetItemsProcessed(state.iterations() * n);
  const std::string what = std::string(infer ? "infer" : "train") + " b" + std::to_string(n) + (o.tf32 ? " tf32" : " fp32");
  state.SetLabel(what + " profiled");
  std::printf("\n== %s\n%s\n", what.c_str(), cuda::profile_report(*be).c_str());
}
BENCHMARK(BM_Step_Profile)
    ->ArgNames({"infer", "batch", "tf32"})
    ->Args({0, 16, 0})->Args({0, 256, 0})->Args({0, 256, 1})->Args({1, 1, 0})
    ->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (cuda::device_count() == 0) {
    std::puts("bench_cuda: no CUDA device");
    return 77;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
