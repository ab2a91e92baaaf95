// Ops, Net1D, cosine head, CosFace/AdaCos and Adam against PyTorch 1.13 reference values
// (tests/data/torch/*.safetensors, written by scripts/gen_torch_fixtures.py; see its docstring).
//
// Tolerances.
//  * F64: |got - ref| <= 1e-9 * (|ref| + max|ref|) + 1e-12. Both sides round at 2.2e-16 per
//    operation; the fixtures sum at most a few hundred terms and pass through BN / L2
//    normalisation with condition numbers well below 1e3, so honest differences stay under
//    ~1e-12 relative. 1e-9 leaves margin for any summation order, while a formula error (pad side,
//    biased vs unbiased variance, momentum, margin, lower median) shows up at >= 1e-4. The 1e-12
//    absolute floor covers gradients that are exactly zero in theory and rounding noise in
//    practice (conv biases followed by train-mode BN).
//  * F32 conv1d / linear: the rigorous forward-error bound of a dot product of n terms in any
//    order, |got - ref| <= gamma_n * sum|terms| + u * |ref|, gamma_n = n u / (1 - n u), u = 2^-24;
//    sum|terms| is the same computation on |inputs| (stored by the generator), ref is the F64
//    result from the F32-rounded inputs.
//  * F32 Net1D eval forward: errors compound over the layers; bound depth * (n_max + 2) * u
//    relative to max|ref| (depth = convolutions on the longest path, n_max = longest reduction).
//
// Set XRDID_FIXTURE_REPORT=1 to print the largest error of every compared tensor.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/functional.hpp"
#include "nn/net1d.hpp"
#include "nn/optim.hpp"
#include "nn/safetensors.hpp"

using namespace xrdid::nn;

namespace {

std::string fixture_path(const std::string& name) { return std::string(XRDID_TEST_DATA) + "/torch/" + name; }

struct Fixture {
  std::string path;
  SafetensorsFile file;
  explicit Fixture(const std::string& name) : path(fixture_path(name)), file(load_safetensors(path)) {}
  const Tensor& operator[](const std::string& n) const { return file.get(n, path); }
  bool has(const std::string& n) const { return file.tensors.count(n) != 0; }
};

const Fixture& ops64() {
  static Fixture f("ops_f64.safetensors");
  return f;
}
const Fixture& ops32() {
  static Fixture f("ops_f32.safetensors");
  return f;
}
const Fixture& net64() {
  static Fixture f("net1d_f64.safetensors");
  return f;
}

bool report_enabled() {
  static const bool on = std::getenv("XRDID_FIXTURE_REPORT") != nullptr;
  return on;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// F64 rule (see the header). Returns the largest |got-ref| / max(max|ref|, 1e-300).
double check_f64(const Tensor& got, const Tensor& ref, const std::string& what, double rtol = 1e-9,
                 double atol = 1e-12, const std::vector<double>* extra_tol = nullptr) {
  REQUIRE_MESSAGE(got.defined(), what << ": no value");
  REQUIRE_MESSAGE(got.shape() == ref.shape(), what << ": shape " << shape_str(got.shape()) << " vs torch "
                                                   << shape_str(ref.shape()));
  auto g = got.to_vector(), r = ref.to_vector();
  const double m = max_abs(r);
  double worst = 0, worst_ratio = 0;
  std::size_t worst_i = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    double d = std::fabs(g[i] - r[i]);
    double tol = rtol * (std::fabs(r[i]) + m) + atol + (extra_tol ? (*extra_tol)[i] : 0.0);
    if (!(d <= tol) && d / tol > worst_ratio) {  // also catches NaN
      worst_ratio = std::isnan(d) ? 1e300 : d / tol;
      worst_i = i;
    }
    worst = std::max(worst, std::isnan(d) ? 1e300 : d);
  }
  CHECK_MESSAGE(worst_ratio == 0.0, what << ": element " << worst_i << " ours " << g[worst_i] << " torch "
                                          << r[worst_i] << " (max|torch| " << m << ")");
  double rel = worst / std::max(m, 1e-300);
  if (report_enabled()) std::printf("  %-52s max|diff| %.3e  /max|ref| %.3e\n", what.c_str(), worst, rel);
  return rel;
}

// F32 rule: |got - ref| <= gamma_n * abs + u * |ref|.
void check_f32_bound(const Tensor& got, const Tensor& ref, const Tensor& abs_terms, std::int64_t n,
                     const std::string& what) {
  REQUIRE(got.shape() == ref.shape());
  REQUIRE(abs_terms.shape() == ref.shape());
  const double u = std::ldexp(1.0, -24);
  const double gamma = static_cast<double>(n) * u / (1.0 - static_cast<double>(n) * u);
  auto g = got.to_vector(), r = ref.to_vector(), a = abs_terms.to_vector();
  int bad = 0;
  double worst = 0, worst_frac = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    double d = std::fabs(g[i] - r[i]);
    double tol = gamma * a[i] + u * std::fabs(r[i]) + 1e-30;
    if (!(d <= tol)) ++bad;
    worst = std::max(worst, d);
    worst_frac = std::max(worst_frac, d / tol);
  }
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " elements outside the F32 error bound (n = " << n << ")");
  if (report_enabled())
    std::printf("  %-52s max|diff| %.3e  (%.2f of the bound, n=%lld)\n", what.c_str(), worst, worst_frac,
                static_cast<long long>(n));
}

