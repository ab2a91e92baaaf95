// The op-case table: every op of nn/exec/ops.def, over shapes with the edge cases and both element
// types, run on a Backend<T> and compared with the CPU reference (nn::ops). The runner only uses
// the Backend interface (allocate, upload, download, the ops), so every backend runs the same
// table: the CPU backend (tests/nn/test_backend_ops_cpu.cpp), the CUDA backend
// (tests/gpu/test_backend_ops.cpp), or any later one.
//
// Every case draws fresh random inputs (never zeros), poisons its outputs with NaN before the op
// runs, starts gradients from random priors (the += contract) and compares with checks that fail
// on NaN. Tolerances (compare.hpp): kExact where both sides round once the same way, elementwise
// (a few roundings, FMA contraction) or reduction (sqrt(n) growth of a sum's rounding error).
//
// Adding an op: one entry in nn/exec/ops.def and one case here (append to op_cases); the
// "every op has a case" test fails until the case exists.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "compare.hpp"
#include "nn/exec/backend.hpp"
#include "nn/ops/activation.hpp"
#include "nn/ops/adam.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/channel.hpp"
#include "nn/ops/conv1d.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/loss.hpp"
#include "nn/ops/norm.hpp"
#include "nn/ops/pool.hpp"
#include "nn/ops/random.hpp"
#include "nn/ops/residual.hpp"

namespace xrdid::optest {

using namespace xrdid::gputest;
namespace ops = xrdid::nn::ops;
using nn::exec::Backend;
using nn::exec::BackendBase;

// The names of the ops in nn/exec/ops.def.
inline std::vector<std::string> table_ops() {
  return {
#define XRDID_OP(name, params, args) #name,
#define XRDID_OP_CUSTOM(name, params, args) #name,
#include "nn/exec/ops.def"
#undef XRDID_OP
#undef XRDID_OP_CUSTOM
  };
}

// Memory of the backend under test, released at the end of a case.
class Mem {
 public:
  explicit Mem(BackendBase& be) : be_(be) {}
  ~Mem() {
    be_.synchronize();
    for (void* p : ptrs_) be_.release(p);
  }
  Mem(const Mem&) = delete;
  Mem& operator=(const Mem&) = delete;

  template <class U>
  U* put(const std::vector<U>& v) {
    U* p = alloc<U>(v.size());
    if (!v.empty()) be_.upload(p, v.data(), v.size() * sizeof(U));
    return p;
  }
  // n elements with every bit set (NaN for floating point): an unwritten output fails its check.
  template <class U>
  U* poisoned(std::size_t n) {
    U* p = alloc<U>(n);
    const std::vector<unsigned char> ff(n * sizeof(U), 0xFF);
    if (n) be_.upload(p, ff.data(), ff.size());
    return p;
  }
  template <class U>
  std::vector<U> get(const U* p, std::size_t n) {
    std::vector<U> v(n);
    if (n) be_.download(v.data(), p, n * sizeof(U));
    be_.synchronize();
    return v;
  }

 private:
  template <class U>
  U* alloc(std::size_t n) {
    void* p = be_.allocate(n * sizeof(U));
    ptrs_.push_back(p);
    return static_cast<U*>(p);
  }
  BackendBase& be_;
  std::vector<void*> ptrs_;
};

template <class T>
struct OpCase {
  std::vector<std::string> ops;  // the ops.def entries the case runs
  std::string shape;             // what it covers
  std::function<void(Backend<T>&, Mem&, std::mt19937_64&)> run;
};

template <class T>
constexpr bool kFloat = std::is_same_v<T, float>;

inline std::string str(std::initializer_list<i64> v) {
  std::string s;
  for (i64 e : v) s += (s.empty() ? "" : " ") + std::to_string(e);
  return s;
}

// ---------------------------------------------------------------------------------- conv1d ----
struct ConvCase {
  i64 N, C_in, C_out, L, K, stride, dilation, groups;
  i64 pad_left = -1, pad_right = -1;  // -1: "same" padding
  bool in_double = false;
  ops::Conv1dShape shape() const {
    return pad_left < 0 ? ops::Conv1dShape::same(N, C_in, C_out, L, K, stride, dilation, groups)
                        : ops::Conv1dShape::padded(N, C_in, C_out, L, K, stride, dilation, groups, pad_left,
                                                   pad_right);
  }
};

inline const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> c = {
      {2, 1, 64, 6000, 16, 2, 1, 1},               // stem, G = 1, C_in = 1
      {2, 64, 64, 3000, 16, 2, 1, 4, -1, -1, true},  // grouped k16 s2, longest grouped length
      {2, 64, 64, 1500, 16, 1, 1, 4},              // pad 7/8
      {1, 160, 160, 375, 16, 1, 1, 10},            // batch 1, odd length
      {2, 400, 400, 375, 16, 2, 1, 25, -1, -1, true},  // stride 2 with odd L
      {2, 1024, 1024, 47, 16, 2, 1, 64},           // deep-stage shapes
      {3, 1024, 1024, 24, 16, 1, 1, 64},           // shortest length
      {2, 32, 32, 101, 16, 2, 1, 32},              // depthwise (G = C)
      {2, 48, 48, 77, 16, 1, 1, 1},                // dense K16
      {3, 64, 160, 750, 1, 1, 1, 1, -1, -1, true},   // pointwise -> cuBLAS path
      {2, 400, 1024, 47, 1, 1, 1, 1},              // pointwise -> cuBLAS
      {1, 1024, 1024, 24, 1, 1, 1, 1},             // pointwise, batch 1
      {2, 64, 64, 93, 1, 1, 1, 4},                 // grouped 1x1 -> implicit GEMM
      {2, 16, 32, 51, 1, 2, 1, 1},                 // strided 1x1 -> implicit GEMM
      {2, 3, 5, 37, 5, 2, 2, 1, -1, -1, true},       // odd channels, dilation 2
      {1, 6, 9, 31, 3, 1, 1, 3},                   // 2 -> 3 channels per group
      {2, 7, 7, 19, 4, 3, 1, 7},                   // stride 3, even K, depthwise
      {2, 8, 8, 50, 3, 1, 1, 2, 0, 0},             // valid (no padding)
      {2, 8, 12, 50, 5, 2, 1, 4, 1, 4},            // asymmetric explicit padding
  };
  return c;
}

