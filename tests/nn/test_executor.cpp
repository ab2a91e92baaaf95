// The planned executor (nn/exec/) on the CPU backend against the autograd tape: the same
// training steps (loss, every parameter, running statistics, Adam moments, batch counters, the
// AdaCos scale) and the same eval-mode cosines. The CUDA backend is checked against this one
// in tests/gpu/.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nn/exec/cpu_backend.hpp"
#include "nn/exec/net1d_executor.hpp"
#include "nn/functional.hpp"
#include "common/worst.hpp"

using namespace xrdid::nn;

namespace {

struct Case {
  std::string config = "tiny";
  std::string loss = "cosface";
  bool adamw = false;
  double weight_decay = 0.0;
  bool use_bn = true, use_do = true;
  double dropout = 0.1;
  int length = 24, batch = 4, classes = 5, steps = 3;
};

// Adam's eps: a bias followed by batch norm has a true gradient of zero, so its computed gradient
// is rounding noise (~1e-15) that Adam divides by |g| + eps: with eps = 1e-8 a different but
// equally valid summation order moves such a parameter by ~1e-9 after three steps. eps = 1e-4
// keeps that noise below 1e-12 while every real gradient still goes through Adam's arithmetic.
constexpr double kAdamEps = 1e-4;

template <class T>
struct Model {
  Net1D net;
  CosineHead head;
  Adam adam;
  static std::vector<std::pair<std::string, Var*>> params(Net1D& n, CosineHead& h) {
    auto p = n.named_parameters();
    for (auto& q : h.named_parameters("head.")) p.push_back(q);
    return p;
  }
  Model(const Net1DConfig& cfg, const Case& c, Rng&& rng)
      : net(cfg, rng, dtype_of<T>()),
        head(c.classes, cfg.embedding_dim(), rng, dtype_of<T>()),
        adam(params(net, head), 1e-3, 0.9, 0.999, kAdamEps, c.weight_decay, c.adamw) {}
};

double max_diff(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector(), vb = b.to_vector();
  REQUIRE(va.size() == vb.size());
  double m = 0;
  for (std::size_t i = 0; i < va.size(); ++i) m = xrdid::testing::worse(m, std::abs(va[i] - vb[i]));
  return m;
}

// Runs c.steps training steps on the tape and on the executor from identical models, then
// compares everything; tol bounds |tape - executor| (only summation order differs).
template <class T>
void compare_training(const Case& c, double tol) {
  Net1DConfig cfg = net1d_config(c.config);
  cfg.input_length = c.length;
  cfg.use_bn = c.use_bn;
  cfg.use_do = c.use_do;
  cfg.dropout = c.dropout;
  Model<T> tape(cfg, c, Rng(7)), plan(cfg, c, Rng(7));
  auto backend = exec::make_cpu_backend<T>();
  exec::ExecutorOptions eo;
  eo.loss = parse_loss(c.loss);
  eo.decoupled = c.adamw;
  eo.weight_decay = c.weight_decay;
  eo.adam_eps = kAdamEps;
  exec::Net1DExecutor<T> ex(*backend, plan.net, plan.head, eo);
  ex.upload_optimizer(plan.adam);
  double s_tape = F::adacos_initial_scale(c.classes);
  ex.set_adacos_scale(s_tape);

  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int step = 0; step < c.steps; ++step) {
    std::vector<float> x(static_cast<std::size_t>(c.batch * c.length));
    for (auto& v : x) v = static_cast<float>(u(rng));
    std::vector<std::int64_t> y(static_cast<std::size_t>(c.batch));
    for (int i = 0; i < c.batch; ++i) y[static_cast<std::size_t>(i)] = (i * 3 + step) % c.classes;
    const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(step);
    const double lr = 1e-3 * (1 + step);

    // The tape, exactly as train/trainer.cpp steps.
    Tensor xt = Tensor::from_vector({c.batch, 1, c.length}, std::vector<float>(x.begin(), x.end())).to(dtype_of<T>());
    ForwardCtx ctx{true, seed, 0};
    tape.adam.zero_grad();
    tape.adam.lr = lr;
    Var cos = tape.head.forward(tape.net.forward(Var(xt), ctx));
    Var loss;
    if (c.loss == "cosface") loss = F::cosface_loss(cos, y, 30.0, 0.4);
    else if (c.loss == "adacos") loss = F::cross_entropy(F::adacos_logits(cos, y, s_tape), y);
    else loss = F::cross_entropy(cos, y);
    loss.backward();
    tape.adam.step();

    exec::StepResult r = ex.train_step(x.data(), y.data(), c.batch, seed, lr);
    INFO("step " << step << " loss " << loss.value().item() << " vs " << r.loss);
    CHECK(std::abs(r.loss - loss.value().item()) <= tol * (1 + std::abs(r.loss)));
    auto top = F::topk(cos.value(), r.k);
    int same = 0;
    for (int i = 0; i < c.batch; ++i) same += top[static_cast<std::size_t>(i)][0] == r.topk[static_cast<std::size_t>(i * r.k)];
    CHECK(same == c.batch);
  }
  if (c.loss == "adacos") CHECK(std::abs(ex.adacos_scale() - s_tape) <= tol * s_tape);

