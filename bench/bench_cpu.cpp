// CPU benchmarks (Google Benchmark): Net1D "seed" inference (tape and planned executor) and
// training steps, the hot convolutions and their SGEMM, the model-embedding search step, a
// measured FP32 FMA peak (one core, and all OpenMP threads) to express FLOP/s as a fraction of
// it, and the memory read bandwidth.
//
//   build/bench/bench_cpu                                   # everything (minutes on 2 cores)
//   build/bench/bench_cpu --benchmark_filter='Conv|Peak'    # ops only
//   OMP_NUM_THREADS=1 build/bench/bench_cpu ...             # one core
//   XRDID_CPU=avx2 build/bench/bench_cpu ...                # CPU path (avx512|avx2|portable)
//
// FLOP counts are 2 * multiply-adds of the convolutions (docs/method.md §7.6: ~2.69 GFLOP per
// sample forward for the seed model); counters named FLOP/s are rates over the timed region.
#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nn/cpu_path.hpp"
#include "nn/exec/cpu_backend.hpp"
#include "nn/exec/net1d_executor.hpp"
#include "nn/functional.hpp"
#include "nn/net1d.hpp"
#include "nn/optim.hpp"
#include "nn/ops/sgemm.hpp"

using namespace xrdid::nn;

namespace {

// The CPU path of the kernels (nn/cpu_path.hpp) in the context header.
const bool kSgemmContext = [] {
  benchmark::AddCustomContext("cpu_path", cpu_path_name(cpu_path()));
  return true;
}();

constexpr int kClasses = 8172;  // number of COD CIFs of XRDidentifier (upper bound of C)

// Forward FLOPs of one sample of a Net1D config (convolutions, SE and head matmul excluded).
double net1d_forward_flops(const Net1DConfig& c) {
  double flops = 0;
  std::int64_t L = (c.input_length + 1) / 2;
  flops += 2.0 * c.in_channels * c.base_filters * c.kernel_size * static_cast<double>(L);
  int cin = c.base_filters;
  for (std::size_t s = 0; s < c.filter_list.size(); ++s) {
    const int cout = c.filter_list[s];
    for (int b = 0; b < c.m_blocks_list[s]; ++b) {
      const int in = b == 0 ? cin : cout;
      const int stride = b == 0 ? c.stride : 1;
      const std::int64_t lo = (L + stride - 1) / stride;
      flops += 2.0 * in * cout * static_cast<double>(L);                           // 1x1 at length L
      flops += 2.0 * cout * c.groups_width * c.kernel_size * static_cast<double>(lo);  // grouped k
      flops += 2.0 * cout * cout * static_cast<double>(lo);                       // 1x1 at length lo
      L = lo;
    }
    cin = cout;
  }
  return flops;
}

struct SeedModel {
  Net1DConfig cfg = net1d_config("seed");
  Rng rng{1};
  Net1D net{cfg, rng};
  CosineHead head{kClasses, cfg.embedding_dim(), rng};
};

Tensor random_input(int batch, const Net1DConfig& cfg, std::uint64_t seed) {
  Rng rng(seed);
  Tensor x = Tensor::empty({batch, cfg.in_channels, cfg.input_length});
  init_uniform(x, 1.0, rng);
  return x;
}

// Eval-mode forward of backbone + cosine head without a graph (what `xrdid model --bench infer` times).
void BM_Net1D_Infer(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  SeedModel m;
  Tensor x = random_input(batch, m.cfg, 2);
  for (auto _ : state) {
    NoGradGuard ng;
    ForwardCtx ctx{false, 0, 0};
    Var cos = m.head.forward(m.net.forward(Var(x), ctx));
    benchmark::DoNotOptimize(cos.value().raw());
  }
  const double flops = net1d_forward_flops(m.cfg) * batch;
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["samples/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Net1D_Infer)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// The same through the inference-only planned executor on the CPU backend (what identification
// with a model and the C API run): memory planned once, the grouped convolutions' weight layouts
// kept between calls. With cosines (InferPlan) or the embedding alone (EmbedPlan: the executor
// skips the head, as the model search of identification runs it for a query and the library).
void net1d_plan(benchmark::State& state, bool cosines) {
  const int batch = static_cast<int>(state.range(0));
  SeedModel m;
  auto backend = exec::make_cpu_backend<float>();
  exec::ExecutorOptions eo;
  eo.inference_only = true;
  exec::Net1DExecutor<float> ex(*backend, m.net, m.head, eo);
  Tensor x = random_input(batch, m.cfg, 2);
  std::vector<float> emb(static_cast<std::size_t>(batch) * static_cast<std::size_t>(m.cfg.embedding_dim()));
  std::vector<float> cos(static_cast<std::size_t>(batch) * kClasses);
  for (auto _ : state) {
    ex.infer(x.data<float>(), batch, emb.data(), cosines ? cos.data() : nullptr);
    benchmark::DoNotOptimize(emb.data());
    benchmark::DoNotOptimize(cos.data());
  }
  const double flops = net1d_forward_flops(m.cfg) * batch;
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["samples/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_Net1D_InferPlan(benchmark::State& state) { net1d_plan(state, true); }
void BM_Net1D_EmbedPlan(benchmark::State& state) { net1d_plan(state, false); }
BENCHMARK(BM_Net1D_InferPlan)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_Net1D_EmbedPlan)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// One training step: zero_grad, train-mode forward (dropout on), CosFace, backward, Adam.
void BM_Net1D_TrainStep(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  SeedModel m;
  Tensor x = random_input(batch, m.cfg, 3);
  std::vector<std::int64_t> labels;
  for (int i = 0; i < batch; ++i) labels.push_back((i * 7919) % kClasses);
  auto params = m.net.named_parameters();
  for (auto& p : m.head.named_parameters("head.")) params.push_back(p);
  Adam adam(params, 1e-3);
  std::uint64_t step = 0;
  for (auto _ : state) {
    ForwardCtx ctx{true, ++step, 0};
    adam.zero_grad();
    Var loss = F::cosface_loss(m.head.forward(m.net.forward(Var(x), ctx)), labels, 30.0, 0.4);
    loss.backward();
    adam.step();
    benchmark::DoNotOptimize(loss.value().raw());
  }
  const double flops = 3.0 * net1d_forward_flops(m.cfg) * batch;  // forward + 2x backward
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["samples/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Net1D_TrainStep)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5.0);

// Eval-mode backbone alone (the embedding of one query, as identify --method model computes it)
// for the compact config, whose batch-1 time is far below the seed model's.
void BM_Net1D_EmbedCompact(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const Net1DConfig cfg = net1d_config("compact");
  Rng rng(1);
  Net1D net(cfg, rng);
  Tensor x = random_input(batch, cfg, 2);
  for (auto _ : state) {
    NoGradGuard ng;
    ForwardCtx ctx{false, 0, 0};
    Var e = net.forward(Var(x), ctx);
    benchmark::DoNotOptimize(e.value().raw());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(net1d_forward_flops(cfg) * batch, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Net1D_EmbedCompact)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

// The search step of `xrdid identify --method model` alone, without the embedding of the query
// (identify/identify.cpp): the cosine of one unit-norm query embedding against 2,761 unit-norm
// library embeddings of the seed model's dimension (1024), dot products accumulated in double as
// there, then the best 10 by partial sort. One thread (the identify loop is serial).
void BM_EmbeddingSearch(benchmark::State& state) {
  const int dim = net1d_config("seed").embedding_dim();
  constexpr int kEntries = 2761, kTop = 10;
  Rng rng(6);
  Tensor lib = Tensor::empty({kEntries, dim}), q = Tensor::empty({dim});
  init_uniform(lib, 1.0, rng);
  init_uniform(q, 1.0, rng);
  auto unit = [dim](float* v) {
    double n = 0;
    for (int i = 0; i < dim; ++i) n += static_cast<double>(v[i]) * v[i];
    for (int i = 0; i < dim; ++i) v[i] = static_cast<float>(v[i] / std::sqrt(n));
  };
  for (int r = 0; r < kEntries; ++r) unit(lib.data<float>() + static_cast<std::size_t>(r) * dim);
  unit(q.data<float>());
  const float* e = q.data<float>();
  std::vector<std::pair<double, int>> scores(kEntries);
  for (auto _ : state) {
    for (int k = 0; k < kEntries; ++k) {
      const float* r = lib.data<float>() + static_cast<std::size_t>(k) * dim;
      double dot = 0;
      for (int i = 0; i < dim; ++i) dot += static_cast<double>(r[i]) * e[i];
      scores[static_cast<std::size_t>(k)] = {dot, k};
    }
    std::partial_sort(scores.begin(), scores.begin() + kTop, scores.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    benchmark::DoNotOptimize(scores.data());
  }
  state.counters["queries/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EmbeddingSearch)->Unit(benchmark::kMillisecond)->UseRealTime();

// Convolution shapes of the seed model at batch 16: args = C_in, C_out, L_in, K, stride, groups.
struct ConvArgs {
  int cin, cout, len, k, stride, groups;
};
ConvArgs conv_args(const benchmark::State& s) {
  return {static_cast<int>(s.range(0)), static_cast<int>(s.range(1)), static_cast<int>(s.range(2)),
          static_cast<int>(s.range(3)), static_cast<int>(s.range(4)), static_cast<int>(s.range(5))};
}
constexpr int kConvBatch = 16;

double conv_flops(const ConvArgs& a) {
  const std::int64_t lo = (a.len + a.stride - 1) / a.stride;
  return 2.0 * kConvBatch * a.cout * (a.cin / a.groups) * a.k * static_cast<double>(lo);
}

void BM_Conv1d_Fwd(benchmark::State& state) {
  const ConvArgs a = conv_args(state);
  Rng rng(4);
  Tensor x = Tensor::empty({kConvBatch, a.cin, a.len}), w = Tensor::empty({a.cout, a.cin / a.groups, a.k}),
         b = Tensor::empty({a.cout});
  init_uniform(x, 1.0, rng);
  init_uniform(w, 0.1, rng);
  init_uniform(b, 0.1, rng);
  F::Conv1dOpts o;
  o.stride = a.stride;
  o.groups = a.groups;
  Var xv(x), wv(w), bv(b);
  for (auto _ : state) {
    NoGradGuard ng;
    Var out = F::conv1d(xv, wv, bv, o);
    benchmark::DoNotOptimize(out.value().raw());
  }
  state.counters["FLOP/s"] = benchmark::Counter(conv_flops(a), benchmark::Counter::kIsIterationInvariantRate);
}

// Backward only (grad input + grad weight + grad bias); the graph is built once and swept
// repeatedly with retain_graph (leaf gradients accumulate, which costs the same).
void BM_Conv1d_Bwd(benchmark::State& state) {
  const ConvArgs a = conv_args(state);
  Rng rng(5);
  Tensor x = Tensor::empty({kConvBatch, a.cin, a.len}), w = Tensor::empty({a.cout, a.cin / a.groups, a.k}),
         b = Tensor::empty({a.cout});
  init_uniform(x, 1.0, rng);
  init_uniform(w, 0.1, rng);
  init_uniform(b, 0.1, rng);
  F::Conv1dOpts o;
  o.stride = a.stride;
  o.groups = a.groups;
  Var xv(x, true), wv(w, true), bv(b, true);
  Var out = F::conv1d(xv, wv, bv, o);
  Tensor seed = Tensor::empty(out.shape());
  init_uniform(seed, 1.0, rng);
  for (auto _ : state) {
    out.backward(seed, /*retain_graph=*/true);
    benchmark::DoNotOptimize(xv.grad().raw());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * conv_flops(a), benchmark::Counter::kIsIterationInvariantRate);
}

#define XRDID_CONV_SHAPES(BM)                                                                   \
  BENCHMARK(BM)                                                                                 \
      ->ArgNames({"cin", "cout", "L", "k", "s", "g"})                                           \
      ->Args({160, 160, 750, 16, 1, 10})   /* stage 1, blocks 1+: grouped k16 */                \
      ->Args({160, 160, 1500, 16, 2, 10})  /* stage 1, block 0: grouped k16 stride 2 */         \
      ->Args({1024, 1024, 47, 16, 1, 64})  /* stage 5, blocks 1+: grouped k16 */                \
      ->Args({1024, 1024, 47, 1, 1, 1})    /* stage 5: 1x1 1024->1024 */                        \
      ->Unit(benchmark::kMillisecond)                                                           \
      ->UseRealTime()
XRDID_CONV_SHAPES(BM_Conv1d_Fwd);
XRDID_CONV_SHAPES(BM_Conv1d_Bwd);

// The SGEMM of the CPU path alone, C (M x N) = A (M x K) * B (K x N), all row-major: the shape of
// a 1x1 convolution of one sample (A the weight, B the input, N its length). One thread: run with
// OMP_NUM_THREADS=1 to compare with BM_PeakFma_OneCore.
void BM_Sgemm(benchmark::State& state) {
  const std::int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  Rng rng(6);
  Tensor a = Tensor::empty({M, K}), b = Tensor::empty({K, N}), c = Tensor::empty({M, N});
  init_uniform(a, 1.0, rng);
  init_uniform(b, 1.0, rng);
  for (auto _ : state) {
    ops::detail::sgemm(false, false, M, N, K, a.data<float>(), K, b.data<float>(), N, c.data<float>(), N, false);
    benchmark::DoNotOptimize(c.raw());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * M * N * K, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Sgemm)
    ->Args({1024, 24, 1024})   /* stage 6, batch 1 */
    ->Args({1024, 47, 1024})   /* stage 5, batch 1 */
    ->Args({400, 94, 400})     /* stage 4, batch 1 */
    ->Args({400, 188, 400})    /* stage 3, batch 1 */
    ->Args({160, 750, 160})    /* stage 1, batch 1 */
    ->Args({1024, 752, 1024})  /* stage 5, batch 16 (samples side by side) */
    ->Unit(benchmark::kMicrosecond);

// Measured FP32 FMA throughput: 12 independent vector accumulators (enough to cover FMA latency x
// issue width), no memory traffic. The widest FMA the CPU has (AVX-512, else AVX2 + FMA), chosen
// at run time like the kernels (nn/cpu_path.hpp), so a portable build measures the same peak.
constexpr std::int64_t kPeakIters = 1 << 20;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float peak_fma_avx512() {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < kPeakIters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
  }
  float s = 0;
  for (int i = 0; i < 12; ++i) {  // (a store, not _mm512_reduce_add_ps: GCC 12 warns inside that intrinsic)
    alignas(64) float t[16];
    _mm512_store_ps(t, acc[i]);
    for (float f : t) s += f;
  }
  return s;
}

__attribute__((target("avx2,fma"))) float peak_fma_avx2() {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i) * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < kPeakIters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
  }
  float s = 0;
  for (int i = 0; i < 12; ++i) {
    alignas(32) float t[8];
    _mm256_store_ps(t, acc[i]);
    for (float f : t) s += f;
  }
  return s;
}
#endif

// Lanes of the widest FMA this CPU runs (0: none).
int peak_lanes() {
#if defined(__x86_64__)
  if (cpu_supports(CpuPath::avx512)) return 16;
  if (cpu_supports(CpuPath::avx2)) return 8;
#endif
  return 0;
}

float peak_fma_run() {
#if defined(__x86_64__)
  if (peak_lanes() == 16) return peak_fma_avx512();
  return peak_fma_avx2();
#else
  return 0;
#endif
}

// FLOP/s of this benchmark = one core's peak.
void BM_PeakFma_OneCore(benchmark::State& state) {
  const int lanes = peak_lanes();
  if (lanes == 0) {
    state.SkipWithError("no FMA instructions on this CPU");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(peak_fma_run());
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * lanes * 12.0 * kPeakIters, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["lanes"] = lanes;
}
BENCHMARK(BM_PeakFma_OneCore)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same kernel on every OpenMP thread at once (OMP_NUM_THREADS; 2 on the 2-core machine):
// FLOP/s = the peak of the cores the network runs on.
void BM_PeakFma_Threads(benchmark::State& state) {
  const int lanes = peak_lanes();
  if (lanes == 0) {
    state.SkipWithError("no FMA instructions on this CPU");
    return;
  }
  const int nth = omp_get_max_threads();
  for (auto _ : state) {
    float s = 0;
#pragma omp parallel num_threads(nth) reduction(+ : s)
    s += peak_fma_run();
    benchmark::DoNotOptimize(s);
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * lanes * 12.0 * kPeakIters * nth, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = nth;
}
BENCHMARK(BM_PeakFma_Threads)->Unit(benchmark::kMillisecond)->UseRealTime();

// Memory read bandwidth on every OpenMP thread at once: the sum of a 256 MB array (far beyond
// the caches), 16 independent partial sums per thread so that the adds keep up with the loads.
// Bytes/s bounds the ops that stream their weights once (batch-1 inference: ~155 MB of seed
// weights and head per query).
void BM_ReadBandwidth_Threads(benchmark::State& state) {
  const std::int64_t n = std::int64_t(1) << 26;
  std::vector<float> a(static_cast<std::size_t>(n));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) a[static_cast<std::size_t>(i)] = 1e-3f * static_cast<float>(i & 1023);
  for (auto _ : state) {
    float total = 0;
#pragma omp parallel reduction(+ : total)
    {
      float part[16] = {};
#pragma omp for schedule(static)
      for (std::int64_t i = 0; i < n / 16; ++i)
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) part[j] += a[static_cast<std::size_t>(i * 16 + j)];
      for (float v : part) total += v;
    }
    benchmark::DoNotOptimize(total);
  }
  state.counters["bytes/s"] = benchmark::Counter(4.0 * static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}
BENCHMARK(BM_ReadBandwidth_Threads)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