template <class T>
void conv_case(const ConvCase& cc, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const auto s = cc.shape();
  const i64 G = s.groups, Cgi = s.C_in / G, Cgo = s.C_out / G;
  const std::size_t nx = s.N * s.C_in * s.L_in, nw = s.C_out * Cgi * s.K, ny = s.N * s.C_out * s.L_out;
  const double bound = 1.0 / std::sqrt(static_cast<double>(Cgi * s.K));  // PyTorch init scale
  auto x = uniform<T>(nx, rng), w = uniform<T>(nw, rng, -bound, bound), b = uniform<T>(s.C_out, rng, -bound, bound);
  auto dy = uniform<T>(ny, rng);
  auto dx = uniform<T>(nx, rng), dw = uniform<T>(nw, rng), db = uniform<T>(s.C_out, rng);  // priors
  T *d_x = mem.put(x), *d_w = mem.put(w), *d_b = mem.put(b), *d_dy = mem.put(dy);
  T *d_y = mem.poisoned<T>(ny), *d_y2 = mem.poisoned<T>(ny);
  T *d_dx = mem.put(dx), *d_dw = mem.put(dw), *d_db = mem.put(db);

  std::vector<T> y(ny);
  ops::conv1d_forward<T>(s, x.data(), w.data(), b.data(), y.data());
  ops::conv1d_backward<T>(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
  be.conv1d_forward(s, d_x, d_w, d_b, d_y);
  be.conv1d_backward(s, d_x, d_w, d_dy, d_dx, d_dw, d_db);
  // Reduction lengths: forward Cgi*K (+ bias); dx Cgo*K (+ prior); dw and db N*L_out (+ prior).
  CHECK(check_close("y", mem.get(d_y, ny), y, reduction_tol<T>(Cgi * s.K + 1, rms(y))));
  CHECK(check_close("dx", mem.get(d_dx, nx), dx, reduction_tol<T>(Cgo * s.K + 1, rms(dx))));
  CHECK(check_close("dw", mem.get(d_dw, nw), dw, reduction_tol<T>(s.N * s.L_out + 1, rms(dw))));
  CHECK(check_close("db", mem.get(d_db, s.C_out), db, reduction_tol<T>(s.N * s.L_out + 1, rms(db))));

  // Forward without bias, and a backward with every gradient nullptr (nothing written).
  be.conv1d_forward(s, d_x, d_w, nullptr, d_y2);
  be.conv1d_backward(s, d_x, d_w, d_dy, nullptr, nullptr, nullptr);
  auto y2 = y;
  for (i64 n = 0; n < s.N; ++n)
    for (i64 c = 0; c < s.C_out; ++c)
      for (i64 l = 0; l < s.L_out; ++l) y2[(n * s.C_out + c) * s.L_out + l] -= b[c];
  CHECK(check_close("y (no bias)", mem.get(d_y2, ny), y2, reduction_tol<T>(Cgi * s.K + 2, rms(y))));
}

// ------------------------------------------------------------------------ batchnorm stats ----
struct BnCase {
  i64 N, C, L;
  bool in_double = false;
};
inline const std::vector<BnCase>& bn_cases() {
  static const std::vector<BnCase> c = {{4, 64, 3000}, {1, 16, 24},  {3, 5, 37, true},
                                        {8, 1024, 24}, {2, 160, 750, true}, {1, 3, 1}};
  return c;
}

template <class T>
void bn_stats_case(const BnCase& bc, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const ops::BatchNormShape s{bc.N, bc.C, bc.L};
  const std::size_t n = bc.N * bc.C * bc.L, C = bc.C;
  const i64 M = bc.N * bc.L;
  auto x = uniform<T>(n, rng, 4.0, 6.0);  // offset mean: a one-pass variance would lose digits
  std::vector<T> mean(C), var(C);
  ops::batchnorm_stats<T>(s, x.data(), mean.data(), var.data());
  T *d_x = mem.put(x), *d_mean = mem.poisoned<T>(C), *d_var = mem.poisoned<T>(C);
  be.batchnorm_stats(s, d_x, d_mean, d_var);
  // Double sums on both sides over M = N*L values.
  CHECK(check_close("mean", mem.get(d_mean, C), mean, reduction_tol<T>(M, rms(mean))));
  CHECK(check_close("var", mem.get(d_var, C), var, reduction_tol<T>(M, rms(var))));

  // Running statistics from the reference statistics (elementwise in double).
  auto rm = uniform<T>(C, rng), rv = uniform<T>(C, rng, 0.5, 2.0);
  T *d_rm = mem.put(rm), *d_rv = mem.put(rv), *d_mc = mem.put(mean), *d_vc = mem.put(var);
  ops::batchnorm_update_running<T>(bc.C, M, mean.data(), var.data(), 0.1, rm.data(), rv.data());
  be.batchnorm_update_running(bc.C, M, d_mc, d_vc, 0.1, d_rm, d_rv);
  CHECK(check_close("running_mean", mem.get(d_rm, C), rm, elementwise_tol<T>(rms(rm))));
  CHECK(check_close("running_var", mem.get(d_rv, C), rv, elementwise_tol<T>(rms(rv))));
}

// -------------------------------------------------------------- fused BN + swish + dropout ----
struct BsdCase {
  i64 N, C, L;
};
inline const std::vector<BsdCase>& bsd_cases() {
  static const std::vector<BsdCase> c = {
      {1, 3, 37},    // batch 1, odd length, C = 3
      {2, 64, 375},  // C = 64, odd length
      {3, 1, 101},   // C = 1
      {1, 64, 24},   // batch 1, shortest stage length
      {4, 3, 3000},  // several splits per channel
      {2, 1, 25000}, // C = 1 with many splits
      {5, 3, 1},     // L = 1
  };
  return c;
}
struct BsdVariant {
  bool drop;
  double p;
  bool device_seed;  // SeedArg{base in backend memory, counter} instead of a fixed seed
  std::string describe() const {
    return std::string(drop ? "drop" : "no drop") + " p" + std::to_string(p) + (device_seed ? " device seed" : "");
  }
};
inline const std::vector<BsdVariant>& bsd_variants() {
  static const std::vector<BsdVariant> v = {
      {false, 0.3, false}, {true, 0.0, false}, {true, 0.3, false}, {true, 0.3, true}};
  return v;
}

// First-order bounds on |tested - reference| of the fused ops, per output element, from the
// reference inputs. Per element (channel c, invstd, a = gamma*invstd, b0 = beta - mean*a,
// keep = mask * 1/(1-p)):
//   z = x*a + b0 differs by <= 2.5 eps*zt, zt = |x*a| + |b0| (FMA on one side, separate roundings
//     on the other, b0's double expression possibly contracted);
//   sigmoid(z) by <= 7 eps*sg (exp within 2 ulp vs the CPU's polynomial exp within 3 ulp, plus
//     the 1 + e and the division), which moves swish' = sg + z*sg*(1 - sg) by (1 + |z|) times
//     that; swish'' <= 0.5 scales the z difference; 4 eps (1 + |z|) for its own roundings and 2 for
//     g = dy*keep*swish':  |dg| <= eps*|dy|*keep*(1.25 zt + 13 (1 + |z|)) =: Eg;
//   y = keep*z*sg: swish' <= 1.1 on z's difference, |z| on sg's, 2 roundings:
//     |dy_out| <= eps*keep*(2.75 zt + 9 (1 + |z|)) + eps*|y|.
// The channel sums S1 = sum g, S2 = sum g*(x - mean) are double on both sides: they differ by
// sum Eg (resp. sum Eg*|x - mean|), worst case, plus the order of the double additions
// (16 sqrt(M) eps_double * sum |terms|). dbeta, dgamma: those, plus their final rounding to T.
// dx = a*g - k*x + b0: a*Eg, the sums' differences through k and b0 (which enter as
// k*(x - mean)), 3 roundings of each term, and the rounding of the accumulated result.
// Every bound gets a 4x margin; an indexing or mask error is O(1) relative, far above.
struct BsdBounds {
  std::vector<double> y, dx, dgamma, dbeta;
};

template <class T>
BsdBounds bsd_bounds(const ops::BatchNormShape& s, const std::vector<T>& x, const std::vector<T>& mean,
                     const std::vector<T>& var, const std::vector<T>& gamma, const std::vector<T>& beta, double eps,
                     bool training, bool drop, double p, std::uint64_t seed, const std::vector<T>& dy,
                     const std::vector<T>& y, const std::vector<T>& dx, const std::vector<T>& dgamma,
                     const std::vector<T>& dbeta) {
  constexpr double kMargin = 4.0;
  const double e = eps_of<T>(), m = static_cast<double>(s.N * s.L);
  const double r_order = 16.0 * std::sqrt(m) * eps_of<double>();
  BsdBounds b;
  b.y.resize(x.size());
  b.dx.resize(x.size());
  b.dgamma.resize(s.C);
  b.dbeta.resize(s.C);
  std::vector<double> g(x.size()), eg(x.size());
  for (i64 c = 0; c < s.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps), a = invstd * gamma[c];
    const double b0 = beta[c] - mean[c] * a, mu = mean[c];
    double s1 = 0, s2 = 0, s1e = 0, s2e = 0, a1 = 0, a2 = 0;
    for (i64 n = 0; n < s.N; ++n)
      for (i64 l = 0; l < s.L; ++l) {
        const i64 i = (n * s.C + c) * s.L + l;
        const double keep = drop ? ops::dropout_scale<double>(p, seed, i) : 1.0;
        const double z = x[i] * a + b0, zt = std::fabs(x[i] * a) + std::fabs(b0);
        const double sg = 1.0 / (1.0 + std::exp(-z));
        g[i] = dy[i] * keep * (sg + z * sg * (1.0 - sg));
        eg[i] = e * std::fabs(dy[i]) * keep * (1.25 * zt + 13.0 * (1.0 + std::fabs(z)));
        b.y[i] = kMargin * (e * keep * (2.75 * zt + 9.0 * (1.0 + std::fabs(z))) + e * std::fabs(y[i]));
        const double d = std::fabs(x[i] - mu);
        s1 += g[i];
        s2 += g[i] * (x[i] - mu);
        s1e += eg[i];
        s2e += eg[i] * d;
        a1 += std::fabs(g[i]);
        a2 += std::fabs(g[i]) * d;
      }
    const double ds1 = s1e + r_order * a1, ds2 = s2e + r_order * a2;
    b.dbeta[c] = kMargin * (ds1 + e * std::fabs(dbeta[c]));
    b.dgamma[c] = kMargin * (ds2 * invstd + e * std::fabs(dgamma[c]));
    const double k = a * s2 * invstd * invstd / m, bb = -a * s1 / m + k * mu;
    for (i64 n = 0; n < s.N; ++n)
      for (i64 l = 0; l < s.L; ++l) {
        const i64 i = (n * s.C + c) * s.L + l;
        double t = std::fabs(a) * eg[i] + 3.0 * e * std::fabs(a * g[i]) + e * std::fabs(dx[i]);
        if (training)
          t += std::fabs(x[i] - mu) * std::fabs(a) * invstd * invstd / m * ds2 + std::fabs(a) / m * ds1 +
               3.0 * e * (std::fabs(k * x[i]) + std::fabs(bb));
        b.dx[i] = kMargin * t;
      }
  }
  return b;
}

