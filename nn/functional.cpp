// The autograd front of the CPU reference ops: shape checks, the forward op, and a backward
// closure that saves what it needs (statistics, seeds, normalised rows) and ACCUMULATES into
// the inputs' gradients.
#include "nn/functional.hpp"

#include <cmath>
#include <string>

#include "nn/dispatch.hpp"
#include "nn/ops/activation.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/channel.hpp"
#include "nn/ops/conv1d.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/loss.hpp"
#include "nn/ops/norm.hpp"
#include "nn/ops/pool.hpp"

namespace xrdid::nn::F {

namespace {

// Gradient buffer of v if it needs one, else nullptr.
// (Takes a const handle: lambdas capture the const Var& parameters as const copies, and the
// gradient lives in the shared VarImpl, so a non-const copy of the handle reaches it.)
template <class T>
T* gptr(const Var& v) {
  if (!v.defined() || !v.requires_grad()) return nullptr;
  Var h = v;
  return h.grad_ref().template data<T>();
}

template <class T>
const T* cptr(const Var& v) {
  return v.defined() ? v.value().template data<T>() : nullptr;
}

void check_cpu_float(const Var& v, const char* op) {
  XRDID_CHECK(v.defined(), std::string(op) + ": undefined input");
  XRDID_CHECK(v.value().device() == Device::CPU, std::string(op) + ": CPU tensors only");
  XRDID_CHECK(v.dtype() == DType::F32 || v.dtype() == DType::F64, std::string(op) + ": needs F32 or F64");
}

void check_same_dtype(const Var& a, const Var& b, const char* op) {
  XRDID_CHECK(a.dtype() == b.dtype(), std::string(op) + ": inputs have different dtypes");
}

void check_labels(const std::vector<std::int64_t>& labels, std::int64_t N, std::int64_t C, const char* op) {
  XRDID_CHECK(static_cast<std::int64_t>(labels.size()) == N,
              std::string(op) + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(N) + " rows");
  for (std::int64_t y : labels)
    XRDID_CHECK(y >= 0 && y < C, std::string(op) + ": label " + std::to_string(y) + " outside [0, " +
                                     std::to_string(C) + ")");
}

}  // namespace

// ---- convolution -------------------------------------------------------------------------
Var conv1d(const Var& x, const Var& w, const Var& b, const Conv1dOpts& o) {
  check_cpu_float(x, "conv1d");
  check_cpu_float(w, "conv1d");
  check_same_dtype(x, w, "conv1d");
  XRDID_CHECK(x.value().ndim() == 3 && w.value().ndim() == 3,
              "conv1d: x " + shape_str(x.shape()) + " and w " + shape_str(w.shape()) + " must be 3-d");
  const std::int64_t N = x.dim(0), C_in = x.dim(1), L = x.dim(2), C_out = w.dim(0), K = w.dim(2);
  XRDID_CHECK(o.groups >= 1 && w.dim(1) * o.groups == C_in,
              "conv1d: w " + shape_str(w.shape()) + " does not match x " + shape_str(x.shape()) +
                  " with groups " + std::to_string(o.groups));
  if (b.defined()) {
    check_same_dtype(x, b, "conv1d");
    XRDID_CHECK(b.shape() == Shape{C_out}, "conv1d: bias shape " + shape_str(b.shape()));
  }
  const ops::Conv1dShape s =
      o.same ? ops::Conv1dShape::same(N, C_in, C_out, L, K, o.stride, o.dilation, o.groups)
             : ops::Conv1dShape::padded(N, C_in, C_out, L, K, o.stride, o.dilation, o.groups, o.pad_left,
                                        o.pad_right);
  Tensor y = Tensor::empty({N, C_out, s.L_out}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::conv1d_forward<T>(s, cptr<T>(x), cptr<T>(w), cptr<T>(b), y.data<T>()));
  std::vector<Var> in{x, w};
  if (b.defined()) in.push_back(b);
  return Var::make(
      y, in,
      [x, w, b, s](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::conv1d_backward<T>(s, cptr<T>(x), cptr<T>(w), g.data<T>(), gptr<T>(x),
                                                     gptr<T>(w), gptr<T>(b)));
      },
      "conv1d");
}

