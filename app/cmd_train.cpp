// `xrdid train`: simulate K copies of every structure and train Net1D + cosine head on them.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/choice_option.hpp"
#include "app/command.hpp"
#include "app/output_paths.hpp"
#include "compute/compute_device.hpp"
#include "train/step_engine.hpp"
#include "train/simulated_dataset.hpp"
#include "train/structures.hpp"
#include "train/trainer.hpp"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

struct TrainArgs {
  std::vector<std::string> inputs;
  std::string plot;
  xrdid::train::TrainOptions opt;
  xrdid::train::SimulationOptions sim;
};

}  // namespace

std::function<int()> xrdid::cli::setup_train(CLI::App* sub) {
  auto a = std::make_shared<TrainArgs>();
  sub->add_option("inputs", a->inputs, "CIF files or folders (searched recursively), or one library file")->required();
  sub->add_option("-o,--output", a->opt.out, "model file to write (best validation epoch); the checkpoint is "
                                             "MODEL.ckpt, the curve learning_curve.csv beside it")->required();
  sub->add_option("--config", a->opt.config, "Net1D config: seed | compact | tiny | JSON file")->capture_default_str();
  sub->add_option("--epochs", a->opt.epochs, "epochs")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--batch", a->opt.batch, "batch size")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--lr", a->opt.lr, "learning rate")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--schedule", a->opt.schedule, "learning-rate schedule")->capture_default_str()
      ->check(CLI::IsMember({"constant", "cosine", "step"}));
  add_choice(sub, "--loss", a->opt.loss, "loss", xrdid::nn::kLossNames, "training loss (cosface: --scale, --margin; softmax: CE on the raw cosines)")
      ->default_str(std::string(name(a->opt.loss)));
  sub->add_option("--scale", a->opt.scale, "CosFace scale s")->capture_default_str();
  sub->add_option("--margin", a->opt.margin, "CosFace margin m")->capture_default_str();
  add_choice(sub, "--optimizer", a->opt.optimizer, "optimizer", xrdid::nn::kOptimizerNames, "optimiser")
      ->default_str(std::string(name(a->opt.optimizer)));
  sub->add_option("--weight-decay", a->opt.weight_decay, "weight decay")->capture_default_str();
  sub->add_option("--augment", a->opt.augment,
                  "seed (XRDidentifier's) | measured (imitated measurements: broadening, Ka2, strain, "
                  "shift, counting noise, background, partial range; then identify's clean-up) | none")
      ->capture_default_str()->check(CLI::IsMember({"seed", "measured", "none"}));
  sub->add_option("--input-exponent", a->opt.input_exponent,
                  "with --augment measured: model inputs raised to this power (0.4 compresses intensities like "
                  "the profile search)")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.01, 1.0));
  sub->add_option("--split", a->opt.split, "random (seed: over spectra) | group (by structure)")->capture_default_str()
      ->check(CLI::IsMember({"random", "group"}));
  sub->add_option("--copies", a->sim.copies, "simulated copies per structure (random Debye-Waller B)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--identity", a->sim.identity, "class identity: formula+sg | formula | cif")->capture_default_str()
      ->check(CLI::IsMember({"formula+sg", "formula", "cif"}));
  sub->add_option("--seed", a->opt.seed, "random seed (data, split, init, augmentation, dropout)")->capture_default_str();
  sub->add_option("--threads", a->opt.threads, "CPU threads (0: all cores)")->capture_default_str()
      ->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--device", a->opt.device.device, "cpu | cuda")->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
  add_choice(sub, "--engine", a->opt.engine, "engine", xrdid::train::kEngineNames,
                  "tape (autograd, CPU) | planned (fixed op sequence on planned memory; CUDA graphs on the GPU) | "
                  "auto (tape on cpu, planned on cuda)")->default_str(std::string(name(a->opt.engine)));
  sub->add_flag("--tf32", a->opt.device.tf32, "cuda: TF32 tensor-core GEMMs (faster, ~1e-3 relative rounding)");
  sub->add_flag("!--no-graphs", a->opt.device.graphs, "cuda: launch every kernel instead of replaying CUDA graphs");
  sub->add_option("--patience", a->opt.patience, "stop when validation top-1 has not improved for N epochs (0: never)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--max-time", a->opt.max_seconds, "stop after the epoch that ends past this many seconds of training "
                                                    "(0: no limit; --resume continues)")->capture_default_str()
      ->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--plot", a->plot, "write the learning curve as SVG");
  sub->add_flag("--resume", a->opt.resume, "continue from MODEL.ckpt exactly where it stopped");
  sub->add_flag("!--no-progress", a->opt.progress, "no progress bar");
  return std::function<int()>([a] {
    xrdid::compute::require_device(a->opt.device);
    if (a->opt.optimizer == xrdid::nn::OptimizerKind::Sgd &&
        xrdid::train::resolve_engine(a->opt.engine, a->opt.device) == xrdid::train::Engine::Planned)
      throw std::runtime_error("the planned engine (and --device cuda) trains with --optimizer adam or adamw");
    // Refused before any simulation or training: nothing to resume, an output folder that cannot
    // be written, an output that would replace an input.
    xrdid::train::check_resumable(a->opt);
    xrdid::common::require_output_folder(a->opt.out, "-o");
    xrdid::common::require_output_folder(a->plot, "--plot");
    const auto inputs = xrdid::cli::input_files(a->inputs);
    xrdid::common::refuse_output_over_input(a->opt.out, inputs, "-o");
    xrdid::common::refuse_output_over_input(a->opt.out + ".ckpt", inputs, "-o");
    xrdid::common::refuse_output_over_input(a->plot, inputs, "--plot");
    a->sim.seed = a->opt.seed;
    a->sim.threads = a->opt.threads;
    auto set = xrdid::train::read_structures(a->inputs);
    for (auto& [path, why] : set.refused) std::cerr << "skipped " << why << "\n";
    if (set.crystals.size() < 2)
      throw std::runtime_error("need at least 2 readable structures to train, found " +
                               std::to_string(set.crystals.size()));
    std::cerr << "simulating " << a->sim.copies << " copies of " << set.crystals.size() << " structures ("
              << set.refused.size() << " skipped)\n";
    auto data = xrdid::train::simulate_dataset(set.crystals, a->sim);
    std::cerr << data.size() << " patterns, " << data.num_classes() << " classes (" << a->sim.identity << ")\n";
    nlohmann::json extra = {{"identity", a->sim.identity}, {"copies", a->sim.copies}};
    a->opt.extra_metadata = extra.dump();
    std::signal(SIGINT, on_sigint);
    auto r = xrdid::train::train_model(data, a->opt, std::cerr, &g_stop);
    std::signal(SIGINT, SIG_DFL);
    if (!a->plot.empty() && !r.curve.empty()) xrdid::train::write_learning_curve_svg(a->plot, r.curve);
    if (r.interrupted) return 130;
    std::cout << "best epoch " << r.best_epoch << ": val top1 " << r.best_val.top1 << "% top5 " << r.best_val.top5
              << "%; test top1 " << r.test.top1 << "% top5 " << r.test.top5 << "% -> " << a->opt.out << "\n";
    return 0;
  });
}