template <class T>
void bsd_case(const BsdCase& bc, bool training, const BsdVariant& var, Backend<T>& be, Mem& mem,
              std::mt19937_64& rng) {
  const ops::BatchNormShape s{bc.N, bc.C, bc.L};
  const std::size_t n = bc.N * bc.C * bc.L, C = bc.C;
  const double eps = 1e-5;
  auto x = uniform<T>(n, rng, 4.0, 6.0);  // offset mean, as real pre-BN activations
  auto gamma = uniform<T>(C, rng, 0.5, 1.5), beta = uniform<T>(C, rng), dy = uniform<T>(n, rng);
  std::vector<T> mean(C), vr(C);
  if (training) {
    ops::batchnorm_stats<T>(s, x.data(), mean.data(), vr.data());
  } else {  // running statistics: constants near the batch's
    mean = uniform<T>(C, rng, 4.5, 5.5);
    vr = uniform<T>(C, rng, 0.2, 2.0);
  }
  const std::uint64_t base = rng(), counter = 11, fixed = rng();
  const std::uint64_t seed = var.device_seed ? ops::step_seed(base, counter) : fixed;
  std::uint64_t* d_base = mem.put(std::vector<std::uint64_t>{base});
  const ops::SeedArg arg = var.device_seed ? ops::SeedArg{d_base, counter} : ops::SeedArg{nullptr, fixed};
  T *d_x = mem.put(x), *d_mean = mem.put(mean), *d_var = mem.put(vr), *d_gamma = mem.put(gamma);
  T *d_beta = mem.put(beta), *d_dy = mem.put(dy), *d_y = mem.poisoned<T>(n);

  std::vector<T> y(n);
  ops::bn_swish_dropout_forward<T>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, var.drop,
                                   var.p, seed, y.data());
  be.bn_swish_dropout_forward(s, d_x, d_mean, d_var, d_gamma, d_beta, eps, var.drop, var.p, arg, d_y);

  auto dx = uniform<T>(n, rng), dg = uniform<T>(C, rng), db = uniform<T>(C, rng);  // priors
  T *d_dx = mem.put(dx), *d_dg = mem.put(dg), *d_db = mem.put(db);
  T *d_dx2 = mem.put(dx), *d_db2 = mem.put(db);  // for the nullptr-gradient calls
  ops::bn_swish_dropout_backward<T>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, training,
                                    var.drop, var.p, seed, dy.data(), dx.data(), dg.data(), db.data());
  be.bn_swish_dropout_backward(s, d_x, d_mean, d_var, d_gamma, d_beta, eps, training, var.drop, var.p, arg, d_dy,
                               d_dx, d_dg, d_db);
  be.bn_swish_dropout_backward(s, d_x, d_mean, d_var, d_gamma, d_beta, eps, training, var.drop, var.p, arg, d_dy,
                               d_dx2, nullptr, nullptr);
  be.bn_swish_dropout_backward(s, d_x, d_mean, d_var, d_gamma, d_beta, eps, training, var.drop, var.p, arg, d_dy,
                               nullptr, nullptr, d_db2);

  const auto bnd = bsd_bounds<T>(s, x, mean, vr, gamma, beta, eps, training, var.drop, var.p, seed, dy, y, dx, dg, db);
  CHECK(check_within("bsd y", mem.get(d_y, n), y, bnd.y));
  CHECK(check_within("bsd dx", mem.get(d_dx, n), dx, bnd.dx));
  CHECK(check_within("bsd dgamma", mem.get(d_dg, C), dg, bnd.dgamma));
  CHECK(check_within("bsd dbeta", mem.get(d_db, C), db, bnd.dbeta));
  CHECK(check_within("bsd dx (dgamma, dbeta null)", mem.get(d_dx2, n), dx, bnd.dx));
  CHECK(check_within("bsd dbeta (dx, dgamma null)", mem.get(d_db2, C), db, bnd.dbeta));
}