Var leaf(const Tensor& t) { return Var(t.clone(), true); }

std::vector<std::int64_t> labels_of(const Tensor& t) {
  std::vector<std::int64_t> out;
  for (double v : t.to_vector()) out.push_back(static_cast<std::int64_t>(v));
  return out;
}

F::Conv1dOpts conv_opts(const Tensor& o) {
  auto v = o.to_vector();
  REQUIRE(v.size() == 6);
  F::Conv1dOpts c;
  c.stride = static_cast<int>(v[0]);
  c.dilation = static_cast<int>(v[1]);
  c.groups = static_cast<int>(v[2]);
  c.same = v[3] != 0;
  c.pad_left = static_cast<int>(v[4]);
  c.pad_right = static_cast<int>(v[5]);
  return c;
}

// Unary op: out and the gradient of sum(out * R).
template <class Fn>
void check_unary(const Fixture& fx, const std::string& p, Fn fn) {
  Var x = leaf(fx[p + ".x"]);
  Var out = fn(x);
  check_f64(out.value(), fx[p + ".out"], p + ".out");
  out.backward(fx[p + ".R"]);
  check_f64(x.grad(), fx[p + ".grad_x"], p + ".grad_x");
}

}  // namespace

TEST_CASE("torch fixtures: files load and record their generator command") {
  for (const Fixture* f : {&ops64(), &ops32(), &net64()}) {
    REQUIRE(f->file.metadata.count("generator"));
    CHECK(f->file.metadata.at("generator").find("scripts/gen_torch_fixtures.py") != std::string::npos);
    CHECK(f->file.tensors.size() > 20);
  }
}

TEST_CASE("torch fixtures: conv1d (groups, stride, dilation, odd lengths, same and explicit padding)") {
  const Fixture& fx = ops64();
  for (const char* c : {"c0", "c1", "c2", "c3", "c4", "c5", "c6"}) {
    const std::string p = std::string("conv.") + c;
    CAPTURE(p);
    F::Conv1dOpts o = conv_opts(fx[p + ".opts"]);
    Var x = leaf(fx[p + ".x"]), w = leaf(fx[p + ".w"]);
    Var b = fx.has(p + ".b") ? leaf(fx[p + ".b"]) : Var();
    Var out = F::conv1d(x, w, b, o);
    check_f64(out.value(), fx[p + ".out"], p + ".out");
    out.backward(fx[p + ".R"]);
    check_f64(x.grad(), fx[p + ".grad_x"], p + ".grad_x");
    check_f64(w.grad(), fx[p + ".grad_w"], p + ".grad_w");
    if (b.defined()) check_f64(b.grad(), fx[p + ".grad_b"], p + ".grad_b");
  }
}

