// Training loop (docs/method.md §9, with options): forward, CosFace/AdaCos/softmax, backward,
// Adam; validation top-1/top-5 each epoch; best model kept; test at each new best; atomic
// checkpoints with exact resume; learning_curve.csv; progress on stderr.
#pragma once
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "nn/net1d.hpp"
#include "compute/compute_device.hpp"
#include "nn/loss_kind.hpp"
#include "nn/optim.hpp"
#include "train/dataset.hpp"
#include "train/step_engine.hpp"

namespace xrdid::train {

struct TrainOptions {
  std::string config = "compact";   // Net1D config name or JSON path
  int epochs = 20;
  int batch = 16;
  double lr = 1e-3;
  std::string schedule = "constant";  // constant | cosine | step (x0.1 at 50 % and 75 %)
  nn::Loss loss = nn::Loss::CosFace;  // cosface (s, m) | adacos | softmax (CE on raw cosines)
  double scale = 30.0;
  double margin = 0.4;
  nn::OptimizerKind optimizer = nn::OptimizerKind::Adam;
  double weight_decay = 0.0;
  std::string augment = "seed";       // seed (docs/method.md §5.1) | measured (seed comb + grid
                                      // measurement + identification clean-up) | none
  double input_exponent = 1.0;        // measured: cleaned rows raised to this power (0.4 = the profile's)
  std::string split = "random";       // random (seed: over spectra) | group (by structure)
  std::uint64_t seed = 1;
  int threads = 0;                    // 0: OpenMP default
  std::string out;                    // best model path; checkpoint is out + ".ckpt"
  std::string curve_csv;              // default: learning_curve.csv beside out
  bool resume = false;                // continue from out + ".ckpt"
  bool progress = true;
  int max_batches = 0;                // >0: stop each epoch after this many batches (tests)
  int interrupt_after = 0;            // >0: behave as if Ctrl-C came after this many samples (tests)
  std::string extra_metadata;         // JSON object merged into the model file's metadata
  compute::DeviceOptions device;               // cpu | cuda (+ TF32, CUDA graphs)
  int patience = 0;                   // >0: stop when validation top-1 has not improved for this many epochs
  double max_seconds = 0;             // >0: stop after the first epoch that ends past this training time
  Engine engine = Engine::Auto;       // auto: the tape on the CPU, planned on CUDA
};

struct Accuracy {
  double loss = 0, top1 = 0, top5 = 0;  // top-k in %
  std::size_t n = 0;
};

struct EpochRecord {
  int epoch = 0;
  double lr = 0;
  Accuracy train, val;
  double seconds = 0;
};

struct TrainResult {
  std::vector<EpochRecord> curve;
  int best_epoch = -1;
  Accuracy best_val, test;  // test measured at the best validation epoch
  bool interrupted = false;
  bool stopped_early = false;  // by patience or the time budget (before opt.epochs)
};

class StepEngine;
// Eval-mode accuracy of the engine's model on the rows idx of data (CosFace-free loss: CE on
// s*cos). Rows are used as stored, or (augment == "measured") after the identification clean-up.
Accuracy evaluate(StepEngine& engine, const Dataset& data, const std::vector<std::size_t>& idx, int batch,
                  double scale, const std::string& augment = "none", double input_exponent = 1.0);

// With opt.resume: throws a one-line error when opt.out + ".ckpt" does not exist (checked
// before the data are simulated, and again by train_model).
void check_resumable(const TrainOptions& opt);

// Trains on data; `stop` (may be null) is polled between batches: when set, a checkpoint is
// written and the function returns with interrupted = true.
TrainResult train_model(const Dataset& data, const TrainOptions& opt, std::ostream& log,
                        const std::atomic<bool>* stop = nullptr);

// The learning curve (train/validation top-1 and loss per epoch) as an SVG file, atomically.
void write_learning_curve_svg(const std::string& path, const std::vector<EpochRecord>& curve);

}  // namespace xrdid::train