  ex.download_model();
  ex.download_optimizer(plan.adam);
  auto pa = Model<T>::params(tape.net, tape.head), pb = Model<T>::params(plan.net, plan.head);
  REQUIRE(pa.size() == pb.size());
  double worst = 0;
  std::string worst_name;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const double d = max_diff(pa[i].second->value(), pb[i].second->value());
    if (d > worst) worst = d, worst_name = pa[i].first;
  }
  INFO("worst parameter " << worst_name << " differs by " << worst);
  CHECK(worst <= tol);
  auto ba = tape.net.named_buffers(), bb = plan.net.named_buffers();
  for (std::size_t i = 0; i < ba.size(); ++i) {
    INFO(ba[i].first);
    CHECK(max_diff(*ba[i].second, *bb[i].second) <= tol);
  }
  auto sa = tape.adam.named_state(), sb = plan.adam.named_state();
  CHECK(sb[0].second->item() == c.steps);
  for (std::size_t i = 0; i < sa.size(); ++i) {
    INFO(sa[i].first);
    CHECK(max_diff(*sa[i].second, *sb[i].second) <= tol);
  }
  // The parameters actually moved (the comparison is not vacuous).
  Model<T> fresh(cfg, c, Rng(7));
  CHECK(max_diff(fresh.head.weight.value(), plan.head.weight.value()) > 1e-5);

  // Eval mode on a different batch size (a second plan).
  const int n = c.batch + 1;
  std::vector<float> x(static_cast<std::size_t>(n * c.length));
  for (auto& v : x) v = static_cast<float>(u(rng));
  std::vector<float> cos_ex(static_cast<std::size_t>(n * c.classes)), emb_ex(static_cast<std::size_t>(n * cfg.embedding_dim()));
  ex.infer(x.data(), n, emb_ex.data(), cos_ex.data());
  Tensor xt = Tensor::from_vector({n, 1, c.length}, std::vector<float>(x.begin(), x.end())).to(dtype_of<T>());
  ForwardCtx ectx{false, 0, 0};
  Var emb = tape.net.forward(Var(xt), ectx);
  Tensor cos = tape.head.forward(emb).value();
  double dc = 0, de = 0;
  for (std::int64_t i = 0; i < cos.numel(); ++i) dc = std::max(dc, std::abs(cos.item(i) - cos_ex[static_cast<std::size_t>(i)]));
  for (std::int64_t i = 0; i < emb.value().numel(); ++i)
    de = std::max(de, std::abs(emb.value().item(i) - emb_ex[static_cast<std::size_t>(i)]));
  // Outputs come back as float: 1e-6 covers the rounding of values of order 1.
  CHECK(dc <= 1e-6 + tol);
  CHECK(de <= 1e-6 * (1 + std::abs(emb.value().item(0))) + tol);
}

}  // namespace

