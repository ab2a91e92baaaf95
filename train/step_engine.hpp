// One training step and the eval-mode forward of Net1D + cosine head + loss + optimiser, either
// on the autograd tape (the CPU reference) or on the planned executor (nn/exec/: no tape, memory
// planned once, a CUDA graph on the GPU). The trainer and evaluation use only this interface.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/named_enum.hpp"
#include "nn/loss_kind.hpp"
#include "nn/net1d.hpp"
#include "nn/optim.hpp"
#include "compute/compute_device.hpp"

namespace xrdid::train {

struct LossOptions {
  nn::Loss loss = nn::Loss::CosFace;
  double scale = 30.0, margin = 0.4;
};

struct StepStats {
  double loss = 0;
  double top1_hits = 0, top5_hits = 0;
};

class StepEngine {
 public:
  virtual ~StepEngine() = default;
  virtual std::string name() const = 0;
  // x (n, 1, L) float, labels (n); the step's dropout seed and learning rate.
  virtual StepStats train_step(const nn::Tensor& x, const std::vector<std::int64_t>& y, std::uint64_t seed,
                               double lr) = 0;
  // Eval mode: cosines (n, C) as a CPU float tensor.
  virtual nn::Tensor cosines(const nn::Tensor& x) = 0;
  virtual double adacos_scale() = 0;
  virtual void set_adacos_scale(double s) = 0;
  // The host modules and optimiser take the engine's state (before saving or evaluating on the
  // host), or give theirs to the engine (after loading a checkpoint).
  virtual void to_host() = 0;
  virtual void from_host() = 0;
};

// Top-1 / top-5 hits of cosines (n, C) against labels, added to h1, h5.
void count_hits(const nn::Tensor& cos, const std::vector<std::int64_t>& y, double& h1, double& h5);

// How a step runs: on the autograd tape, on the planned executor, or auto (the tape on the CPU,
// planned on a GPU).
enum class Engine { Auto, Tape, Planned };
inline constexpr std::array<std::string_view, 3> kEngineNames{"auto", "tape", "planned"};
inline Engine parse_engine(std::string_view s) { return parse_named<Engine>("engine", s, kEngineNames); }
inline std::string_view name(Engine e) { return enum_name(e, kEngineNames); }

// Tape or Planned for an engine and a device; throws for the tape on a GPU.
Engine resolve_engine(Engine engine, const compute::DeviceOptions& dev);

// The engine resolve_engine names. net, head and optimiser stay owned by the caller and must
// outlive the engine; the planned engine needs nn::Adam (Adam or AdamW).
std::unique_ptr<StepEngine> make_step_engine(Engine engine, nn::Net1D& net, nn::CosineHead& head,
                                             nn::Optimizer& optim, const LossOptions& loss, const compute::DeviceOptions& dev);

// net, head and optimiser stay owned by the caller and must outlive the engine.
std::unique_ptr<StepEngine> make_tape_engine(nn::Net1D& net, nn::CosineHead& head, nn::Optimizer& optim,
                                             const LossOptions& loss);
// The optimiser must be nn::Adam (Adam or AdamW); device from `dev` (see compute_device.hpp).
std::unique_ptr<StepEngine> make_planned_engine(nn::Net1D& net, nn::CosineHead& head, nn::Optimizer& optim,
                                                const LossOptions& loss, const compute::DeviceOptions& dev);

}  // namespace xrdid::train