// ---- normalisation and activations --------------------------------------------------------
namespace {
struct BnStats {
  ops::BatchNormShape s;
  Tensor mean, var;  // what the forward normalises with (and backward must see)
};

// Shared by batch_norm1d and bn_swish_dropout: checks the arguments, takes the batch statistics
// (training) or a copy of the running ones (evaluation: backward must see the statistics of this
// forward even if they change later), and updates the running statistics in training.
BnStats bn_statistics(const char* op, const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean,
                      Tensor& running_var, bool training, double momentum) {
  const std::string name(op);
  check_cpu_float(x, op);
  XRDID_CHECK(x.value().ndim() == 3, name + ": x must be (N, C, L), got " + shape_str(x.shape()));
  BnStats st{{x.dim(0), x.dim(1), x.dim(2)}, {}, {}};
  const Shape cs{st.s.C};
  XRDID_CHECK(gamma.defined() && beta.defined() && gamma.shape() == cs && beta.shape() == cs,
              name + ": gamma/beta must be (C) = " + shape_str(cs));
  check_same_dtype(x, gamma, op);
  check_same_dtype(x, beta, op);
  const bool have_running = running_mean.defined() && running_var.defined();
  if (have_running)
    XRDID_CHECK(running_mean.shape() == cs && running_var.shape() == cs && running_mean.dtype() == x.dtype() &&
                    running_var.dtype() == x.dtype(),
                name + ": running statistics must be (C) with the input's dtype");
  XRDID_CHECK(training || have_running, name + ": evaluation needs running statistics");
  const std::int64_t M = st.s.N * st.s.L;
  if (!training) {
    st.mean = running_mean.clone();
    st.var = running_var.clone();
    return st;
  }
  XRDID_CHECK(M >= 2, name + ": training needs more than one value per channel");
  st.mean = Tensor::empty(cs, x.dtype());
  st.var = Tensor::empty(cs, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, {
    ops::batchnorm_stats<T>(st.s, cptr<T>(x), st.mean.data<T>(), st.var.data<T>());
    if (have_running)
      ops::batchnorm_update_running<T>(st.s.C, M, st.mean.data<T>(), st.var.data<T>(), momentum,
                                       running_mean.data<T>(), running_var.data<T>());
  });
  return st;
}
}  // namespace

Var batch_norm1d(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
                 bool training, double momentum, double eps) {
  const BnStats st = bn_statistics("batch_norm1d", x, gamma, beta, running_mean, running_var, training, momentum);
  const auto s = st.s;
  const Tensor mean = st.mean, var = st.var;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T,
                       ops::batchnorm_forward<T>(s, cptr<T>(x), mean.data<T>(), var.data<T>(), cptr<T>(gamma),
                                                 cptr<T>(beta), eps, y.data<T>()));
  return Var::make(
      y, {x, gamma, beta},
      [x, gamma, beta, s, mean, var, eps, training](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::batchnorm_backward<T>(s, cptr<T>(x), mean.data<T>(), var.data<T>(),
                                                        cptr<T>(gamma), g.data<T>(), eps, training, gptr<T>(x),
                                                        gptr<T>(gamma), gptr<T>(beta)));
      },
      "batch_norm1d");
}