// ------------------------------------------------------------------------------ activations ----
// n = 2'500'007 exceeds one pass of a grid-stride launch (4224 blocks x 256 threads = 1.08M).
template <class T>
void activation_case(bool sigmoid, i64 n, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto x = uniform<T>(n, rng, -10.0, 10.0), dy = uniform<T>(n, rng), dx = uniform<T>(n, rng);
  std::vector<T> y(n);
  if (sigmoid)
    ops::sigmoid_forward<T>(n, x.data(), y.data());
  else
    ops::swish_forward<T>(n, x.data(), y.data());
  T *d_x = mem.put(x), *d_y = mem.poisoned<T>(n), *d_dy = mem.put(dy), *d_dx = mem.put(dx);
  // The backward of sigmoid reads the forward OUTPUT (the reference's, so only the op differs).
  T* d_in = sigmoid ? mem.put(y) : d_x;
  if (sigmoid) {
    be.sigmoid_forward(n, d_x, d_y);
    ops::sigmoid_backward<T>(n, y.data(), dy.data(), dx.data());
    be.sigmoid_backward(n, d_in, d_dy, d_dx);
  } else {
    be.swish_forward(n, d_x, d_y);
    ops::swish_backward<T>(n, x.data(), dy.data(), dx.data());
    be.swish_backward(n, d_in, d_dy, d_dx);
  }
  CHECK(check_close("y", mem.get(d_y, n), y, elementwise_tol<T>(rms(y))));
  CHECK(check_close("dx", mem.get(d_dx, n), dx, elementwise_tol<T>(rms(dx))));
}

// ---------------------------------------------------------------------------------- dropout ----
template <class T>
void dropout_case(i64 n, double p, std::uint64_t base, bool device_seed, Backend<T>& be, Mem& mem,
                  std::mt19937_64& rng) {
  const std::uint64_t counter = 5;
  const std::uint64_t seed = device_seed ? ops::step_seed(base, counter) : base;
  std::uint64_t* d_base = mem.put(std::vector<std::uint64_t>{base});
  const ops::SeedArg arg = device_seed ? ops::SeedArg{d_base, counter} : ops::SeedArg{nullptr, base};
  auto x = uniform<T>(n, rng), dy = uniform<T>(n, rng), dx = uniform<T>(n, rng);
  T *d_x = mem.put(x), *d_y = mem.poisoned<T>(n), *d_dy = mem.put(dy), *d_dx = mem.put(dx);
  std::vector<T> y(n);
  ops::dropout_forward<T>(n, p, seed, x.data(), y.data());
  ops::dropout_backward<T>(n, p, seed, dy.data(), dx.data());
  be.dropout_forward(n, p, arg, d_x, d_y);
  be.dropout_backward(n, p, arg, d_dy, d_dx);
  CHECK(check_close("y", mem.get(d_y, n), y, kExact));  // x * scale or 0: one rounding on both sides
  // dx += dy*scale: one side may fuse it into one FMA (one rounding less), relative to |dx|.
  CHECK(check_close("dx", mem.get(d_dx, n), dx, elementwise_tol<T>(rms(dx))));
}

// ------------------------------------------------------------------------ add, axpy, scale ----
template <class T>
void add_axpy_case(i64 n, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto a = uniform<T>(n, rng), b = uniform<T>(n, rng), yy = uniform<T>(n, rng), ys = uniform<T>(n, rng);
  T *d_a = mem.put(a), *d_b = mem.put(b), *d_y = mem.poisoned<T>(n), *d_yy = mem.put(yy), *d_ys = mem.put(ys);
  const double sc = 2.718281828459045;  // not representable in float: checks the rounding to T
  double* d_s = mem.put(std::vector<double>{sc});
  std::vector<T> y(n);
  ops::add_forward<T>(n, a.data(), b.data(), y.data());
  ops::axpy<T>(n, T(0.37), a.data(), yy.data());
  ops::axpy<T>(n, static_cast<T>(sc), a.data(), ys.data());
  be.add_forward(n, d_a, d_b, d_y);
  be.axpy(n, T(0.37), d_a, d_yy);
  be.axpy_scale(n, d_s, d_a, d_ys);
  CHECK(check_close("add", mem.get(d_y, n), y, kExact));  // one rounding on both sides
  // y += alpha*x: one side may fuse it into one FMA, relative to |y|.
  CHECK(check_close("axpy", mem.get(d_yy, n), yy, elementwise_tol<T>(rms(yy))));
  CHECK(check_close("axpy_scale", mem.get(d_ys, n), ys, elementwise_tol<T>(rms(ys))));
}

