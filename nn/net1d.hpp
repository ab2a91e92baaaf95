// Net1D ("1D-RegNet", hsd1503/resnet1d as used by XRDidentifier; docs/method.md §7) and the cosine
// head (§8.1). Any width/depth/kernel configuration; "seed" is the published one.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/layers.hpp"
#include "nn/op_list.hpp"

namespace xrdid::nn {

struct Net1DConfig {
  std::string name = "seed";
  int in_channels = 1;
  int base_filters = 64;
  double ratio = 1.0;
  std::vector<int> filter_list{64, 160, 160, 400, 400, 1024, 1024};
  std::vector<int> m_blocks_list{2, 2, 2, 3, 3, 4, 4};
  int kernel_size = 16;
  int stride = 2;
  int groups_width = 16;
  bool use_bn = true;
  bool use_do = true;
  double dropout = 0.5;
  int input_length = 6000;  // the pattern grid the model expects (0..119.98° step 0.02°)

  int embedding_dim() const { return filter_list.back(); }
};

// Named configurations: "seed" (published, 30,654,000 backbone parameters), "compact" (trains on
// 2 CPU cores in minutes), "tiny" (tests). Also accepts a path to a JSON file with the fields.
Net1DConfig net1d_config(const std::string& name_or_path);
// A config from JSON text (a config file's or a model file's), checked like net1d_config;
// throws std::runtime_error naming `name` for bad JSON, wrong types or out-of-range values.
Net1DConfig parse_net1d_config(const std::string& text, const std::string& name);
// Throws std::runtime_error when c is not a buildable network (widths, block counts, bounds).
void validate_net1d_config(const Net1DConfig& c);
void to_json(nlohmann::json& j, const Net1DConfig& c);
void from_json(const nlohmann::json& j, Net1DConfig& c);

// Pre-activation bottleneck block with grouped conv and SE (docs/method.md §7.3).
class BasicBlock : public Module {
 public:
  BasicBlock(int c_in, int c_out, double ratio, int k, int stride, int groups, bool downsample,
             bool is_first_block, bool use_bn, bool use_do, double p_drop, Rng& rng, DType dtype);
  Var forward(const Var& x, ForwardCtx& ctx);
  // The same computation appended to a planned op list; returns the block's output.
  ValueId append(OpList& ops, ValueId x);

  int c_in, c_out, stride;
  bool downsample, is_first_block, use_bn, use_do;
  double p_drop;
  BatchNorm1d bn1;
  Conv1d conv1;
  BatchNorm1d bn2;
  Conv1d conv2;
  BatchNorm1d bn3;
  Conv1d conv3;
  Linear se_fc1, se_fc2;
};

// One row of the layer table printed by `xrdid model`.
struct LayerRow {
  std::string unit, main_path, channels, shortcut;
  std::int64_t length_in, length_out, params;
};

class Net1D : public Module {
 public:
  explicit Net1D(const Net1DConfig& cfg, Rng& rng, DType dtype = DType::F32);
  // x: (N, in_channels, L) -> embedding (N, embedding_dim) (global mean over length).
  Var forward(const Var& x, ForwardCtx& ctx);
  // The same computation appended to a planned op list: x (N, in_channels, L) -> the embedding.
  ValueId append(OpList& ops, ValueId x);
  const Net1DConfig& config() const { return cfg_; }
  std::vector<LayerRow> layer_table(std::int64_t input_length);

 private:
  Net1DConfig cfg_;
  Conv1d first_conv_;
  BatchNorm1d first_bn_;
  std::vector<std::unique_ptr<BasicBlock>> blocks_;
  std::vector<int> block_stage_;  // stage index of each block
};

// Cosine classifier: cos(x_i, W_j) = <x/|x|, W_j/|W_j|>; W (C, D) Xavier-uniform, no bias.
class CosineHead : public Module {
 public:
  CosineHead(int num_classes, int dim, Rng& rng, DType dtype = DType::F32);
  Var forward(const Var& embedding) const;  // (N, D) -> (N, C) cosines
  ValueId append(OpList& ops, ValueId embedding) const;  // the same, planned
  Var weight;
};

}  // namespace xrdid::nn