// Double: the two paths differ only in the order of gradient accumulations (a few ulp); Adam's
// first steps divide by sqrt(v) ~ |g|, so parameter updates stay within ~1e-12 of each other.
TEST_CASE("executor reproduces the tape: cosface, Adam, dropout, double") {
  compare_training<double>(Case{}, 1e-10);
}

TEST_CASE("executor reproduces the tape: AdaCos with AdamW and weight decay") {
  Case c;
  c.loss = "adacos";
  c.adamw = true;
  c.weight_decay = 0.01;
  compare_training<double>(c, 1e-10);
}

TEST_CASE("executor reproduces the tape: softmax, Adam with L2 decay, odd length, batch 1") {
  Case c;
  c.loss = "softmax";
  c.weight_decay = 0.001;
  c.length = 23;
  c.batch = 1;
  compare_training<double>(c, 1e-10);
}

TEST_CASE("executor reproduces the tape without batch norm, and without dropout") {
  Case c;
  c.use_bn = false;
  c.length = 25;
  compare_training<double>(c, 1e-10);
  Case d;
  d.use_do = false;
  d.dropout = 0.0;
  compare_training<double>(d, 1e-10);
}

// Float: summation-order differences of ~1e-7 relative grow through three Adam steps whose
// size is lr; 2e-5 leaves room for that and still catches a missed gradient term (whose
// effect is ~lr = 1e-3).
TEST_CASE("executor reproduces the tape in float on the compact configuration") {
  Case c;
  c.config = "compact";
  c.length = 200;
  c.batch = 3;
  c.classes = 7;
  c.steps = 2;
  compare_training<float>(c, 2e-5);
}

TEST_CASE("executor refuses what it cannot run") {
  Net1DConfig cfg = net1d_config("tiny");
  Rng rng(1);
  Net1D net(cfg, rng);
  CosineHead head(4, cfg.embedding_dim(), rng);
  auto be = exec::make_cpu_backend<float>();
  CHECK_THROWS_WITH(parse_loss("triplet"), doctest::Contains("unknown loss"));
  exec::Net1DExecutor<float> ex(*be, net, head, exec::ExecutorOptions{});
  std::vector<float> x(24, 0.5f);
  std::vector<std::int64_t> y{9};
  CHECK_THROWS_WITH(ex.train_step(x.data(), y.data(), 1, 1, 1e-3), doctest::Contains("outside [0, 4)"));
  auto bd = exec::make_cpu_backend<double>();
  CHECK_THROWS_WITH(exec::Net1DExecutor<double>(*bd, net, head, exec::ExecutorOptions{}), doctest::Contains("dtype"));
}

TEST_CASE("an inference-only executor embeds like the tape, keeps no optimiser state and refuses to train") {
  Net1DConfig cfg = net1d_config("tiny");
  cfg.input_length = 31;
  Rng rng(4);
  Net1D net(cfg, rng);
  CosineHead head(3, cfg.embedding_dim(), rng);
  auto be = exec::make_cpu_backend<float>();
  exec::ExecutorOptions io;
  io.inference_only = true;
  exec::Net1DExecutor<float> inf(*be, net, head, io), full(*be, net, head, exec::ExecutorOptions{});
  CHECK(inf.state_bytes() * 2 < full.state_bytes());  // parameters only, no gradients or moments
  const int n = 5;
  std::vector<float> x(static_cast<std::size_t>(n * 31));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 11) / 11.f;
  std::vector<float> ea(static_cast<std::size_t>(n * cfg.embedding_dim())), eb(ea.size());
  inf.infer(x.data(), n, ea.data(), nullptr);
  Tensor xt = Tensor::from_vector({n, 1, 31}, x);
  ForwardCtx ctx{false, 0, 0};
  Tensor e = net.forward(Var(xt), ctx).value();
  double d = 0;
  for (std::size_t i = 0; i < ea.size(); ++i)
    d = xrdid::testing::worse(d, std::abs(static_cast<double>(ea[i]) - e.item(static_cast<std::int64_t>(i))));
  CHECK(d <= 1e-5);  // float, summation order of the same ops
  // Without cosines the head is not run; the embedding is the same, bit for bit, as with them.
  std::vector<float> cos(static_cast<std::size_t>(n * 3), std::nanf(""));
  std::fill(eb.begin(), eb.end(), std::nanf(""));
  inf.infer(x.data(), n, eb.data(), cos.data());
  bool same = true, finite = true;
  for (std::size_t i = 0; i < ea.size(); ++i) same = same && ea[i] == eb[i];
  for (float c : cos) finite = finite && std::isfinite(c) && std::abs(c) <= 1.0001f;
  CHECK(same);
  CHECK(finite);
  std::fill(ea.begin(), ea.end(), std::nanf(""));
  inf.infer(x.data(), n, ea.data(), nullptr);  // after the cosines' run: its own plan steps again
  same = true;
  for (std::size_t i = 0; i < ea.size(); ++i) same = same && ea[i] == eb[i];
  CHECK(same);
  // The inference plan's memory is that of the largest block, far below the training plan's.
  CHECK(inf.plan_size(n, false) * 3 < full.plan_size(n, true));
  std::vector<std::int64_t> y(n, 0);
  CHECK_THROWS_WITH(inf.train_step(x.data(), y.data(), n, 1, 1e-3), doctest::Contains("cannot train"));
}