// ----------------------------------------------------------------- max-pool, mean over L ----
template <class T>
void pool_case(i64 R, i64 L, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const i64 Lo = (L + 1) / 2;
  auto x = uniform<T>(R * L, rng);
  for (i64 i = 0; i < R * L; i += 7) x[i] = std::round(x[i] * 4) / 4;  // ties
  auto dy = uniform<T>(R * Lo, rng), dx = uniform<T>(R * L, rng);
  auto dm = uniform<T>(R, rng), dx2 = uniform<T>(R * L, rng);
  T *d_x = mem.put(x), *d_dy = mem.put(dy), *d_dx = mem.put(dx), *d_y = mem.poisoned<T>(R * Lo);
  T *d_m = mem.poisoned<T>(R), *d_dm = mem.put(dm), *d_dx2 = mem.put(dx2);
  std::vector<T> y(R * Lo), m(R);
  ops::maxpool_same2_forward<T>(R, L, x.data(), y.data());
  ops::maxpool_same2_backward<T>(R, L, x.data(), dy.data(), dx.data());
  ops::mean_length_forward<T>(R, L, x.data(), m.data());
  ops::mean_length_backward<T>(R, L, dm.data(), dx2.data());
  be.maxpool_same2_forward(R, L, d_x, d_y);
  be.maxpool_same2_backward(R, L, d_x, d_dy, d_dx);
  be.mean_length_forward(R, L, d_x, d_m);
  be.mean_length_backward(R, L, d_dm, d_dx2);
  CHECK(check_close("maxpool y", mem.get(d_y, R * Lo), y, kExact));
  CHECK(check_close("maxpool dx", mem.get(d_dx, R * L), dx, kExact));  // one addition, same on both
  CHECK(check_close("mean", mem.get(d_m, R), m, reduction_tol<T>(L, rms(m))));
  CHECK(check_close("mean dx", mem.get(d_dx2, R * L), dx2, elementwise_tol<T>(rms(dx2))));
}

// ---------------------------------------------------------------- scale and pad channels ----
template <class T>
void channel_case(i64 N, i64 C, i64 L, i64 before, i64 after, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const i64 n = N * C * L, Co = before + C + after;
  auto x = uniform<T>(n, rng), e = uniform<T>(N * C, rng, 0.0, 1.0), dy = uniform<T>(n, rng);
  auto dx = uniform<T>(n, rng), de = uniform<T>(N * C, rng);
  auto dyp = uniform<T>(N * Co * L, rng), dx3 = uniform<T>(n, rng);
  T *d_x = mem.put(x), *d_e = mem.put(e), *d_dy = mem.put(dy), *d_y = mem.poisoned<T>(n);
  T *d_dx = mem.put(dx), *d_de = mem.put(de), *d_yp = mem.poisoned<T>(N * Co * L), *d_dyp = mem.put(dyp);
  T* d_dx3 = mem.put(dx3);
  std::vector<T> y(n), yp(N * Co * L);
  ops::scale_channels_forward<T>(N, C, L, x.data(), e.data(), y.data());
  ops::scale_channels_backward<T>(N, C, L, x.data(), e.data(), dy.data(), dx.data(), de.data());
  ops::pad_channels_forward<T>(N, C, L, before, after, x.data(), yp.data());
  ops::pad_channels_backward<T>(N, C, L, before, after, dyp.data(), dx3.data());
  be.scale_channels_forward(N, C, L, d_x, d_e, d_y);
  be.scale_channels_backward(N, C, L, d_x, d_e, d_dy, d_dx, d_de);
  be.pad_channels_forward(N, C, L, before, after, d_x, d_yp);
  be.pad_channels_backward(N, C, L, before, after, d_dyp, d_dx3);
  CHECK(check_close("scale y", mem.get(d_y, n), y, kExact));
  CHECK(check_close("scale dx", mem.get(d_dx, n), dx, elementwise_tol<T>(rms(dx))));
  CHECK(check_close("scale de", mem.get(d_de, N * C), de, reduction_tol<T>(L + 1, rms(de))));
  CHECK(check_close("pad y", mem.get(d_yp, yp.size()), yp, kExact));
  CHECK(check_close("pad dx", mem.get(d_dx3, n), dx3, kExact));
}

// ------------------------------------------------------------------ fused SE + shortcut ----
template <class T>
void residual_case(const ops::ResidualShape& s, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const i64 Lo = s.L_out();
  auto h = uniform<T>(static_cast<std::size_t>(s.N * s.C_out * Lo), rng);
  auto e = uniform<T>(static_cast<std::size_t>(s.N * s.C_out), rng);
  auto x = uniform<T>(static_cast<std::size_t>(s.N * s.C_in * s.L_in), rng);
  auto dy = uniform<T>(h.size(), rng), dx = uniform<T>(x.size(), rng);
  T *d_h = mem.put(h), *d_e = mem.put(e), *d_x = mem.put(x), *d_dy = mem.put(dy), *d_dx = mem.put(dx);
  T* d_y = mem.poisoned<T>(h.size());
  std::vector<T> y(h.size());
  ops::residual_se_forward<T>(s, h.data(), e.data(), x.data(), y.data());
  ops::residual_shortcut_backward<T>(s, x.data(), dy.data(), dx.data());
  be.residual_se_forward(s, d_h, d_e, d_x, d_y);
  be.residual_shortcut_backward(s, d_x, d_dy, d_dx);
  // Forward: one product and one sum; FMA contraction on either side rounds once less: 2 ulp of
  // 1 + |y|. Backward: the same single addition per element, the same max-pool winner: exact.
  const auto got = mem.get(d_y, y.size());
  std::vector<double> tol(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) tol[i] = 2 * eps_of<T>() * (1 + std::fabs(static_cast<double>(y[i])));
  CHECK(check_within("y", got, y, tol));
  CHECK(check_close("dx", mem.get(d_dx, dx.size()), dx, kExact));
}