Var bn_swish_dropout(const Var& x, const Var& gamma, const Var& beta, Tensor& running_mean, Tensor& running_var,
                     bool training, double momentum, double eps, double p, std::uint64_t seed) {
  XRDID_CHECK(p >= 0.0 && p < 1.0, "bn_swish_dropout: p must be in [0, 1), got " + std::to_string(p));
  const BnStats st =
      bn_statistics("bn_swish_dropout", x, gamma, beta, running_mean, running_var, training, momentum);
  const auto s = st.s;
  const Tensor mean = st.mean, var = st.var;
  const bool drop = training && p > 0.0;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T,
                       ops::bn_swish_dropout_forward<T>(s, cptr<T>(x), mean.data<T>(), var.data<T>(), cptr<T>(gamma),
                                                        cptr<T>(beta), eps, drop, p, seed, y.data<T>()));
  return Var::make(
      y, {x, gamma, beta},
      [x, gamma, beta, s, mean, var, eps, training, drop, p, seed](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::bn_swish_dropout_backward<T>(s, cptr<T>(x), mean.data<T>(), var.data<T>(),
                                                               cptr<T>(gamma), cptr<T>(beta), eps, training, drop,
                                                               p, seed, g.data<T>(), gptr<T>(x), gptr<T>(gamma),
                                                               gptr<T>(beta)));
      },
      "bn_swish_dropout");
}

Var swish(const Var& x) {
  check_cpu_float(x, "swish");
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::swish_forward<T>(y.numel(), cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, ops::swish_backward<T>(g.numel(), cptr<T>(x), g.data<T>(), gptr<T>(x)));
      },
      "swish");
}

Var sigmoid(const Var& x) {
  check_cpu_float(x, "sigmoid");
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::sigmoid_forward<T>(y.numel(), cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x, y](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::sigmoid_backward<T>(g.numel(), y.data<T>(), g.data<T>(), gptr<T>(x)));
      },
      "sigmoid");
}

Var relu(const Var& x) {
  check_cpu_float(x, "relu");
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::relu_forward<T>(y.numel(), cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, ops::relu_backward<T>(g.numel(), cptr<T>(x), g.data<T>(), gptr<T>(x)));
      },
      "relu");
}

Var dropout(const Var& x, double p, bool training, std::uint64_t seed) {
  check_cpu_float(x, "dropout");
  XRDID_CHECK(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::dropout_forward<T>(y.numel(), p, seed, cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x, p, seed](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, ops::dropout_backward<T>(g.numel(), p, seed, g.data<T>(), gptr<T>(x)));
      },
      "dropout");
}

// ---- pooling, shapes, broadcasting --------------------------------------------------------
Var max_pool_same2(const Var& x) {
  check_cpu_float(x, "max_pool_same2");
  XRDID_CHECK(x.value().ndim() == 3, "max_pool_same2: x must be (N, C, L), got " + shape_str(x.shape()));
  const std::int64_t R = x.dim(0) * x.dim(1), L = x.dim(2);
  Tensor y = Tensor::empty({x.dim(0), x.dim(1), (L + 1) / 2}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::maxpool_same2_forward<T>(R, L, cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x, R, L](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::maxpool_same2_backward<T>(R, L, cptr<T>(x), g.data<T>(), gptr<T>(x)));
      },
      "max_pool_same2");
}

Var mean_length(const Var& x) {
  check_cpu_float(x, "mean_length");
  XRDID_CHECK(x.value().ndim() == 3, "mean_length: x must be (N, C, L), got " + shape_str(x.shape()));
  const std::int64_t R = x.dim(0) * x.dim(1), L = x.dim(2);
  Tensor y = Tensor::empty({x.dim(0), x.dim(1)}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::mean_length_forward<T>(R, L, cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x, R, L](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, ops::mean_length_backward<T>(R, L, g.data<T>(), gptr<T>(x)));
      },
      "mean_length");
}

Var scale_channels(const Var& x, const Var& e) {
  check_cpu_float(x, "scale_channels");
  check_cpu_float(e, "scale_channels");
  check_same_dtype(x, e, "scale_channels");
  XRDID_CHECK(x.value().ndim() == 3 && e.shape() == Shape({x.dim(0), x.dim(1)}),
              "scale_channels: x " + shape_str(x.shape()) + " and e " + shape_str(e.shape()));
  const std::int64_t N = x.dim(0), C = x.dim(1), L = x.dim(2);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::scale_channels_forward<T>(N, C, L, cptr<T>(x), cptr<T>(e), y.data<T>()));
  return Var::make(
      y, {x, e},
      [x, e, N, C, L](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::scale_channels_backward<T>(N, C, L, cptr<T>(x), cptr<T>(e), g.data<T>(),
                                                             gptr<T>(x), gptr<T>(e)));
      },
      "scale_channels");
}