TEST_CASE("the CPU backend keeps the convolution weights' layouts between inferences, until the weights change") {
  // 16 channels per group: the grouped convolutions run the direct kernel from a kept layout.
  Net1DConfig cfg = net1d_config("tiny");
  cfg.base_filters = 16;
  cfg.filter_list = {32, 64};
  cfg.groups_width = 16;
  cfg.input_length = 40;
  Rng rng(5);
  Net1D net(cfg, rng);
  CosineHead head(3, cfg.embedding_dim(), rng);
  exec::ExecutorOptions io;
  io.inference_only = true;
  auto be = exec::make_cpu_backend<float>();
  exec::Net1DExecutor<float> inf(*be, net, head, io);
  const int n = 3;
  std::vector<float> x(static_cast<std::size_t>(n * cfg.input_length));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 29) % 13) / 13.f;
  const std::size_t ne = static_cast<std::size_t>(n * cfg.embedding_dim());
  auto embed = [&](exec::Net1DExecutor<float>& e) {
    std::vector<float> out(ne, std::nanf(""));
    e.infer(x.data(), n, out.data(), nullptr);
    return out;
  };
  auto same_bits = [](const std::vector<float>& a, const std::vector<float>& b) {
    bool same = a.size() == b.size();
    for (std::size_t i = 0; same && i < a.size(); ++i) same = std::isfinite(a[i]) && a[i] == b[i];
    return same;
  };
  const std::vector<float> first = embed(inf), again = embed(inf);
  CHECK(same_bits(first, again));
  // New weights uploaded: the next inference uses them, exactly as a fresh executor does.
  for (Var* p : net.parameters()) {
    float* v = p->value_mut().data<float>();
    for (std::int64_t i = 0; i < p->value().numel(); ++i) v[i] = v[i] * 0.75f + 0.01f * static_cast<float>(i % 7);
  }
  inf.upload_model();
  const std::vector<float> changed = embed(inf);
  auto be2 = exec::make_cpu_backend<float>();
  exec::Net1DExecutor<float> fresh(*be2, net, head, io);
  CHECK(same_bits(changed, embed(fresh)));
  CHECK_FALSE(same_bits(changed, first));
  // And the tape agrees with the new weights.
  Tensor xt = Tensor::from_vector({n, 1, cfg.input_length}, x);
  ForwardCtx ctx{false, 0, 0};
  const Tensor e = net.forward(Var(xt), ctx).value();
  double worst = 0;
  for (std::size_t i = 0; i < ne; ++i) {
    const double d = std::abs(static_cast<double>(changed[i]) - e.item(static_cast<std::int64_t>(i)));
    worst = xrdid::testing::worse(worst, d);
  }
  CHECK(worst <= 1e-5);
}