// ----------------------------------------------------------------------- linear, matmul ----
template <class T>
void linear_case(const ops::LinearShape& s, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto x = uniform<T>(s.N * s.in, rng), w = uniform<T>(s.out * s.in, rng), b = uniform<T>(s.out, rng);
  auto dy = uniform<T>(s.N * s.out, rng);
  auto dx = uniform<T>(x.size(), rng), dw = uniform<T>(w.size(), rng), db = uniform<T>(b.size(), rng);
  T *d_x = mem.put(x), *d_w = mem.put(w), *d_b = mem.put(b), *d_dy = mem.put(dy);
  T *d_dx = mem.put(dx), *d_dw = mem.put(dw), *d_db = mem.put(db), *d_y = mem.poisoned<T>(s.N * s.out);
  std::vector<T> y(s.N * s.out);
  ops::linear_forward<T>(s, x.data(), w.data(), b.data(), y.data());
  ops::linear_backward<T>(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
  be.linear_forward(s, d_x, d_w, d_b, d_y);
  be.linear_backward(s, d_x, d_w, d_dy, d_dx, d_dw, d_db);
  CHECK(check_close("linear y", mem.get(d_y, y.size()), y, reduction_tol<T>(s.in + 1, rms(y))));
  CHECK(check_close("linear dx", mem.get(d_dx, dx.size()), dx, reduction_tol<T>(s.out + 1, rms(dx))));
  CHECK(check_close("linear dw", mem.get(d_dw, dw.size()), dw, reduction_tol<T>(s.N + 1, rms(dw))));
  CHECK(check_close("linear db", mem.get(d_db, db.size()), db, reduction_tol<T>(s.N + 1, rms(db))));
}

template <class T>
void matmul_case(const ops::MatmulShape& s, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto a = uniform<T>(s.M * s.K, rng), b = uniform<T>(s.K * s.N, rng), dc = uniform<T>(s.M * s.N, rng);
  auto da = uniform<T>(a.size(), rng), db = uniform<T>(b.size(), rng);
  T *d_a = mem.put(a), *d_b = mem.put(b), *d_dc = mem.put(dc), *d_da = mem.put(da), *d_db = mem.put(db);
  T* d_c = mem.poisoned<T>(s.M * s.N);
  std::vector<T> c(s.M * s.N);
  ops::matmul_forward<T>(s, a.data(), b.data(), c.data());
  ops::matmul_backward<T>(s, a.data(), b.data(), dc.data(), da.data(), db.data());
  be.matmul_forward(s, d_a, d_b, d_c);
  be.matmul_backward(s, d_a, d_b, d_dc, d_da, d_db);
  CHECK(check_close("matmul c", mem.get(d_c, c.size()), c, reduction_tol<T>(s.K, rms(c))));
  CHECK(check_close("matmul da", mem.get(d_da, da.size()), da, reduction_tol<T>(s.N + 1, rms(da))));
  CHECK(check_close("matmul db", mem.get(d_db, db.size()), db, reduction_tol<T>(s.M + 1, rms(db))));
}

// ---------------------------------------------------------------------------- row L2 norm ----
template <class T>
void l2_case(i64 R, i64 D, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const double eps = 1e-12;
  auto x = uniform<T>(R * D, rng);
  for (i64 i = 0; i < D; ++i) x[i] = T(0);  // row 0: the eps clamp
  auto dy = uniform<T>(R * D, rng), dx = uniform<T>(R * D, rng);
  std::vector<T> y(R * D), nrm(R);
  ops::l2_normalize_rows_forward<T>(R, D, eps, x.data(), y.data(), nrm.data());
  T *d_x = mem.put(x), *d_y = mem.poisoned<T>(y.size()), *d_n = mem.poisoned<T>(R);
  be.l2_normalize_rows_forward(R, D, eps, d_x, d_y, d_n);
  CHECK(check_close("l2 y", mem.get(d_y, y.size()), y, reduction_tol<T>(D, rms(y))));
  CHECK(check_close("l2 norm", mem.get(d_n, R), nrm, reduction_tol<T>(D, rms(nrm))));
  // Backward from the reference forward outputs. Row 0 gets dy/eps ~ 1e12: the rtol handles it,
  // and the atol is set by the other rows.
  T *d_yc = mem.put(y), *d_nc = mem.put(nrm), *d_dy = mem.put(dy), *d_dx = mem.put(dx);
  ops::l2_normalize_rows_backward<T>(R, D, eps, y.data(), nrm.data(), dy.data(), dx.data());
  be.l2_normalize_rows_backward(R, D, eps, d_yc, d_nc, d_dy, d_dx);
  std::vector<T> rest(dx.begin() + D, dx.end());
  CHECK(check_close("l2 dx", mem.get(d_dx, dx.size()), dx,
                    reduction_tol<T>(D + 1, rest.empty() ? 1.0 : rms(rest))));
}

// ------------------------------------------------------------------------------- losses ----
template <class T>
void loss_case(bool cosface, i64 N, i64 C, double s, double m, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto c = uniform<T>(N * C, rng), dc = uniform<T>(N * C, rng);
  std::vector<i64> labels(N);
  std::uniform_int_distribution<i64> lab(0, C - 1);
  for (auto& l : labels) l = lab(rng);
  std::vector<T> p(N * C), loss(1);
  T *d_c = mem.put(c), *d_p = mem.poisoned<T>(p.size()), *d_loss = mem.poisoned<T>(1), *d_dc = mem.put(dc);
  i64* d_lab = mem.put(labels);
  if (cosface) {
    ops::cosface_forward<T>(N, C, s, m, c.data(), labels.data(), p.data(), loss.data());
    be.cosface_forward(N, C, s, m, d_c, d_lab, d_p, d_loss);
  } else {
    ops::cross_entropy_forward<T>(N, C, c.data(), labels.data(), p.data(), loss.data());
    be.cross_entropy_forward(N, C, d_c, d_lab, d_p, d_loss);
  }
  // Both sides work in double (LSE shift) and round once: elementwise.
  CHECK(check_close("p", mem.get(d_p, p.size()), p, elementwise_tol<T>(rms(p))));
  CHECK(check_close("loss", mem.get(d_loss, 1), loss, elementwise_tol<T>(rms(loss))));
  T* d_pc = mem.put(p);  // the backward from the reference probabilities
  if (cosface) {
    ops::cosface_backward<T>(N, C, s, p.data(), labels.data(), T(0.75), dc.data());
    be.cosface_backward(N, C, s, d_pc, d_lab, T(0.75), d_dc);
  } else {
    ops::cross_entropy_backward<T>(N, C, p.data(), labels.data(), T(0.75), dc.data());
    be.cross_entropy_backward(N, C, d_pc, d_lab, T(0.75), d_dc);
  }
  CHECK(check_close("dc", mem.get(d_dc, dc.size()), dc, elementwise_tol<T>(rms(dc))));
}

template <class T>
void adacos_case(i64 N, i64 C, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto c = uniform<T>(N * C, rng);
  std::vector<i64> labels(N);
  std::uniform_int_distribution<i64> lab(0, C - 1);
  for (auto& l : labels) l = lab(rng);
  const double s0 = std::sqrt(2.0) * std::log(static_cast<double>(C - 1 > 1 ? C - 1 : 2));
  const double want = ops::adacos_update_scale<T>(N, C, c.data(), labels.data(), s0);
  T* d_c = mem.put(c);
  i64* d_lab = mem.put(labels);
  double *d_s = mem.put(std::vector<double>{s0}), *d_out = mem.poisoned<double>(1), *d_inplace = mem.put(std::vector<double>{s0});
  be.adacos_update_scale(N, C, d_c, d_lab, d_s, d_out);
  be.adacos_update_scale(N, C, d_c, d_lab, d_inplace, d_inplace);  // s_prev aliases s_new
  // Double on both sides; N*C exp terms and acos/log/cos within 2 ulp.
  const double tol = 1e-10 * std::sqrt(static_cast<double>(N * C)) * (1.0 + std::fabs(want));
  CHECK(check_close("scale", mem.get(d_out, 1), std::vector<double>{want}, Tol{tol, 0.0}));
  CHECK(check_close("scale in place", mem.get(d_inplace, 1), std::vector<double>{want}, Tol{tol, 0.0}));
}

// -------------------------------------------------------------------------------- top-k ----
template <class T>
void topk_case(i64 N, i64 C, i64 k, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  auto sc = uniform<T>(N * C, rng);
  for (auto& v : sc) v = std::round(v * T(20)) / T(20);  // many ties: to the lower index
  std::vector<i64> idx(N * k);
  ops::topk_rows<T>(N, C, sc.data(), k, idx.data());
  T* d_sc = mem.put(sc);
  i64* d_idx = mem.poisoned<i64>(idx.size());
  be.topk_rows(N, C, d_sc, k, d_idx);
  const auto got = mem.get(d_idx, idx.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < idx.size(); ++i)
    if (got[i] != idx[i] && bad++ < 5) std::printf("  topk[%zu]: got %ld ref %ld\n", i, (long)got[i], (long)idx[i]);
  CHECK(bad == 0);
}

// --------------------------------------------------------------------------------- Adam ----
// Three steps with a learning-rate schedule, the per-step scalars in backend memory (AdamHyper),
// against nn::ops::adam_update with the same scalars; then a call without gradient (untouched).
template <class T>
void adam_case(bool decoupled, i64 n, Backend<T>& be, Mem& mem, std::mt19937_64& rng) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = decoupled ? 0.01 : 1e-4;
  auto p = uniform<T>(n, rng), m = uniform<T>(n, rng, -0.01, 0.01), v = uniform<T>(n, rng, 0.0, 1e-4);
  T *d_p = mem.put(p), *d_m = mem.put(m), *d_v = mem.put(v);
  ops::AdamHyper* d_h = mem.put(std::vector<ops::AdamHyper>{ops::AdamHyper{}});
  for (int step = 1; step <= 3; ++step) {
    const double lr = 1e-3 * (1.0 + 0.37 * step);
    const double bc1 = 1.0 - std::pow(b1, step), bc2 = 1.0 - std::pow(b2, step);
    auto g = uniform<T>(n, rng);
    be.synchronize();  // the previous step's ops read *d_h
    be.upload(d_h, std::vector<ops::AdamHyper>{ops::AdamHyper{lr, bc1, bc2}}.data(), sizeof(ops::AdamHyper));
    T* d_g = mem.put(g);
    ops::adam_update<T>(p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, decoupled, bc1, bc2);
    be.adam_update(d_p, d_g, d_m, d_v, n, d_h, b1, b2, eps, wd, decoupled);
  }
  be.adam_update(d_p, nullptr, d_m, d_v, n, d_h, b1, b2, eps, wd, decoupled);
  // Elementwise; the update is ~lr and subtracted from p ~ 1, so the atol is set by |p|.
  CHECK(check_close("p", mem.get(d_p, n), p, elementwise_tol<T>(rms(p))));
  CHECK(check_close("m", mem.get(d_m, n), m, elementwise_tol<T>(rms(m))));
  CHECK(check_close("v", mem.get(d_v, n), v, elementwise_tol<T>(rms(v))));
}