Var add(const Var& a, const Var& b) {
  check_cpu_float(a, "add");
  check_cpu_float(b, "add");
  check_same_dtype(a, b, "add");
  XRDID_CHECK(a.shape() == b.shape(), "add: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  Tensor y = Tensor::empty(a.shape(), a.dtype());
  XRDID_DISPATCH_FLOAT(a.dtype(), T, ops::add_forward<T>(y.numel(), cptr<T>(a), cptr<T>(b), y.data<T>()));
  return Var::make(
      y, {a, b},
      [a, b](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, {
          if (T* ga = gptr<T>(a)) ops::axpy<T>(g.numel(), T(1), g.data<T>(), ga);
          if (T* gb = gptr<T>(b)) ops::axpy<T>(g.numel(), T(1), g.data<T>(), gb);
        });
      },
      "add");
}

Var pad_channels(const Var& x, int before, int after) {
  check_cpu_float(x, "pad_channels");
  XRDID_CHECK(x.value().ndim() == 3 && before >= 0 && after >= 0,
              "pad_channels: x must be (N, C, L) and the padding non-negative");
  const std::int64_t N = x.dim(0), C = x.dim(1), L = x.dim(2);
  if (before == 0 && after == 0) return x;
  Tensor y = Tensor::empty({N, C + before + after, L}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::pad_channels_forward<T>(N, C, L, before, after, cptr<T>(x), y.data<T>()));
  return Var::make(
      y, {x},
      [x, N, C, L, before, after](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::pad_channels_backward<T>(N, C, L, before, after, g.data<T>(), gptr<T>(x)));
      },
      "pad_channels");
}

Var reshape(const Var& x, Shape shape) {
  XRDID_CHECK(x.defined(), "reshape: undefined input");
  Tensor y = x.value().reshape(std::move(shape));
  return Var::make(
      y, {x},
      [x](const Tensor& g) {
        if (!x.requires_grad()) return;
        Var h = x;
        ops::add_inplace(h.grad_ref(), g.reshape(x.shape()));
      },
      "reshape");
}

// ---- dense --------------------------------------------------------------------------------
Var linear(const Var& x, const Var& w, const Var& b) {
  check_cpu_float(x, "linear");
  check_cpu_float(w, "linear");
  check_same_dtype(x, w, "linear");
  XRDID_CHECK(x.value().ndim() == 2 && w.value().ndim() == 2 && x.dim(1) == w.dim(1),
              "linear: x " + shape_str(x.shape()) + " and w " + shape_str(w.shape()));
  const ops::LinearShape s{x.dim(0), x.dim(1), w.dim(0)};
  if (b.defined()) {
    check_same_dtype(x, b, "linear");
    XRDID_CHECK(b.shape() == Shape{s.out}, "linear: bias shape " + shape_str(b.shape()));
  }
  Tensor y = Tensor::empty({s.N, s.out}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, ops::linear_forward<T>(s, cptr<T>(x), cptr<T>(w), cptr<T>(b), y.data<T>()));
  std::vector<Var> in{x, w};
  if (b.defined()) in.push_back(b);
  return Var::make(
      y, in,
      [x, w, b, s](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::linear_backward<T>(s, cptr<T>(x), cptr<T>(w), g.data<T>(), gptr<T>(x),
                                                     gptr<T>(w), gptr<T>(b)));
      },
      "linear");
}

