// `xrdid model`: print a Net1D configuration's layer table, or time inference/training steps.
#include <algorithm>
#include <iostream>

#include "app/choice_option.hpp"
#include "app/command.hpp"
#include "app/model_bench.hpp"

namespace {

struct ModelArgs {
  std::string config = "seed";
  std::string bench;
  bool memory = false;
  xrdid::app::StepBenchOptions opt;
};

}  // namespace

std::function<int()> xrdid::cli::setup_model(CLI::App* sub) {
  auto a = std::make_shared<ModelArgs>();
  sub->add_option("--config", a->config, "seed | compact | tiny | path to a JSON config")->capture_default_str();
  sub->add_option("--bench", a->bench, "time steps: infer (eval forward + head) or train (forward, CosFace, "
                                       "backward, Adam)")->check(CLI::IsMember({"infer", "train"}));
  sub->add_option("--batch", a->opt.batch, "batch size")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--classes", a->opt.classes, "classes of the cosine head")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(2, 1 << 24));
  sub->add_option("--threads", a->opt.threads, "OpenMP threads (0: all cores)")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--steps", a->opt.steps, "timed steps")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--warmup", a->opt.warmup, "untimed warm-up steps")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--device", a->opt.device.device, "cpu | cuda (with --bench)")->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
  add_choice(sub, "--engine", a->opt.engine, "engine", xrdid::train::kEngineNames, "tape | planned | auto (with --bench)")
      ->default_str(std::string(name(a->opt.engine)));
  sub->add_flag("--tf32", a->opt.device.tf32, "cuda: TF32 GEMMs");
  sub->add_flag("--memory", a->memory, "print the memory a planned (GPU) step needs at --batch and --classes");
  return std::function<int()>([a] {
    auto cfg = xrdid::nn::net1d_config(a->config);
    if (a->memory) {
      xrdid::app::print_plan_memory(cfg, a->opt, std::cout);
      return 0;
    }
    if (a->bench.empty()) {
      xrdid::app::print_layer_table(cfg, std::cout);
      return 0;
    }
    a->opt.mode = a->bench;
    xrdid::compute::require_device(a->opt.device);
    auto ms = xrdid::app::bench_steps(cfg, a->opt, std::cerr);
    std::sort(ms.begin(), ms.end());
    double median = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
    std::cout << "config=" << cfg.name << " mode=" << a->bench << " batch=" << a->opt.batch
              << " classes=" << a->opt.classes << " steps=" << ms.size() << "\n";
    std::cout << "ms_per_step=" << median << std::endl;
    return 0;
  });
}
