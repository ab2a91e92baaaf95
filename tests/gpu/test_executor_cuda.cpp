// The whole Net1D training step on the GPU: the planned executor on the CUDA backend against
// the same executor on the CPU backend (which tests/nn/test_executor.cpp ties to the autograd
// tape), step by step through the eager first run, the graph capture and graph replays.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda_backend.hpp"
#include "nn/exec/cpu_backend.hpp"
#include "nn/exec/net1d_executor.hpp"

using namespace xrdid;
using namespace xrdid::nn;

namespace {

template <class T>
struct Side {
  Net1D net;
  CosineHead head;
  Side(const Net1DConfig& cfg, int classes, Rng&& rng)
      : net(cfg, rng, dtype_of<T>()), head(classes, cfg.embedding_dim(), rng, dtype_of<T>()) {}
};

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector(), vb = b.to_vector();
  if (va.size() != vb.size()) return std::numeric_limits<double>::quiet_NaN();
  double m = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    const double e = std::abs(va[i] - vb[i]);
    if (std::isnan(e)) return e;  // an unwritten (NaN) value fails every `<= tol` check
    if (e > m) m = e;
  }
  return m;
}

// `steps` training steps of batch n on both backends, then the eval forward; tol bounds the
// loss (relative), every parameter and running statistic (absolute) and the cosines.
template <class T>
void gpu_vs_cpu(const std::string& config, int length, int n, int classes, const std::string& loss, int steps,
                double tol, bool tf32 = false, bool graphs = true) {
  Net1DConfig cfg = net1d_config(config);
  cfg.input_length = length;
  Side<T> cpu(cfg, classes, Rng(3)), gpu(cfg, classes, Rng(3));
  exec::ExecutorOptions eo;
  eo.loss = nn::parse_loss(loss);
  // Biases followed by batch norm have a true gradient of zero: their computed gradients are
  // rounding noise that Adam divides by |g| + eps, so with eps = 1e-8 two valid summation orders
  // move them by up to lr per step in opposite directions. eps = 1e-4 bounds that by lr * 1e-3.
  eo.adam_eps = 1e-4;
  auto cb = exec::make_cpu_backend<T>();
  cuda::CudaBackendOptions co;
  co.tf32 = tf32;
  co.graphs = graphs;
  auto gb = cuda::make_cuda_backend<T>(co);
  exec::Net1DExecutor<T> ec(*cb, cpu.net, cpu.head, eo), eg(*gb, gpu.net, gpu.head, eo);
  if (loss == "adacos") {
    ec.set_adacos_scale(std::sqrt(2.0) * std::log(classes - 1.0));
    eg.set_adacos_scale(std::sqrt(2.0) * std::log(classes - 1.0));
  }
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int s = 0; s < steps; ++s) {
    std::vector<float> x(static_cast<std::size_t>(n * length));
    for (auto& v : x) v = static_cast<float>(u(rng));
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = (i * 7 + s) % classes;
    auto rc = ec.train_step(x.data(), y.data(), n, 100 + static_cast<std::uint64_t>(s), 1e-3);
    auto rg = eg.train_step(x.data(), y.data(), n, 100 + static_cast<std::uint64_t>(s), 1e-3);
    INFO("step " << s << ": cpu loss " << rc.loss << ", gpu loss " << rg.loss);
    CHECK(std::isfinite(rg.loss));
    CHECK(std::abs(rg.loss - rc.loss) <= tol * (1 + std::abs(rc.loss)));
  }
  if (graphs && steps >= 3) {
    const auto c = cuda::graph_counters(*gb);
    CHECK(c.eager == 1);     // warm-up
    CHECK(c.captured == 1);  // one graph for this batch size
    CHECK(c.replays == steps - 1);
  }
  ec.download_model();
  eg.download_model();
  auto pc = cpu.net.named_parameters(), pg = gpu.net.named_parameters();
  double worst = 0;
  std::string worst_name;
  for (std::size_t i = 0; i < pc.size(); ++i) {
    const double d = max_abs_diff(pc[i].second->value(), pg[i].second->value());
    if (d > worst) worst = d, worst_name = pc[i].first;
  }
  INFO("worst parameter " << worst_name << ": " << worst);
  CHECK(worst <= tol);
  CHECK(max_abs_diff(cpu.head.weight.value(), gpu.head.weight.value()) <= tol);
  auto bc = cpu.net.named_buffers(), bg = gpu.net.named_buffers();
  for (std::size_t i = 0; i < bc.size(); ++i) {
    INFO(bc[i].first);
    CHECK(max_abs_diff(*bc[i].second, *bg[i].second) <= tol * (1 + std::abs(bc[i].second->item(0))));
  }
  if (loss == "adacos") CHECK(std::abs(eg.adacos_scale() - ec.adacos_scale()) <= tol * ec.adacos_scale());
  // Eval mode, batch 1 and n (two plans each), twice (the second run replays a graph).
  for (int m : {1, n}) {
    std::vector<float> x(static_cast<std::size_t>(m * length));
    for (auto& v : x) v = static_cast<float>(u(rng));
    std::vector<float> cc(static_cast<std::size_t>(m * classes)), cg(cc.size(), NAN);
    ec.infer(x.data(), m, nullptr, cc.data());
    for (int rep = 0; rep < 3; ++rep) {
      std::fill(cg.begin(), cg.end(), NAN);
      eg.infer(x.data(), m, nullptr, cg.data());
      double d = 0;
      for (std::size_t i = 0; i < cc.size(); ++i) {
        const double e = std::abs(static_cast<double>(cc[i]) - static_cast<double>(cg[i]));
        d = std::isnan(e) ? INFINITY : std::max(d, e);  // std::max alone would drop a NaN
      }
      INFO("eval batch " << m << " run " << rep);
      CHECK(d <= tol + 1e-6);  // NaN (an unwritten output) fails this
    }
  }
}

}  // namespace

