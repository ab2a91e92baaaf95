// `xrdid demo`: library, training, a synthetic measurement, identification, report.
#include <iostream>

#include "train/cli/registry.hpp"
#include "train/demo.hpp"

namespace {

xrdid::cli::Registrar reg{{"demo", [](CLI::App& app) {
  auto o = std::make_shared<xrdid::train::DemoOptions>();
  auto* sub = app.add_subcommand("demo", "Run the whole pipeline on the bundled phases (a few minutes on 2 cores)");
  sub->add_option("--cifs", o->cifs, "folder of CIFs (default: the bundled data/phases)");
  sub->add_option("-o,--output", o->out, "output folder")->capture_default_str();
  sub->add_option("--phase", o->phase, "phase to synthesise a measurement of (CIF file stem)");
  sub->add_option("--epochs", o->epochs, "training epochs")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--config", o->config, "Net1D config")->capture_default_str();
  sub->add_option("--seed", o->seed, "random seed")->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads (0: all)")->capture_default_str()->check(CLI::NonNegativeNumber);
  sub->add_flag("!--no-progress", o->progress, "no progress bar");
  return std::function<int()>([o] { return xrdid::train::run_demo(*o, std::cout, std::cerr); });
}}};

}  // namespace
