// Reverse-mode automatic differentiation over Tensors.
//
// A Var is a handle to a value in the computation graph. Ops (nn/functional.hpp) build new
// Vars whose Node remembers the inputs and a backward closure. Var::backward() orders the
// graph topologically (depth-first, deduplicated) and runs the closures in reverse.
//
// Gradient contract (tested in tests/nn/test_autograd.cpp):
//  * Every backward closure ACCUMULATES (+=) into the gradients of its inputs; a Var's grad
//    is allocated and zeroed on first use. A Var used twice therefore receives the sum.
//  * Leaf gradients (parameters) keep accumulating across backward() calls until
//    zero_grad() / Var::zero_grad(); the optimiser step reads them, it never clears them.
//  * Gradients of intermediate (non-leaf) Vars are released after backward() unless
//    retain_graph is set; leaf gradients are kept.
//  * Under a NoGradGuard (or when no input requires a gradient) ops record nothing.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace xrdid::nn {

class Var;

struct Node {
  std::vector<Var> inputs;
  // Receives the gradient of the node's output; must add into inputs[i].grad_ref().
  std::function<void(const Tensor& grad_out)> backward;
  const char* name = "op";
};

struct VarImpl {
  Tensor value;
  Tensor grad;  // undefined until a gradient arrives
  bool requires_grad = false;
  std::shared_ptr<Node> node;  // null for leaves
};

class Var {
 public:
  Var() = default;
  explicit Var(Tensor value, bool requires_grad = false);

  bool defined() const { return p_ != nullptr; }
  const Tensor& value() const { return p_->value; }
  Tensor& value_mut() { return p_->value; }
  const Tensor& grad() const { return p_->grad; }
  // The gradient buffer, zero-initialised on first call (same shape/dtype as the value).
  Tensor& grad_ref();
  bool requires_grad() const { return p_ && p_->requires_grad; }
  bool is_leaf() const { return !p_->node; }
  void zero_grad();
  const Shape& shape() const { return p_->value.shape(); }
  std::int64_t dim(int i) const { return p_->value.dim(i); }
  DType dtype() const { return p_->value.dtype(); }
  const VarImpl* impl() const { return p_.get(); }

  // Seeds d(this)/d(this) with ones (or with `seed`) and propagates to every input.
  void backward(bool retain_graph = false);
  void backward(const Tensor& seed, bool retain_graph = false);

  // Builds the output Var of an op: records the node only when grad mode is on and some
  // input requires a gradient.
  static Var make(Tensor value, std::vector<Var> inputs, std::function<void(const Tensor&)> bw,
                  const char* name);

 private:
  std::shared_ptr<VarImpl> p_;
};

bool grad_enabled();

// Disables graph recording in its scope (inference, evaluation, optimiser steps).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace xrdid::nn
