// Module: a named tree of parameters (Vars) and buffers (Tensors) with a train/eval switch.
// Names follow PyTorch's state_dict convention ("stage_list.0.block_list.1.conv1.conv.weight"),
// so weights move between xrdid and a PyTorch model of the same layout by name.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nn/autograd.hpp"
#include "nn/ops/random.hpp"

namespace xrdid::nn {

using Rng = std::mt19937_64;

// Per-forward context: train/eval and the dropout seed stream (explicit randomness).
struct ForwardCtx {
  bool training = false;
  std::uint64_t seed = 0;     // base seed of this step
  std::uint64_t counter = 0;  // advanced by each dropout site
  std::uint64_t next_seed() { return ops::step_seed(seed, ++counter); }
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;             // members are registered by address
  Module& operator=(const Module&) = delete;

  // All parameters / buffers of this module and its children, in registration order.
  std::vector<std::pair<std::string, Var*>> named_parameters(const std::string& prefix = "");
  std::vector<std::pair<std::string, Tensor*>> named_buffers(const std::string& prefix = "");
  std::vector<Var*> parameters();
  std::int64_t num_parameters();
  void zero_grad();

 protected:
  Var& register_parameter(const std::string& name, Var& v) {
    params_.emplace_back(name, &v);
    return v;
  }
  Tensor& register_buffer(const std::string& name, Tensor& t) {
    buffers_.emplace_back(name, &t);
    return t;
  }
  template <class M>
  M& register_module(const std::string& name, M& m) {
    children_.emplace_back(name, &m);
    return m;
  }

 private:
  std::vector<std::pair<std::string, Var*>> params_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
};

// PyTorch default initialisation (docs/method.md §7.5).
// U(-bound, bound) into t (F32 or F64), drawn with rng in element order.
void init_uniform(Tensor& t, double bound, Rng& rng);

}  // namespace xrdid::nn