// Double: the kernels sum in other orders than the CPU ops (tree reductions, split-K), a few
// ulp per sum; through three Adam steps that stays far below 1e-9.
TEST_CASE("GPU training step equals the CPU step: tiny, double, CosFace, graph replays") {
  gpu_vs_cpu<double>("tiny", 24, 4, 5, "cosface", 4, 1e-9);
}

TEST_CASE("GPU training step equals the CPU step: tiny, double, AdaCos and softmax, odd length, batch 1") {
  gpu_vs_cpu<double>("tiny", 23, 3, 6, "adacos", 3, 1e-9);
  gpu_vs_cpu<double>("tiny", 25, 1, 4, "softmax", 3, 1e-9);
}

// Float on the compact network (grouped k16 convs, strides, channel padding): float sums of
// ~1e4 terms differ by ~1e-5 relative between orders; after two Adam steps (lr 1e-3) 2e-4
// bounds parameter differences while a wrong gradient (an update of ~lr per step) would not pass.
TEST_CASE("GPU training step equals the CPU step: compact, float") {
  gpu_vs_cpu<float>("compact", 600, 8, 11, "cosface", 3, 2e-4);
}

TEST_CASE("eager runs equal graph replays") {
  gpu_vs_cpu<float>("compact", 300, 4, 7, "cosface", 3, 2e-4, false, false);
}

// TF32 rounds GEMM inputs to 10 mantissa bits (~5e-4 relative): only a loose check.
TEST_CASE("TF32 training step stays close to the CPU step") {
  gpu_vs_cpu<float>("compact", 300, 8, 7, "cosface", 2, 2e-2, true);
}

TEST_CASE("seed network: one planned step at batch 2 runs and is finite") {
  Net1DConfig cfg = net1d_config("seed");
#ifdef XRDID_CUDA_EMU
  cfg.input_length = 600;  // every layer of the seed network, on a tenth of the pattern (CPU time)
#endif
  Rng rng(1);
  Net1D net(cfg, rng);
  CosineHead head(64, cfg.embedding_dim(), rng);
  auto gb = cuda::make_cuda_backend<float>();
  exec::Net1DExecutor<float> ex(*gb, net, head, exec::ExecutorOptions{});
  std::vector<float> x(static_cast<std::size_t>(2 * cfg.input_length), 0.25f);
  std::vector<std::int64_t> y{3, 17};
  for (int s = 0; s < 3; ++s) CHECK(std::isfinite(ex.train_step(x.data(), y.data(), 2, 9, 1e-4).loss));
}