Var matmul(const Var& a, const Var& b, bool trans_b) {
  check_cpu_float(a, "matmul");
  check_cpu_float(b, "matmul");
  check_same_dtype(a, b, "matmul");
  XRDID_CHECK(a.value().ndim() == 2 && b.value().ndim() == 2, "matmul: 2-d inputs only");
  const ops::MatmulShape s{a.dim(0), a.dim(1), trans_b ? b.dim(0) : b.dim(1), trans_b};
  XRDID_CHECK((trans_b ? b.dim(1) : b.dim(0)) == s.K,
              "matmul: " + shape_str(a.shape()) + " x " + shape_str(b.shape()) + (trans_b ? "^T" : ""));
  Tensor c = Tensor::empty({s.M, s.N}, a.dtype());
  XRDID_DISPATCH_FLOAT(a.dtype(), T, ops::matmul_forward<T>(s, cptr<T>(a), cptr<T>(b), c.data<T>()));
  return Var::make(
      c, {a, b},
      [a, b, s](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::matmul_backward<T>(s, cptr<T>(a), cptr<T>(b), g.data<T>(), gptr<T>(a), gptr<T>(b)));
      },
      "matmul");
}

Var l2_normalize_rows(const Var& x, double eps) {
  check_cpu_float(x, "l2_normalize_rows");
  XRDID_CHECK(x.value().ndim() == 2, "l2_normalize_rows: x must be 2-d, got " + shape_str(x.shape()));
  const std::int64_t R = x.dim(0), D = x.dim(1);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  Tensor norm = Tensor::empty({R}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T,
                       ops::l2_normalize_rows_forward<T>(R, D, eps, cptr<T>(x), y.data<T>(), norm.data<T>()));
  return Var::make(
      y, {x},
      [x, y, norm, R, D, eps](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::l2_normalize_rows_backward<T>(R, D, eps, y.data<T>(), norm.data<T>(), g.data<T>(),
                                                                gptr<T>(x)));
      },
      "l2_normalize_rows");
}

Var cosine_rows(const Var& u, const Var& w, double eps) {
  check_cpu_float(u, "cosine_rows");
  check_cpu_float(w, "cosine_rows");
  check_same_dtype(u, w, "cosine_rows");
  XRDID_CHECK(u.value().ndim() == 2 && w.value().ndim() == 2 && u.dim(1) == w.dim(1),
              "cosine_rows: " + shape_str(u.shape()) + " with " + shape_str(w.shape()));
  XRDID_CHECK(!grad_enabled() || (!u.requires_grad() && !w.requires_grad()),
              "cosine_rows: forward only (no gradient may be recorded)");
  const std::int64_t N = u.dim(0), C = w.dim(0), D = u.dim(1);
  Tensor y = Tensor::empty({N, C}, u.dtype());
  XRDID_DISPATCH_FLOAT(u.dtype(), T, ops::cosine_rows_forward<T>(N, C, D, eps, cptr<T>(u), cptr<T>(w), y.data<T>()));
  return Var(y);
}

// ---- heads and losses ---------------------------------------------------------------------
namespace {
Var margin_ce(const Var& c, const std::vector<std::int64_t>& labels, double s, double m, const char* name) {
  check_cpu_float(c, name);
  XRDID_CHECK(c.value().ndim() == 2, std::string(name) + ": scores must be (N, C), got " + shape_str(c.shape()));
  const std::int64_t N = c.dim(0), C = c.dim(1);
  check_labels(labels, N, C, name);
  Tensor p = Tensor::empty(c.shape(), c.dtype());
  Tensor loss = Tensor::empty({}, c.dtype());
  XRDID_DISPATCH_FLOAT(c.dtype(), T,
                       ops::cosface_forward<T>(N, C, s, m, cptr<T>(c), labels.data(), p.data<T>(), loss.data<T>()));
  return Var::make(
      loss, {c},
      [c, p, labels, s, N, C](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::cosface_backward<T>(N, C, s, p.data<T>(), labels.data(), g.data<T>()[0], gptr<T>(c)));
      },
      name);
}
}  // namespace

Var cross_entropy(const Var& logits, const std::vector<std::int64_t>& labels) {
  return margin_ce(logits, labels, 1.0, 0.0, "cross_entropy");
}

Var cosface_loss(const Var& cosines, const std::vector<std::int64_t>& labels, double s, double m) {
  return margin_ce(cosines, labels, s, m, "cosface_loss");
}

