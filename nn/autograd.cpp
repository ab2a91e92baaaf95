// Graph recording and the reverse sweep; see the contract in autograd.hpp.
#include "nn/autograd.hpp"

#include <unordered_set>

#include "nn/ops/elementwise.hpp"

namespace xrdid::nn {

namespace {
thread_local bool t_grad_enabled = true;
}

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = prev_; }

Var::Var(Tensor value, bool requires_grad) : p_(std::make_shared<VarImpl>()) {
  p_->value = std::move(value);
  p_->requires_grad = requires_grad;
}

Tensor& Var::grad_ref() {
  if (!p_->grad.defined()) p_->grad = Tensor::zeros(p_->value.shape(), p_->value.dtype(), p_->value.device());
  return p_->grad;
}

void Var::zero_grad() {
  if (p_ && p_->grad.defined()) p_->grad.zero();
}

Var Var::make(Tensor value, std::vector<Var> inputs, std::function<void(const Tensor&)> bw,
              const char* name) {
  Var out(std::move(value), false);
  if (!t_grad_enabled) return out;
  bool any = false;
  for (const Var& v : inputs) any = any || v.requires_grad();
  if (!any) return out;
  out.p_->requires_grad = true;
  out.p_->node = std::make_shared<Node>();
  out.p_->node->inputs = std::move(inputs);
  out.p_->node->backward = std::move(bw);
  out.p_->node->name = name;
  return out;
}

void Var::backward(bool retain_graph) {
  Tensor seed = Tensor::full(value().shape(), 1.0, value().dtype());
  backward(seed, retain_graph);
}

void Var::backward(const Tensor& seed, bool retain_graph) {
  XRDID_CHECK(requires_grad(), "backward() on a value that does not require a gradient");
  XRDID_CHECK(seed.shape() == value().shape(), "backward(): seed shape differs from the value's");
  // Topological order by iterative depth-first search over nodes. `order` holds owning
  // handles: releasing a node's closure below must not free a VarImpl still to be visited.
  std::vector<std::shared_ptr<VarImpl>> order;
  std::unordered_set<VarImpl*> seen;
  std::vector<std::pair<std::shared_ptr<VarImpl>, std::size_t>> stack{{p_, 0}};
  seen.insert(p_.get());
  while (!stack.empty()) {
    VarImpl* v = stack.back().first.get();
    std::size_t& next = stack.back().second;
    if (v->node && next < v->node->inputs.size()) {
      const std::shared_ptr<VarImpl>& child = v->node->inputs[next++].p_;
      if (child->requires_grad && child->node && seen.insert(child.get()).second) stack.push_back({child, 0});
      continue;
    }
    order.push_back(std::move(stack.back().first));
    stack.pop_back();
  }
  // Seed, then walk from the output back to the leaves.
  grad_ref();
  ops::add_inplace(p_->grad, seed);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    VarImpl* v = it->get();
    if (!v->node || !v->grad.defined()) continue;
    v->node->backward(v->grad);
    if (!retain_graph) {
      v->node.reset();
      if (v != p_.get()) v->grad = Tensor();
    }
  }
}

}  // namespace xrdid::nn