// The same training step run eagerly and as graph replays: the same kernels with the same splits.
// Bit for bit on the emulated device (its GEMM is one fixed algorithm); on a GPU cuBLAS may pick
// another algorithm under capture, so there a float rounding margin.
TEST_CASE("graph replays equal eager runs of the same step") {
#ifdef XRDID_CUDA_EMU
  const double tol = 0.0;
#else
  const double tol = 1e-5;
#endif
  Net1DConfig cfg = net1d_config("compact");
  cfg.input_length = 300;
  const int n = 4, classes = 7;
  Side<float> a(cfg, classes, Rng(3)), b(cfg, classes, Rng(3));
  exec::ExecutorOptions eo;
  eo.loss = nn::parse_loss("cosface");
  cuda::CudaBackendOptions graphs, eager;
  eager.graphs = false;
  auto ba = cuda::make_cuda_backend<float>(graphs), bb = cuda::make_cuda_backend<float>(eager);
  exec::Net1DExecutor<float> ea(*ba, a.net, a.head, eo), eb(*bb, b.net, b.head, eo);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int s = 0; s < 3; ++s) {
    std::vector<float> x(static_cast<std::size_t>(n * cfg.input_length));
    for (auto& v : x) v = static_cast<float>(u(rng));
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = (i * 3 + s) % classes;
    const double la = ea.train_step(x.data(), y.data(), n, 200 + static_cast<std::uint64_t>(s), 1e-3).loss;
    const double lb = eb.train_step(x.data(), y.data(), n, 200 + static_cast<std::uint64_t>(s), 1e-3).loss;
    INFO("step " << s << ": graph loss " << la << ", eager loss " << lb);
    CHECK(std::isfinite(la));
    CHECK(std::abs(la - lb) <= tol * (1 + std::abs(lb)));
  }
  CHECK(cuda::graph_counters(*ba).replays == 2);
  CHECK(cuda::graph_counters(*bb).replays == 0);
  ea.download_model();
  eb.download_model();
  auto pa = a.net.named_parameters(), pb = b.net.named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].first);
    CHECK(max_abs_diff(pa[i].second->value(), pb[i].second->value()) <= tol);
  }
  CHECK(max_abs_diff(a.head.weight.value(), b.head.weight.value()) <= tol);
}

// The per-op profile (CudaBackendOptions::profile): the step runs eagerly with an event between
// every two ops, computes what the plain eager step computes, and reports every kind of op.
TEST_CASE("a profiled step equals the eager step and reports its ops") {
  Net1DConfig cfg = net1d_config("compact");
  cfg.input_length = 300;
  const int n = 4, classes = 7;
  Side<float> a(cfg, classes, Rng(3)), b(cfg, classes, Rng(3));
  exec::ExecutorOptions eo;
  eo.loss = nn::parse_loss("cosface");
  cuda::CudaBackendOptions eager, prof;
  eager.graphs = false;
  prof.profile = true;
  auto ba = cuda::make_cuda_backend<float>(eager), bb = cuda::make_cuda_backend<float>(prof);
  CHECK_FALSE(ba->profiling());
  CHECK(bb->profiling());
  exec::Net1DExecutor<float> ea(*ba, a.net, a.head, eo), eb(*bb, b.net, b.head, eo);
  std::vector<float> x(static_cast<std::size_t>(n * cfg.input_length));
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (auto& v : x) v = static_cast<float>(u(rng));
  std::vector<std::int64_t> y{0, 3, 5, 6};
  CHECK(cuda::profile_report(*bb).empty());
  for (int s = 0; s < 3; ++s) {
    const double la = ea.train_step(x.data(), y.data(), n, 50 + static_cast<std::uint64_t>(s), 1e-3).loss;
    const double lb = eb.train_step(x.data(), y.data(), n, 50 + static_cast<std::uint64_t>(s), 1e-3).loss;
    CHECK(std::isfinite(lb));
    CHECK(la == lb);
  }
  const std::string r = cuda::profile_report(*bb);
  INFO(r);
  CHECK(r.find("2 runs") != std::string::npos);  // the first (warm-up) run is not counted
  for (const char* what : {"fwd conv 16>16 k16", "bwd conv", "fwd bn+swish", "bwd bn+swish", "residual+se",
                           "cosine-head", "loss forward + backward", "adam + top-k + download", "by kind:"})
    CHECK(r.find(what) != std::string::npos);
  CHECK(cuda::profile_report(*ba).empty());
  CHECK(cuda::graph_counters(*bb).replays == 0);
}
