// Tape and planned step engines (see step_engine.hpp).
#include "train/step_engine.hpp"

#include <algorithm>

#include "nn/exec/net1d_executor.hpp"
#include "nn/functional.hpp"

namespace xrdid::train {

void count_hits(const nn::Tensor& cos, const std::vector<std::int64_t>& y, double& h1, double& h5) {
  auto top = nn::F::topk(cos, static_cast<int>(std::min<std::int64_t>(5, cos.dim(1))));
  for (std::size_t i = 0; i < y.size(); ++i) {
    h1 += top[i][0] == y[i];
    h5 += std::find(top[i].begin(), top[i].end(), y[i]) != top[i].end();
  }
}

namespace {

class TapeEngine final : public StepEngine {
 public:
  TapeEngine(nn::Net1D& net, nn::CosineHead& head, nn::Optimizer& optim, const LossOptions& loss)
      : net_(net), head_(head), optim_(optim), loss_(loss) {}
  std::string name() const override { return "tape (cpu)"; }
  StepStats train_step(const nn::Tensor& x, const std::vector<std::int64_t>& y, std::uint64_t seed,
                       double lr) override {
    nn::ForwardCtx ctx{true, seed, 0};
    optim_.lr = lr;
    optim_.zero_grad();
    nn::Var cos = head_.forward(net_.forward(nn::Var(x), ctx));
    nn::Var loss;
    if (loss_.loss == nn::Loss::CosFace) loss = nn::F::cosface_loss(cos, y, loss_.scale, loss_.margin);
    else if (loss_.loss == nn::Loss::AdaCos) loss = nn::F::cross_entropy(nn::F::adacos_logits(cos, y, adacos_s_), y);
    else loss = nn::F::cross_entropy(cos, y);
    loss.backward();
    optim_.step();
    StepStats st;
    st.loss = loss.value().item();
    count_hits(cos.value(), y, st.top1_hits, st.top5_hits);
    return st;
  }
  nn::Tensor cosines(const nn::Tensor& x) override {
    nn::NoGradGuard ng;
    nn::ForwardCtx ctx{false, 0, 0};
    return head_.forward(net_.forward(nn::Var(x), ctx)).value();
  }
  double adacos_scale() override { return adacos_s_; }
  void set_adacos_scale(double s) override { adacos_s_ = s; }
  void to_host() override {}
  void from_host() override {}

 private:
  nn::Net1D& net_;
  nn::CosineHead& head_;
  nn::Optimizer& optim_;
  LossOptions loss_;
  double adacos_s_ = 0;
};

class PlannedEngine final : public StepEngine {
 public:
  PlannedEngine(nn::Net1D& net, nn::CosineHead& head, nn::Adam& adam, const LossOptions& loss,
                const compute::DeviceOptions& dev)
      : adam_(adam), backend_(compute::make_backend(dev)), ex_(*backend_, net, head, options(adam, loss)) {
    ex_.upload_optimizer(adam_);
  }
  std::string name() const override { return "planned (" + backend_->name() + ")"; }
  StepStats train_step(const nn::Tensor& x, const std::vector<std::int64_t>& y, std::uint64_t seed,
                       double lr) override {
    const auto n = static_cast<std::int64_t>(y.size());
    adam_.lr = lr;
    const nn::exec::StepResult r = ex_.train_step(x.data<float>(), y.data(), n, seed, lr);
    StepStats st;
    st.loss = r.loss;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t* row = r.topk.data() + i * r.k;
      st.top1_hits += row[0] == y[static_cast<std::size_t>(i)];
      st.top5_hits += std::find(row, row + r.k, y[static_cast<std::size_t>(i)]) != row + r.k;
    }
    return st;
  }
  nn::Tensor cosines(const nn::Tensor& x) override {
    nn::Tensor c = nn::Tensor::empty({x.dim(0), ex_.num_classes()});
    ex_.infer(x.data<float>(), x.dim(0), nullptr, c.data<float>());
    return c;
  }
  double adacos_scale() override { return ex_.adacos_scale(); }
  void set_adacos_scale(double s) override { ex_.set_adacos_scale(s); }
  void to_host() override {
    ex_.download_model();
    ex_.download_optimizer(adam_);
  }
  void from_host() override {
    ex_.upload_model();
    ex_.upload_optimizer(adam_);
  }

 private:
  static nn::exec::ExecutorOptions options(const nn::Adam& a, const LossOptions& l) {
    nn::exec::ExecutorOptions o;
    o.loss = l.loss;
    o.scale = l.scale;
    o.margin = l.margin;
    o.beta1 = a.beta1;
    o.beta2 = a.beta2;
    o.adam_eps = a.eps;
    o.weight_decay = a.weight_decay;
    o.decoupled = a.decoupled;
    return o;
  }
  nn::Adam& adam_;
  std::unique_ptr<nn::exec::Backend<float>> backend_;
  nn::exec::Net1DExecutor<float> ex_;
};

}  // namespace

std::unique_ptr<StepEngine> make_tape_engine(nn::Net1D& net, nn::CosineHead& head, nn::Optimizer& optim,
                                             const LossOptions& loss) {
  return std::make_unique<TapeEngine>(net, head, optim, loss);
}

std::unique_ptr<StepEngine> make_planned_engine(nn::Net1D& net, nn::CosineHead& head, nn::Optimizer& optim,
                                                const LossOptions& loss, const compute::DeviceOptions& dev) {
  auto* adam = dynamic_cast<nn::Adam*>(&optim);
  XRDID_CHECK(adam != nullptr, "the planned engine (and --device cuda) trains with adam or adamw, not sgd");
  return std::make_unique<PlannedEngine>(net, head, *adam, loss, dev);
}

Engine resolve_engine(Engine engine, const compute::DeviceOptions& dev) {
  const Engine kind = engine == Engine::Auto ? (dev.device == "cpu" ? Engine::Tape : Engine::Planned) : engine;
  XRDID_CHECK(kind == Engine::Planned || dev.device == "cpu",
              "--engine tape runs on the CPU only (use --engine planned or auto with --device cuda)");
  return kind;
}

std::unique_ptr<StepEngine> make_step_engine(Engine engine, nn::Net1D& net, nn::CosineHead& head,
                                             nn::Optimizer& optim, const LossOptions& loss, const compute::DeviceOptions& dev) {
  return resolve_engine(engine, dev) == Engine::Tape ? make_tape_engine(net, head, optim, loss)
                                               : make_planned_engine(net, head, optim, loss, dev);
}

}  // namespace xrdid::train