TEST_CASE("torch fixtures: batch_norm1d in training (running stats after one update) and eval mode") {
  const Fixture& fx = ops64();
  for (bool training : {true, false}) {
    const std::string p = training ? "bn.train" : "bn.eval";
    Var x = leaf(fx[p + ".x"]), g = leaf(fx[p + ".gamma"]), b = leaf(fx[p + ".beta"]);
    Tensor rm = fx[p + ".rm0"].clone(), rv = fx[p + ".rv0"].clone();
    Var out = F::batch_norm1d(x, g, b, rm, rv, training, 0.1, 1e-5);
    check_f64(out.value(), fx[p + ".out"], p + ".out");
    check_f64(rm, fx[p + ".rm1"], p + ".running_mean");
    check_f64(rv, fx[p + ".rv1"], p + ".running_var");
    out.backward(fx[p + ".R"]);
    check_f64(x.grad(), fx[p + ".grad_x"], p + ".grad_x");
    check_f64(g.grad(), fx[p + ".grad_gamma"], p + ".grad_gamma");
    check_f64(b.grad(), fx[p + ".grad_beta"], p + ".grad_beta");
  }
}

TEST_CASE("torch fixtures: activations, pooling, reductions, channel ops") {
  const Fixture& fx = ops64();
  check_unary(fx, "swish", [](const Var& x) { return F::swish(x); });
  check_unary(fx, "sigmoid", [](const Var& x) { return F::sigmoid(x); });
  check_unary(fx, "relu", [](const Var& x) { return F::relu(x); });
  check_unary(fx, "maxpool.odd", [](const Var& x) { return F::max_pool_same2(x); });
  check_unary(fx, "maxpool.even", [](const Var& x) { return F::max_pool_same2(x); });
  check_unary(fx, "mean", [](const Var& x) { return F::mean_length(x); });
  check_unary(fx, "l2n", [](const Var& x) { return F::l2_normalize_rows(x, 1e-12); });
  {
    auto pads = fx["padch.pads"].to_vector();
    check_unary(fx, "padch", [&](const Var& x) {
      return F::pad_channels(x, static_cast<int>(pads[0]), static_cast<int>(pads[1]));
    });
  }
  {
    Var x = leaf(fx["scale.x"]), e = leaf(fx["scale.e"]);
    Var out = F::scale_channels(x, e);
    check_f64(out.value(), fx["scale.out"], "scale.out");
    out.backward(fx["scale.R"]);
    check_f64(x.grad(), fx["scale.grad_x"], "scale.grad_x");
    check_f64(e.grad(), fx["scale.grad_e"], "scale.grad_e");
  }
  for (const char* name : {"add", "mul"}) {
    const std::string p = name;
    Var a = leaf(fx[p + ".a"]), b = leaf(fx[p + ".b"]);
    Var out = p == "add" ? F::add(a, b) : F::mul(a, b);
    check_f64(out.value(), fx[p + ".out"], p + ".out");
    out.backward(fx[p + ".R"]);
    check_f64(a.grad(), fx[p + ".grad_a"], p + ".grad_a");
    check_f64(b.grad(), fx[p + ".grad_b"], p + ".grad_b");
  }
}

TEST_CASE("torch fixtures: linear and matmul") {
  const Fixture& fx = ops64();
  {
    Var x = leaf(fx["linear.x"]), w = leaf(fx["linear.w"]), b = leaf(fx["linear.b"]);
    Var out = F::linear(x, w, b);
    check_f64(out.value(), fx["linear.out"], "linear.out");
    out.backward(fx["linear.R"]);
    check_f64(x.grad(), fx["linear.grad_x"], "linear.grad_x");
    check_f64(w.grad(), fx["linear.grad_w"], "linear.grad_w");
    check_f64(b.grad(), fx["linear.grad_b"], "linear.grad_b");
  }
  for (bool tb : {false, true}) {
    const std::string p = tb ? "matmul.nt" : "matmul.nn";
    Var a = leaf(fx[p + ".a"]), b = leaf(fx[p + ".b"]);
    Var out = F::matmul(a, b, tb);
    check_f64(out.value(), fx[p + ".out"], p + ".out");
    out.backward(fx[p + ".R"]);
    check_f64(a.grad(), fx[p + ".grad_a"], p + ".grad_a");
    check_f64(b.grad(), fx[p + ".grad_b"], p + ".grad_b");
  }
}

