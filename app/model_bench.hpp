// `xrdid model`: layer table, parameter count and step timing of a Net1D configuration.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "nn/net1d.hpp"
#include "compute/compute_device.hpp"
#include "train/step_engine.hpp"

namespace xrdid::app {

// Prints the layer table (unit, main path, channels, shortcut, lengths, parameters) and totals.
void print_layer_table(const nn::Net1DConfig& cfg, std::ostream& out);

struct StepBenchOptions {
  std::string mode = "infer";  // "infer" (eval, no grad, backbone + cosine head) or
                               // "train" (forward, CosFace, backward, Adam)
  int batch = 16;
  int classes = 8172;
  int threads = 0;  // 0: OpenMP default
  int warmup = 2;
  int steps = 5;
  std::uint64_t seed = 1;
  compute::DeviceOptions device;           // cpu | cuda (+ tf32, graphs)
  train::Engine engine = train::Engine::Auto;  // auto: tape on cpu, planned on cuda
};

// Runs warm-up steps, then `steps` timed steps through the chosen step engine (train/step_engine.hpp);
// returns each step's milliseconds.
std::vector<double> bench_steps(const nn::Net1DConfig& cfg, const StepBenchOptions& opt, std::ostream& log);

// Prints the memory a planned step (the GPU's) needs at opt.batch with opt.classes: parameters,
// gradients and Adam moments; activations and their gradients (training); activations (inference).
void print_plan_memory(const nn::Net1DConfig& cfg, const StepBenchOptions& opt, std::ostream& out);

}  // namespace xrdid::app
