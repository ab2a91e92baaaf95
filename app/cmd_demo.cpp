// `xrdid demo`: library, training, a synthetic measurement, identification, report.
#include <iostream>

#include "app/command.hpp"
#include "app/demo.hpp"

namespace {

}  // namespace

std::function<int()> xrdid::cli::setup_demo(CLI::App* sub) {
  auto o = std::make_shared<xrdid::app::DemoOptions>();
  sub->add_option("--cifs", o->cifs, "folder of CIFs (default: the bundled data/phases)");
  sub->add_option("-o,--output", o->out, "output folder")->capture_default_str();
  sub->add_option("--phase", o->phase, "phase to synthesise a measurement of (CIF file stem)");
  sub->add_option("--epochs", o->epochs, "training epochs")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--config", o->config, "Net1D config")->capture_default_str();
  sub->add_option("--seed", o->seed, "random seed")->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads (0: all)")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_flag("!--no-progress", o->progress, "no progress bar");
  return std::function<int()>([o] { return xrdid::app::run_demo(*o, std::cout, std::cerr); });
}