TEST_CASE("torch fixtures: cross-entropy, CosFace, AdaCos (two steps), top-k") {
  const Fixture& fx = ops64();
  {
    Var z = leaf(fx["ce.logits"]);
    Var loss = F::cross_entropy(z, labels_of(fx["ce.labels"]));
    check_f64(loss.value().reshape({1}), fx["ce.loss"], "ce.loss");
    loss.backward();
    check_f64(z.grad(), fx["ce.grad"], "ce.grad");
  }
  {
    Var c = leaf(fx["cosface.c"]);
    Var loss = F::cosface_loss(c, labels_of(fx["cosface.labels"]), 30.0, 0.4);
    check_f64(loss.value().reshape({1}), fx["cosface.loss"], "cosface.loss");
    loss.backward();
    check_f64(c.grad(), fx["cosface.grad"], "cosface.grad");
  }
  {
    double s = F::adacos_initial_scale(5);
    CHECK(s == doctest::Approx(fx["adacos.s0"].item()).epsilon(1e-14));
    for (int step : {1, 2}) {
      const std::string p = "adacos.step" + std::to_string(step);
      Var c = leaf(fx[p + ".c"]);
      Var out = F::adacos_logits(c, labels_of(fx[p + ".labels"]), s);
      CHECK_MESSAGE(s == doctest::Approx(fx["adacos.s" + std::to_string(step)].item()).epsilon(1e-11),
                    "AdaCos scale after step " << step);
      check_f64(out.value(), fx[p + ".out"], p + ".out");
      out.backward(fx[p + ".R"]);
      check_f64(c.grad(), fx[p + ".grad"], p + ".grad");
    }
  }
  {
    auto idx = F::topk(fx["topk.scores"], 3);
    auto ref = fx["topk.idx"].to_vector();
    REQUIRE(idx.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j) CHECK(idx[i][j] == static_cast<std::int64_t>(ref[i * 3 + j]));
  }
}

TEST_CASE("torch fixtures: F32 conv1d and linear within the rounding-error bound") {
  const Fixture& fx = ops32();
  for (const char* c : {"conv.g16", "conv.g16s1", "conv.pw"}) {
    const std::string p = c;
    F::Conv1dOpts o = conv_opts(fx[p + ".opts"]);
    Var x = leaf(fx[p + ".x"]), w = leaf(fx[p + ".w"]), b = leaf(fx[p + ".b"]);
    REQUIRE(x.dtype() == DType::F32);
    const std::int64_t N = x.dim(0), Cin = x.dim(1), Cout = w.dim(0), K = w.dim(2);
    Var out = F::conv1d(x, w, b, o);
    const std::int64_t Lout = out.dim(2);
    check_f32_bound(out.value(), fx[p + ".out"], fx[p + ".abs_out"], Cin / o.groups * K + 2, p + ".out");
    out.backward(fx[p + ".R"]);
    check_f32_bound(x.grad(), fx[p + ".grad_x"], fx[p + ".abs_grad_x"], Cout / o.groups * K + 2, p + ".grad_x");
    check_f32_bound(w.grad(), fx[p + ".grad_w"], fx[p + ".abs_grad_w"], N * Lout + 2, p + ".grad_w");
    // grad_b = sum over (N, L) of R; its |terms| sum is sum |R|.
    Tensor absR = fx[p + ".R"].to(DType::F64);
    double* r = absR.data<double>();
    for (std::int64_t i = 0; i < absR.numel(); ++i) r[i] = std::fabs(r[i]);
    Tensor abs_gb = Tensor::zeros({Cout}, DType::F64);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t co = 0; co < Cout; ++co)
        for (std::int64_t l = 0; l < Lout; ++l) abs_gb.data<double>()[co] += r[(n * Cout + co) * Lout + l];
    check_f32_bound(b.grad(), fx[p + ".grad_b"], abs_gb, N * Lout + 2, p + ".grad_b");
  }
  Var x = leaf(fx["linear.x"]), w = leaf(fx["linear.w"]), b = leaf(fx["linear.b"]);
  Var out = F::linear(x, w, b);
  const std::int64_t in = x.dim(1), outn = w.dim(0), N = x.dim(0);
  check_f32_bound(out.value(), fx["linear.out"], fx["linear.abs_out"], in + 2, "linear32.out");
  out.backward(fx["linear.R"]);
  check_f32_bound(x.grad(), fx["linear.grad_x"], fx["linear.abs_grad_x"], outn + 2, "linear32.grad_x");
  check_f32_bound(w.grad(), fx["linear.grad_w"], fx["linear.abs_grad_w"], N + 2, "linear32.grad_w");
}