Var adacos_logits(const Var& cosines, const std::vector<std::int64_t>& labels, double& s) {
  check_cpu_float(cosines, "adacos_logits");
  XRDID_CHECK(cosines.value().ndim() == 2, "adacos_logits: cosines must be (N, C)");
  const std::int64_t N = cosines.dim(0), C = cosines.dim(1);
  check_labels(labels, N, C, "adacos_logits");
  double s_new = 0;
  XRDID_DISPATCH_FLOAT(cosines.dtype(), T,
                       s_new = ops::adacos_update_scale<T>(N, C, cosines.value().data<T>(), labels.data(), s));
  s = s_new;
  const std::int64_t n = N * C;
  Tensor y = Tensor::zeros(cosines.shape(), cosines.dtype());
  XRDID_DISPATCH_FLOAT(cosines.dtype(), T,
                       ops::axpy<T>(n, static_cast<T>(s_new), cptr<T>(cosines), y.data<T>()));
  return Var::make(
      y, {cosines},
      [cosines, s_new, n](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, {
          if (T* gc = gptr<T>(cosines)) ops::axpy<T>(n, static_cast<T>(s_new), g.data<T>(), gc);
        });
      },
      "adacos_logits");
}

double adacos_initial_scale(std::int64_t num_classes) {
  XRDID_CHECK(num_classes >= 3, "adacos_initial_scale: needs at least 3 classes");
  return std::sqrt(2.0) * std::log(static_cast<double>(num_classes - 1));
}

// ---- reductions ---------------------------------------------------------------------------
Var sum(const Var& x) {
  check_cpu_float(x, "sum");
  Tensor y = Tensor::empty({}, x.dtype());
  XRDID_DISPATCH_FLOAT(x.dtype(), T, y.data<T>()[0] = static_cast<T>(ops::sum_all<T>(x.value().numel(), cptr<T>(x))));
  return Var::make(
      y, {x},
      [x](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T, {
          if (T* gx = gptr<T>(x)) ops::add_scalar<T>(x.value().numel(), g.data<T>()[0], gx);
        });
      },
      "sum");
}

Var mul(const Var& a, const Var& b) {
  check_cpu_float(a, "mul");
  check_cpu_float(b, "mul");
  check_same_dtype(a, b, "mul");
  XRDID_CHECK(a.shape() == b.shape(), "mul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  Tensor y = Tensor::empty(a.shape(), a.dtype());
  XRDID_DISPATCH_FLOAT(a.dtype(), T, ops::mul_forward<T>(y.numel(), cptr<T>(a), cptr<T>(b), y.data<T>()));
  return Var::make(
      y, {a, b},
      [a, b](const Tensor& g) {
        XRDID_DISPATCH_FLOAT(g.dtype(), T,
                             ops::mul_backward<T>(g.numel(), cptr<T>(a), cptr<T>(b), g.data<T>(), gptr<T>(a),
                                                  gptr<T>(b)));
      },
      "mul");
}

std::vector<std::vector<std::int64_t>> topk(const Tensor& scores, int k) {
  XRDID_CHECK(scores.ndim() == 2 && scores.device() == Device::CPU, "topk: scores must be a CPU (N, C) tensor");
  const std::int64_t N = scores.dim(0), C = scores.dim(1);
  XRDID_CHECK(k >= 1 && k <= C, "topk: k = " + std::to_string(k) + " outside [1, " + std::to_string(C) + "]");
  std::vector<std::int64_t> flat(static_cast<std::size_t>(N * k));
  XRDID_DISPATCH_FLOAT(scores.dtype(), T, ops::topk_rows<T>(N, C, scores.data<T>(), k, flat.data()));
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(N));
  for (std::int64_t i = 0; i < N; ++i) out[static_cast<std::size_t>(i)].assign(flat.begin() + i * k, flat.begin() + (i + 1) * k);
  return out;
}

}  // namespace xrdid::nn::F
