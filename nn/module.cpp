// Module tree traversal and initialisation helpers.
#include "nn/module.hpp"

#include "nn/dispatch.hpp"

namespace xrdid::nn {

std::vector<std::pair<std::string, Var*>> Module::named_parameters(const std::string& prefix) {
  std::vector<std::pair<std::string, Var*>> out;
  for (auto& [n, v] : params_) out.emplace_back(prefix + n, v);
  for (auto& [n, m] : children_) {
    auto sub = m->named_parameters(prefix + n + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::named_buffers(const std::string& prefix) {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  for (auto& [n, m] : children_) {
    auto sub = m->named_buffers(prefix + n + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<Var*> Module::parameters() {
  std::vector<Var*> out;
  for (auto& [n, v] : named_parameters()) out.push_back(v);
  return out;
}

std::int64_t Module::num_parameters() {
  std::int64_t n = 0;
  for (auto* v : parameters()) n += v->value().numel();
  return n;
}

void Module::zero_grad() {
  for (auto* v : parameters()) v->zero_grad();
}

void init_uniform(Tensor& t, double bound, Rng& rng) {
  std::uniform_real_distribution<double> u(-bound, bound);
  XRDID_DISPATCH_FLOAT(t.dtype(), T, {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(u(rng));
  });
}

}  // namespace xrdid::nn