TEST_CASE("torch fixtures: reduced Net1D train step (forward, CosFace, backward, BN buffers, Adam)") {
  const Fixture& fx = net64();
  REQUIRE(fx.file.metadata.count("config"));
  Net1DConfig cfg = nlohmann::json::parse(fx.file.metadata.at("config")).get<Net1DConfig>();
  REQUIRE_FALSE(cfg.use_do);  // dropout masks are counter-based here, Bernoulli in torch
  const int classes = std::stoi(fx.file.metadata.at("num_classes"));
  Rng rng(7);
  Net1D net(cfg, rng, DType::F64);
  CosineHead head(classes, cfg.embedding_dim(), rng, DType::F64);

  auto params = net.named_parameters();
  for (auto& p : head.named_parameters("head.")) params.push_back(p);
  auto buffers = net.named_buffers();
  std::vector<std::pair<std::string, Tensor*>> dst;
  std::set<std::string> ours;
  for (auto& [n, v] : params) {
    dst.emplace_back(n, &v->value_mut());
    ours.insert(n);
  }
  for (auto& [n, t] : buffers) {
    dst.emplace_back(n, t);
    ours.insert(n);
  }
  // The state_dict of the torch model (+ head.weight) has exactly our names, no more, no less.
  std::set<std::string> theirs;
  for (auto& [n, t] : fx.file.tensors) {
    static const char* kPrefixes[] = {"in.", "out.", "grad.", "after.", "adam.", "eval.", "f32."};
    bool derived = false;
    for (const char* pre : kPrefixes) derived = derived || n.rfind(pre, 0) == 0;
    if (!derived) theirs.insert(n);
  }
  CHECK(ours == theirs);
  assign_tensors(fx.file, fx.path, dst);

  const std::vector<std::int64_t> labels = labels_of(fx["in.labels"]);
  ForwardCtx ctx{true, 0, 0};
  Var emb = net.forward(Var(fx["in.x"].clone()), ctx);
  Var cos = head.forward(emb);
  Var loss = F::cosface_loss(cos, labels, 30.0, 0.4);
  check_f64(emb.value(), fx["out.embedding"], "net.embedding (train mode)");
  check_f64(cos.value(), fx["out.cosines"], "net.cosines");
  check_f64(loss.value().reshape({1}), fx["out.loss"], "net.cosface_loss");
  loss.backward();  // default: the graph is released during the sweep (see the last test)
  int n_grads = 0;
  for (auto& [n, v] : params) {
    const Tensor& ref = fx["grad." + n];
    if (!v->grad().defined()) {  // never reached by the backward pass (S0B0's pre-activation BN)
      CHECK_MESSAGE(max_abs(ref.to_vector()) == 0.0, "no gradient for " << n << " but torch has one");
      continue;
    }
    check_f64(v->grad(), ref, "grad." + n);
    ++n_grads;
  }
  CHECK(n_grads >= static_cast<int>(params.size()) - 2);
  for (auto& [n, t] : buffers) {
    if (t->dtype() == DType::I64)
      CHECK_MESSAGE(t->item() == fx["after." + n].item(), n);
    else
      check_f64(*t, fx["after." + n], "after." + n);
  }

  // First Adam step: p1 = p0 - lr * g / (|g| + eps) (the bias corrections cancel). Its Lipschitz
  // constant in g is lr / eps = 1e5, so a gradient that is rounding noise in both programs (conv
  // biases followed by train-mode BN: exactly 0 in theory) moves p1 by up to lr*|dg|/eps; that term
  // is added to the tolerance, computed from the measured gradient difference.
  const double lr = 1e-3, adam_eps = 1e-8;
  std::map<std::string, std::vector<double>> extra;
  for (auto& [n, v] : params) {
    auto ref = fx["grad." + n].to_vector();
    std::vector<double> ours = v->grad().defined() ? v->grad().to_vector() : std::vector<double>(ref.size(), 0.0);
    auto& e = extra[n];
    for (std::size_t i = 0; i < ref.size(); ++i) e.push_back(lr * std::fabs(ours[i] - ref[i]) / adam_eps);
  }
  Adam adam(params, lr, 0.9, 0.999, adam_eps);
  adam.step();
  for (auto& [n, v] : params) check_f64(v->value(), fx["adam." + n], "adam." + n, 1e-9, 1e-12, &extra[n]);

  // Eval mode after the step, from torch's updated weights (so that the noise-driven bias updates
  // above do not enter) and OUR updated running statistics (compared with torch's above).
  std::vector<std::pair<std::string, Tensor*>> updated;
  for (auto& [n, v] : params) updated.emplace_back(n, &v->value_mut());
  SafetensorsFile adam_file;
  for (auto& [n, t] : fx.file.tensors)
    if (n.rfind("adam.", 0) == 0) adam_file.tensors.emplace(n.substr(5), t);
  assign_tensors(adam_file, fx.path + " (adam.*)", updated);
  NoGradGuard ng;
  ForwardCtx ev{false, 0, 0};
  Var e2 = net.forward(Var(fx["in.x"].clone()), ev);
  check_f64(e2.value(), fx["eval.embedding"], "net.embedding (eval, after step)");
  check_f64(head.forward(e2).value(), fx["eval.cosines"], "net.cosines (eval, after step)");
}

