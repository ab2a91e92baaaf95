// `xrdid model`: layer table, parameter count and step timing of a Net1D configuration.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "nn/net1d.hpp"

namespace xrdid::train {

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
};

// Runs warm-up steps, then `steps` timed steps; returns each step's milliseconds.
std::vector<double> bench_steps(const nn::Net1DConfig& cfg, const StepBenchOptions& opt, std::ostream& log);

}  // namespace xrdid::train
