// Optimisers with PyTorch semantics: Adam (L2 weight decay added to the gradient), AdamW
// (decoupled decay), SGD with momentum. They read the parameters' accumulated gradients and
// never clear them (call zero_grad()). State tensors are named for checkpointing.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/named_enum.hpp"
#include "nn/autograd.hpp"

namespace xrdid::nn {

class Optimizer {
 public:
  explicit Optimizer(std::vector<std::pair<std::string, Var*>> params) : params_(std::move(params)) {}
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();
  double lr = 1e-3;
  // Named state for checkpoints ("exp_avg.<param>", "step", ...).
  virtual std::vector<std::pair<std::string, Tensor*>> named_state() = 0;

 protected:
  std::vector<std::pair<std::string, Var*>> params_;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<std::pair<std::string, Var*>> params, double lr = 1e-3, double beta1 = 0.9,
       double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0.0, bool decoupled = false);
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> named_state() override;
  double beta1, beta2, eps, weight_decay;
  bool decoupled;  // true: AdamW
  std::int64_t steps() const { return static_cast<std::int64_t>(step_.item()); }

 private:
  std::vector<Tensor> m_, v_;
  Tensor step_;  // I64 scalar
};

// AdamW (Loshchilov & Hutter): p -= lr*wd*p before the Adam update. PyTorch default wd = 0.01.
inline Adam make_adamw(std::vector<std::pair<std::string, Var*>> params, double lr = 1e-3, double wd = 0.01) {
  return Adam(std::move(params), lr, 0.9, 0.999, 1e-8, wd, true);
}

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<std::pair<std::string, Var*>> params, double lr, double momentum = 0.0,
      double weight_decay = 0.0, bool nesterov = false);
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> named_state() override;
  double momentum, weight_decay;
  bool nesterov;

 private:
  std::vector<Tensor> buf_;
  bool started_ = false;
};

enum class OptimizerKind { Adam, AdamW, Sgd };
inline constexpr std::array<std::string_view, 3> kOptimizerNames{"adam", "adamw", "sgd"};
inline OptimizerKind parse_optimizer(std::string_view s) {
  return parse_named<OptimizerKind>("optimizer", s, kOptimizerNames);
}
inline std::string_view name(OptimizerKind k) { return enum_name(k, kOptimizerNames); }

// The training optimiser of a kind: Adam / AdamW (betas 0.9, 0.999, eps 1e-8) or SGD with
// momentum 0.9.
std::unique_ptr<Optimizer> make_optimizer(OptimizerKind kind, std::vector<std::pair<std::string, Var*>> params,
                                          double lr, double weight_decay);

}  // namespace xrdid::nn