TEST_CASE("torch fixtures: reduced Net1D F32 eval forward") {
  const Fixture& fx = net64();
  Net1DConfig cfg = nlohmann::json::parse(fx.file.metadata.at("config")).get<Net1DConfig>();
  const int classes = std::stoi(fx.file.metadata.at("num_classes"));
  Rng rng(7);
  Net1D net(cfg, rng, DType::F32);
  CosineHead head(classes, cfg.embedding_dim(), rng, DType::F32);
  std::vector<std::pair<std::string, Tensor*>> dst;
  for (auto& [n, v] : net.named_parameters()) dst.emplace_back(n, &v->value_mut());
  for (auto& [n, t] : net.named_buffers()) dst.emplace_back(n, t);
  dst.emplace_back("head.weight", &head.weight.value_mut());
  assign_tensors(fx.file, fx.path, dst);  // F64 -> F32 conversion, as torch's .float()
  NoGradGuard ng;
  ForwardCtx ev{false, 0, 0};
  Var emb = net.forward(Var(fx["in.x"].to(DType::F32)), ev);
  REQUIRE(emb.dtype() == DType::F32);
  Var cos = head.forward(emb);
  // depth: stem + 3 convs per block; n_max: the longest reduction (grouped k-conv or 1x1 conv).
  std::int64_t depth = 1, n_max = cfg.kernel_size;
  for (std::size_t s = 0; s < cfg.filter_list.size(); ++s) {
    depth += 3 * cfg.m_blocks_list[s];
    n_max = std::max<std::int64_t>(n_max, std::max<std::int64_t>(cfg.groups_width * cfg.kernel_size, cfg.filter_list[s]));
  }
  const double rtol = static_cast<double>(depth * (n_max + 2)) * std::ldexp(1.0, -24);
  CAPTURE(rtol);
  check_f64(emb.value(), fx["f32.embedding_eval"], "net32.embedding (eval)", 0.0, rtol * max_abs(fx["f32.embedding_eval"].to_vector()));
  check_f64(cos.value(), fx["f32.cosines_eval"], "net32.cosines (eval)", 0.0, rtol);
}

// Var::backward() releases each node during the sweep; an intermediate owned only by the graph
// must stay alive until visited (it was a heap-use-after-free once; the Net1D test above found it).
TEST_CASE("autograd: backward() frees nothing it still visits (graph-only intermediates)") {
  Var x(Tensor::from_vector({2, 3}, std::vector<double>{1, -2, 3, 0.5, 0.25, -1}), true);
  // The intermediates below are referenced only by the nodes that consume them.
  Var y = F::sum(F::swish(F::sigmoid(F::swish(x))));
  y.backward();
  REQUIRE(x.grad().defined());
  // d/dx of swish(sigmoid(swish(x))) by the chain rule, in closed form.
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  auto dswish = [&](double v) { return sig(v) * (1.0 + v * (1.0 - sig(v))); };
  auto xs = x.value().to_vector(), g = x.grad().to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    double a = xs[i] * sig(xs[i]), b = sig(a);
    double ref = dswish(b) * b * (1.0 - b) * dswish(xs[i]);
    CHECK(g[i] == doctest::Approx(ref).epsilon(1e-12));
  }
}
