// Adam / AdamW / SGD updates (torch.optim semantics, single-tensor "for-loop" variant).
#include "nn/optim.hpp"

#include <cmath>

#include "nn/dispatch.hpp"
#include "nn/ops/adam.hpp"

namespace xrdid::nn {

void Optimizer::zero_grad() {
  for (auto& [n, p] : params_) p->zero_grad();
}

Adam::Adam(std::vector<std::pair<std::string, Var*>> params, double lr_, double b1, double b2, double e,
           double wd, bool dec)
    : Optimizer(std::move(params)), beta1(b1), beta2(b2), eps(e), weight_decay(wd), decoupled(dec) {
  lr = lr_;
  for (auto& [n, p] : params_) {
    m_.push_back(Tensor::zeros(p->shape(), p->dtype()));
    v_.push_back(Tensor::zeros(p->shape(), p->dtype()));
  }
  step_ = Tensor::zeros({}, DType::I64);
}

namespace {
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::int64_t n, double lr, double mom, double wd, bool nesterov,
                bool first) {
  const T tl = static_cast<T>(lr), tm = static_cast<T>(mom), tw = static_cast<T>(wd);
#pragma omp parallel for simd if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) {
    T d = g[i] + tw * p[i];
    if (mom != 0.0) {
      buf[i] = first ? d : tm * buf[i] + d;
      d = nesterov ? d + tm * buf[i] : buf[i];
    }
    p[i] -= tl * d;
  }
}
}  // namespace

void Adam::step() {
  std::int64_t t = ++step_.data<std::int64_t>()[0];
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Var& p = *params_[i].second;
    if (!p.grad().defined()) continue;  // a parameter that took no part has no gradient
    Tensor& val = p.value_mut();
    XRDID_DISPATCH_FLOAT(val.dtype(), T,
                         ops::adam_update<T>(val.data<T>(), p.grad().data<T>(), m_[i].data<T>(), v_[i].data<T>(),
                                        val.numel(), lr, beta1, beta2, eps, weight_decay, decoupled, bc1, bc2));
  }
}

std::vector<std::pair<std::string, Tensor*>> Adam::named_state() {
  std::vector<std::pair<std::string, Tensor*>> s{{"step", &step_}};
  for (std::size_t i = 0; i < params_.size(); ++i) {
    s.emplace_back("exp_avg." + params_[i].first, &m_[i]);
    s.emplace_back("exp_avg_sq." + params_[i].first, &v_[i]);
  }
  return s;
}

Sgd::Sgd(std::vector<std::pair<std::string, Var*>> params, double lr_, double mom, double wd, bool nest)
    : Optimizer(std::move(params)), momentum(mom), weight_decay(wd), nesterov(nest) {
  lr = lr_;
  for (auto& [n, p] : params_) buf_.push_back(Tensor::zeros(p->shape(), p->dtype()));
}

void Sgd::step() {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Var& p = *params_[i].second;
    if (!p.grad().defined()) continue;
    Tensor& val = p.value_mut();
    XRDID_DISPATCH_FLOAT(val.dtype(), T,
                         sgd_update<T>(val.data<T>(), p.grad().data<T>(), buf_[i].data<T>(), val.numel(), lr,
                                       momentum, weight_decay, nesterov, !started_));
  }
  started_ = true;
}

std::vector<std::pair<std::string, Tensor*>> Sgd::named_state() {
  std::vector<std::pair<std::string, Tensor*>> s;
  for (std::size_t i = 0; i < params_.size(); ++i) s.emplace_back("momentum_buffer." + params_[i].first, &buf_[i]);
  return s;
}

std::unique_ptr<Optimizer> make_optimizer(OptimizerKind kind, std::vector<std::pair<std::string, Var*>> params,
                                          double lr, double weight_decay) {
  switch (kind) {
    case OptimizerKind::Adam: return std::make_unique<Adam>(std::move(params), lr, 0.9, 0.999, 1e-8, weight_decay);
    case OptimizerKind::AdamW:
      return std::make_unique<Adam>(std::move(params), lr, 0.9, 0.999, 1e-8, weight_decay, true);
    case OptimizerKind::Sgd: return std::make_unique<Sgd>(std::move(params), lr, 0.9, weight_decay);
  }
  XRDID_CHECK(false, "unknown optimizer kind");
  return nullptr;
}

}  // namespace xrdid::nn