// ------------------------------------------------------------------------------ the table ----
template <class T>
std::vector<OpCase<T>> op_cases() {
  std::vector<OpCase<T>> t;
  auto add = [&](std::vector<std::string> names, std::string shape,
                 std::function<void(Backend<T>&, Mem&, std::mt19937_64&)> f) {
    t.push_back(OpCase<T>{std::move(names), std::move(shape), std::move(f)});
  };
  for (const ConvCase& c : conv_cases())
    if (kFloat<T> || c.in_double)
      add({"conv1d_forward", "conv1d_backward"},
          "N C_in C_out L K stride dilation G pad: " +
              str({c.N, c.C_in, c.C_out, c.L, c.K, c.stride, c.dilation, c.groups, c.pad_left, c.pad_right}),
          [c](Backend<T>& be, Mem& m, std::mt19937_64& r) { conv_case<T>(c, be, m, r); });
  for (const BnCase& c : bn_cases())
    if (kFloat<T> || c.in_double)
      add({"batchnorm_stats", "batchnorm_update_running"}, "N C L: " + str({c.N, c.C, c.L}),
          [c](Backend<T>& be, Mem& m, std::mt19937_64& r) { bn_stats_case<T>(c, be, m, r); });
  for (const BsdCase& c : bsd_cases())
    for (bool training : {true, false})
      for (const BsdVariant& v : bsd_variants())
        add({"bn_swish_dropout_forward", "bn_swish_dropout_backward"},
            "N C L: " + str({c.N, c.C, c.L}) + (training ? " training " : " eval ") + v.describe(),
            [c, training, v](Backend<T>& be, Mem& m, std::mt19937_64& r) { bsd_case<T>(c, training, v, be, m, r); });
  for (bool sig : {false, true})
    for (i64 n : {i64{1}, i64{100003}, i64{2500007}})
      add({sig ? "sigmoid_forward" : "swish_forward", sig ? "sigmoid_backward" : "swish_backward"},
          "n " + std::to_string(n),
          [sig, n](Backend<T>& be, Mem& m, std::mt19937_64& r) { activation_case<T>(sig, n, be, m, r); });
  for (i64 n : {i64{1}, i64{1001}, i64{100003}})
    for (double p : {0.0, 0.1, 0.3, 0.5})
      for (std::uint64_t base : {0ull, 42ull, 0xfedcba9876543210ull})
        for (bool dev : {false, true})
          add({"dropout_forward", "dropout_backward"},
              "n " + std::to_string(n) + " p " + std::to_string(p) + " seed " + std::to_string(base) +
                  (dev ? " (device base seed)" : " (fixed)"),
              [=](Backend<T>& be, Mem& m, std::mt19937_64& r) { dropout_case<T>(n, p, base, dev, be, m, r); });
  for (i64 n : {i64{1}, i64{1000}, i64{1000003}, i64{2500007}})
    add({"add_forward", "axpy", "axpy_scale"}, "n " + std::to_string(n),
        [n](Backend<T>& be, Mem& m, std::mt19937_64& r) { add_axpy_case<T>(n, be, m, r); });
  for (auto [R, L] : std::vector<std::pair<i64, i64>>{{3 * 64, 3000}, {5, 375}, {7, 1}, {2 * 1024, 47}, {4, 2}})
    add({"maxpool_same2_forward", "maxpool_same2_backward", "mean_length_forward", "mean_length_backward"},
        "R L: " + str({R, L}), [R, L](Backend<T>& be, Mem& m, std::mt19937_64& r) { pool_case<T>(R, L, be, m, r); });
  struct Ch {
    i64 N, C, L, before, after;
  };
  for (Ch c : {Ch{2, 64, 1500, 48, 48}, Ch{1, 160, 188, 120, 120}, Ch{3, 400, 47, 312, 312}, Ch{2, 5, 3, 0, 1},
               Ch{2, 4, 7, 2, 0}})
    add({"scale_channels_forward", "scale_channels_backward", "pad_channels_forward", "pad_channels_backward"},
        "N C L before after: " + str({c.N, c.C, c.L, c.before, c.after}), [c](Backend<T>& be, Mem& m, std::mt19937_64& r) {
          channel_case<T>(c.N, c.C, c.L, c.before, c.after, be, m, r);
        });
  for (auto s : {ops::ResidualShape{2, 4, 4, 10, false, 0}, ops::ResidualShape{2, 64, 160, 3001, true, 48},
                 ops::ResidualShape{1, 3, 8, 7, true, 2}, ops::ResidualShape{1, 2, 6, 1, true, 2},
                 ops::ResidualShape{16, 400, 1024, 94, true, 312}})
    add({"residual_se_forward", "residual_shortcut_backward"},
        "N C_in C_out L_in: " + str({s.N, s.C_in, s.C_out, s.L_in}) + (s.downsample ? " downsampled" : ""),
        [s](Backend<T>& be, Mem& m, std::mt19937_64& r) { residual_case<T>(s, be, m, r); });
  for (auto s : {ops::LinearShape{256, 1024, 1000}, ops::LinearShape{3, 5, 7}, ops::LinearShape{1, 1024, 512},
                 ops::LinearShape{64, 512, 1024}})
    add({"linear_forward", "linear_backward"}, "N in out: " + str({s.N, s.in, s.out}),
        [s](Backend<T>& be, Mem& m, std::mt19937_64& r) { linear_case<T>(s, be, m, r); });
  for (bool tb : {false, true})
    for (auto s : {ops::MatmulShape{7, 13, 5, tb}, ops::MatmulShape{64, 256, 100, tb}})
      add({"matmul_forward", "matmul_backward"}, "M K N: " + str({s.M, s.K, s.N}) + (tb ? " b transposed" : ""),
          [s](Backend<T>& be, Mem& m, std::mt19937_64& r) { matmul_case<T>(s, be, m, r); });
  for (auto [R, D] : std::vector<std::pair<i64, i64>>{{256, 1024}, {5, 3}, {1000, 1024}, {3, 1}})
    add({"l2_normalize_rows_forward", "l2_normalize_rows_backward"}, "R D: " + str({R, D}),
        [R, D](Backend<T>& be, Mem& m, std::mt19937_64& r) { l2_case<T>(R, D, be, m, r); });
  struct Lc {
    i64 N, C;
    double s, m;
  };
  const std::vector<Lc> lcs = kFloat<T> ? std::vector<Lc>{{64, 1000, 30.0, 0.4}, {5, 3, 30.0, 0.4},
                                                          {256, 8172, 30.0, 0.4}, {33, 100, 1.0, 0.0}}
                                        : std::vector<Lc>{{17, 300, 30.0, 0.4}};
  for (Lc c : lcs)
    for (bool cosface : {true, false})
      add({cosface ? "cosface_forward" : "cross_entropy_forward", cosface ? "cosface_backward" : "cross_entropy_backward"},
          "N C: " + str({c.N, c.C}) + " s " + std::to_string(c.s) + " m " + std::to_string(c.m),
          [c, cosface](Backend<T>& be, Mem& m, std::mt19937_64& r) { loss_case<T>(cosface, c.N, c.C, c.s, c.m, be, m, r); });
  for (auto [N, C] : std::vector<std::pair<i64, i64>>{{64, 1000}, {63, 1000}, {1, 10}, {2, 5}, {256, 8172}})
    add({"adacos_update_scale"}, "N C: " + str({N, C}),
        [N, C](Backend<T>& be, Mem& m, std::mt19937_64& r) { adacos_case<T>(N, C, be, m, r); });
  struct Tk {
    i64 N, C, k;
  };
  for (Tk c : {Tk{64, 1000, 5}, Tk{3, 7, 7}, Tk{5, 300, 1}, Tk{256, 8172, 10}})
    add({"topk_rows"}, "N C k: " + str({c.N, c.C, c.k}),
        [c](Backend<T>& be, Mem& m, std::mt19937_64& r) { topk_case<T>(c.N, c.C, c.k, be, m, r); });
  for (bool decoupled : {false, true})
    for (i64 n : {i64{1}, i64{4097}, i64{10000}})
      add({"adam_update"}, std::string(decoupled ? "AdamW" : "Adam") + " n " + std::to_string(n),
          [decoupled, n](Backend<T>& be, Mem& m, std::mt19937_64& r) { adam_case<T>(decoupled, n, be, m, r); });
  return t;
}

// Runs every case of the table on `be`; each case on a fresh random stream (seeded from the
// case's position) and its own memory.
template <class T>
void run_op_cases(Backend<T>& be, std::uint64_t seed) {
  const auto cases = op_cases<T>();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    std::string what = be.name() + ": ";
    for (const auto& o : c.ops) what += o + " ";
    what += "| " + c.shape;
    CAPTURE(what);
    std::mt19937_64 rng(seed + 0x9e3779b97f4a7c15ull * (i + 1));
    Mem mem(be);
    c.run(be, mem, rng);
  }
}

// The ops of nn/exec/ops.def that no case runs (empty when the table is complete).
template <class T>
std::vector<std::string> ops_without_case() {
  std::set<std::string> covered;
  for (const auto& c : op_cases<T>()) covered.insert(c.ops.begin(), c.ops.end());
  std::vector<std::string> missing;
  for (const auto& o : table_ops())
    if (!covered.count(o)) missing.push_back(o);
  return missing;
}

}  // namespace xrdid::optest
