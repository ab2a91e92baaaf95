// Layer table and step timing for `xrdid model`.
#include "app/model_bench.hpp"

#include <omp.h>

#include <chrono>
#include <iomanip>
#include <ostream>

#include "nn/exec/cpu_backend.hpp"
#include "nn/exec/net1d_executor.hpp"
#include "nn/functional.hpp"
#include "train/step_engine.hpp"
#include "nn/optim.hpp"

namespace xrdid::app {

using namespace xrdid::train;

void print_layer_table(const nn::Net1DConfig& cfg, std::ostream& out) {
  nn::Rng rng(0);
  nn::Net1D net(cfg, rng);
  auto rows = net.layer_table(cfg.input_length);
  out << "Net1D config '" << cfg.name << "' (input 1x" << cfg.input_length << ")\n";
  out << std::left << std::setw(6) << "unit" << std::setw(52) << "main path" << std::setw(11) << "channels"
      << std::setw(24) << "shortcut" << std::setw(14) << "length" << std::right << std::setw(12) << "params"
      << "\n";
  std::string lengths = std::to_string(cfg.input_length);
  for (auto& r : rows) {
    out << std::left << std::setw(6) << r.unit << std::setw(52) << r.main_path << std::setw(11) << r.channels
        << std::setw(24) << r.shortcut << std::setw(14)
        << (std::to_string(r.length_in) + "->" + std::to_string(r.length_out)) << std::right << std::setw(12)
        << r.params << "\n";
  }
  std::int64_t L = cfg.input_length;
  L = (L + 1) / 2;
  lengths += " -> " + std::to_string(L);
  for (std::size_t s = 0; s < cfg.filter_list.size(); ++s) {
    L = (L + cfg.stride - 1) / cfg.stride;
    lengths += " -> " + std::to_string(L);
  }
  std::int64_t bn = 0;
  for (auto& [n, t] : net.named_buffers())
    if (n.find("running_mean") != std::string::npos) bn += 2 * t->numel();
  out << "lengths: " << lengths << "\n";
  out << "trainable parameters (backbone): " << net.num_parameters() << "\n";
  out << "BN running buffers: " << bn << "\n";
  out << "embedding: " << cfg.embedding_dim() << " (head adds classes x " << cfg.embedding_dim() << ")\n";
}

std::vector<double> bench_steps(const nn::Net1DConfig& cfg, const StepBenchOptions& opt, std::ostream& log) {
  XRDID_CHECK(opt.mode == "infer" || opt.mode == "train", "--bench must be infer or train, got '" + opt.mode + "'");
  XRDID_CHECK(opt.batch >= 1 && opt.classes >= 2 && opt.steps >= 1 && opt.warmup >= 0,
              "bench needs batch >= 1, classes >= 2, steps >= 1");
  if (opt.threads > 0) omp_set_num_threads(opt.threads);
  nn::Rng rng(opt.seed);
  nn::Net1D net(cfg, rng);
  nn::CosineHead head(opt.classes, cfg.embedding_dim(), rng);
  nn::Tensor x = nn::Tensor::empty({opt.batch, cfg.in_channels, cfg.input_length});
  nn::init_uniform(x, 1.0, rng);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(opt.batch));
  for (int i = 0; i < opt.batch; ++i) labels[static_cast<std::size_t>(i)] = (i * 7919) % opt.classes;
  auto params = net.named_parameters();
  for (auto& p : head.named_parameters("head.")) params.push_back(p);
  nn::Adam adam(params, 1e-3);
  auto engine = make_step_engine(opt.engine, net, head, adam, LossOptions{nn::Loss::CosFace, 30.0, 0.4}, opt.device);
  log << "engine: " << engine->name() << "\n";
  std::vector<double> ms;
  for (int it = 0; it < opt.warmup + opt.steps; ++it) {
    auto t0 = std::chrono::steady_clock::now();
    if (opt.mode == "infer") {
      nn::Tensor cos = engine->cosines(x);
      (void)cos;
    } else {
      engine->train_step(x, labels, opt.seed + static_cast<std::uint64_t>(it), 1e-3);
    }
    double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (it >= opt.warmup) ms.push_back(dt);
    log << (it < opt.warmup ? "warm-up" : "step") << " " << it << ": " << std::fixed << std::setprecision(2) << dt
        << " ms\n";
  }
  return ms;
}

void print_plan_memory(const nn::Net1DConfig& cfg, const StepBenchOptions& opt, std::ostream& out) {
  XRDID_CHECK(opt.batch >= 1 && opt.classes >= 2, "memory needs batch >= 1 and classes >= 2");
  nn::Rng rng(opt.seed);
  nn::Net1D net(cfg, rng);
  nn::CosineHead head(opt.classes, cfg.embedding_dim(), rng);
  auto backend = nn::exec::make_cpu_backend<float>();  // sizes only; the same on every backend
  nn::exec::Net1DExecutor<float> ex(*backend, net, head, nn::exec::ExecutorOptions{});
  const double gb = 1e9;
  const double state = static_cast<double>(ex.state_bytes()) / gb;
  const double train = static_cast<double>(ex.plan_size(opt.batch, true)) / gb;
  nn::exec::ExecutorOptions io;
  io.inference_only = true;
  nn::exec::Net1DExecutor<float> ix(*backend, net, head, io);
  const double infer = static_cast<double>(ix.plan_size(opt.batch, false)) / gb;
  const double istate = static_cast<double>(ix.state_bytes()) / gb;
  out << std::fixed << std::setprecision(2) << "planned memory, config " << cfg.name << ", batch " << opt.batch << ", "
      << opt.classes << " classes, float:\n"
      << "  parameters, gradients, Adam moments: " << state << " GB\n"
      << "  training step activations + gradients: " << train << " GB (total " << state + train << " GB)\n"
      << "  inference: parameters " << istate << " GB, activations " << infer << " GB (total " << istate + infer
      << " GB)\n"
      << "  + 0.29 GB of kernel scratch and cuBLAS workspace on a GPU\n";
}

}  // namespace xrdid::app
