// Symmetric banded matrices for BEADS: storage, products, Cholesky factorisation and solves.
// Everything is O(N·bw²) (the dpbtrf/dpbtrs equivalent docs/method.md §6.3 asks for).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace xrdid::denoise {

// Symmetric N×N matrix with half-bandwidth bw. Only the lower band is stored, row-major:
// element (i, j) with i−bw ≤ j ≤ i lives at data[i·(bw+1) + (j − i + bw)].
class SymBanded {
 public:
  SymBanded() = default;
  SymBanded(std::size_t n, int bw) : n_(n), bw_(bw), data_(n * static_cast<std::size_t>(bw + 1), 0.0) {
    if (bw < 0) throw std::runtime_error("SymBanded: negative bandwidth");
  }

  std::size_t size() const { return n_; }
  int bandwidth() const { return bw_; }

  // Element access for |i − j| ≤ bw (either triangle); out-of-band reads return 0.
  double get(std::size_t i, std::size_t j) const {
    if (j > i) std::swap(i, j);
    if (i - j > static_cast<std::size_t>(bw_)) return 0.0;
    return data_[i * (bw_ + 1) + (j + bw_ - i)];
  }
  // Lower-triangle reference, requires j ≤ i and i − j ≤ bw.
  double& lower(std::size_t i, std::size_t j) { return data_[i * (bw_ + 1) + (j + bw_ - i)]; }
  double lower(std::size_t i, std::size_t j) const { return data_[i * (bw_ + 1) + (j + bw_ - i)]; }
  // Raw band storage: row i starts at data() + i·(bw+1), entry c is column i − bw + c.
  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }
  void add(std::size_t i, std::size_t j, double v) {
    if (j > i) std::swap(i, j);
    lower(i, j) += v;
  }

  // Banded symmetric Toeplitz matrix whose diagonal offset k (−bw…bw) holds coef[k + bw],
  // truncated at the edges (no boundary rows), as used for A and B in docs/method.md §6.2.
  static SymBanded toeplitz(std::size_t n, const std::vector<double>& coef) {
    const int bw = static_cast<int>(coef.size() / 2);
    SymBanded m(n, bw);
    for (std::size_t i = 0; i < n; ++i)
      for (int k = 0; k <= bw && static_cast<std::size_t>(k) <= i; ++k) m.lower(i, i - k) = coef[bw - k];
    return m;
  }

  // y = M·x.
  std::vector<double> multiply(const std::vector<double>& x) const {
    std::vector<double> y(n_, 0.0);
    multiply_into(x, y);
    return y;
  }
  void multiply_into(const std::vector<double>& x, std::vector<double>& y) const {
    y.assign(n_, 0.0);
    for (std::size_t i = 0; i < n_; ++i) {
      const std::size_t j0 = i >= static_cast<std::size_t>(bw_) ? i - bw_ : 0;
      double s = lower(i, i) * x[i];
      for (std::size_t j = j0; j < i; ++j) {
        const double a = lower(i, j);
        s += a * x[j];
        y[j] += a * x[i];
      }
      y[i] += s;
    }
  }

 private:
  std::size_t n_ = 0;
  int bw_ = 0;
  std::vector<double> data_;
};

// A symmetric banded matrix in zero-padded "full band" storage: row i (−pad ≤ i < N+pad)
// holds columns i−b … i+b, and everything outside the N×N matrix is zero, so products need no
// bounds checks. row(i)[o] = M(i, i+o) for −b ≤ o ≤ b.
struct FullBand {
  long n = 0, b = 0, pad = 0;
  std::vector<double> v;
  FullBand() = default;
  FullBand(long n_, long b_, long pad_) : n(n_), b(b_), pad(pad_), v(static_cast<std::size_t>((n_ + 2 * pad_) * (2 * b_ + 1)), 0.0) {}
  double* row(long i) { return &v[static_cast<std::size_t>((i + pad) * (2 * b + 1) + b)]; }
  const double* row(long i) const { return &v[static_cast<std::size_t>((i + pad) * (2 * b + 1) + b)]; }
  void zero() { std::fill(v.begin(), v.end(), 0.0); }
  static FullBand from(const SymBanded& X, long pad) {
    const long n = static_cast<long>(X.size()), b = X.bandwidth();
    FullBand F(n, b, pad);
    for (long i = 0; i < n; ++i)
      for (long o = -b; o <= b; ++o)
        if (i + o >= 0 && i + o < n) F.row(i)[o] = X.get(static_cast<std::size_t>(i), static_cast<std::size_t>(i + o));
    return F;
  }
};

// C = Aᵀ·M·A for symmetric banded A (half-bandwidth a) and M (half-bandwidth m), given in
// full-band storage with pad ≥ 2a + m. C (half-bandwidth 2a + m) and the scratch T are
// (re)used as given. T = M·A costs (2a+2m+1)(2m+1) and C (2a+m+1)(2a+1) multiply-adds per row.
namespace detail {
// Kernel of congruence_into; BA, BM ≥ 0 fix the bandwidths at compile time (−1: runtime).
template <int BA, int BM>
void congruence_kernel(const FullBand& A, const FullBand& M, std::vector<double>& T, SymBanded& C) {
  const long n = A.n;
  const long ba = BA >= 0 ? BA : A.b, bm = BM >= 0 ? BM : M.b, bt = ba + bm, bc = 2 * ba + bm;
  const long wt = 2 * bt + 1;
  T.assign(static_cast<std::size_t>((n + 2 * ba) * wt), 0.0);  // rows −ba … n−1+ba
  // T(k, k+o) = Σ_p M(k, k+p)·A(k+p, k+o).
  for (long k = -ba; k < n + ba; ++k) {
    const double* mrow = M.row(k);
    double* trow = &T[static_cast<std::size_t>((k + ba) * wt + bt)];
    for (long p = -bm; p <= bm; ++p) {
      const double mv = mrow[p];
      const double* arow = A.row(k + p);
      for (long q = -ba; q <= ba; ++q) trow[p + q] += mv * arow[q];
    }
  }
  // C(i, i+o) = Σ_q A(i, i+q)·T(i+q, i+o), o ≤ 0, |o − q| ≤ bt (always true: |o| ≤ bc, |q| ≤ ba).
  double* c = C.data();  // c[i·(bc+1) + (o + bc)] = C(i, i+o)
  for (long i = 0; i < n; ++i) {
    const double* arow = A.row(i);
    const long o0 = i >= bc ? -bc : -i;
    for (long o = o0; o <= 0; ++o) {
      double s = 0.0;
      for (long q = -ba; q <= ba; ++q)
        if (o - q >= -bt && o - q <= bt) s += arow[q] * T[static_cast<std::size_t>((i + q + ba) * wt + bt + (o - q))];
      c[i * (bc + 1) + (o + bc)] = s;
    }
  }
}
}  // namespace detail

inline void congruence_into(const FullBand& A, const FullBand& M, std::vector<double>& T, SymBanded& C) {
  const long n = A.n, ba = A.b, bm = M.b, bt = ba + bm, bc = 2 * ba + bm;
  if (M.n != n || A.pad < bt + ba || M.pad < bt + ba) throw std::runtime_error("congruence: bad operands");
  if (C.size() != static_cast<std::size_t>(n) || C.bandwidth() != bc) C = SymBanded(static_cast<std::size_t>(n), static_cast<int>(bc));
  if (ba == 1 && bm == 2) return detail::congruence_kernel<1, 2>(A, M, T, C);  // BEADS d = 1
  if (ba == 2 && bm == 2) return detail::congruence_kernel<2, 2>(A, M, T, C);  // BEADS d = 2
  detail::congruence_kernel<-1, -1>(A, M, T, C);
}

// C = Aᵀ·M·A (convenience form of congruence_into).
inline SymBanded congruence(const SymBanded& A, const SymBanded& M) {
  const long pad = 2L * A.bandwidth() + M.bandwidth();
  SymBanded C;
  std::vector<double> T;
  congruence_into(FullBand::from(A, pad), FullBand::from(M, pad), T, C);
  return C;
}

// Banded LU with partial pivoting (the dgbtrf/dgbtrs equivalent) for a symmetric banded
// matrix that is positive definite in exact arithmetic but too ill-conditioned for Cholesky
// in floating point (BEADS with d = 2, where A is nearly singular). Row i keeps columns
// i−bw … i+2bw (the upper fill-in that row exchanges create).
class BandedLU {
 public:
  explicit BandedLU(const SymBanded& m) : n_(m.size()), bw_(static_cast<std::size_t>(m.bandwidth())),
                                          w_(3 * bw_ + 1), a_(n_ * w_, 0.0), piv_(n_) {
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t j = i >= bw_ ? i - bw_ : 0; j <= std::min(n_ - 1, i + bw_); ++j) at(i, j) = m.get(i, j);
    for (std::size_t k = 0; k < n_; ++k) {
      const std::size_t last = std::min(n_ - 1, k + bw_);
      std::size_t p = k;
      for (std::size_t i = k + 1; i <= last; ++i)
        if (std::abs(at(i, k)) > std::abs(at(p, k))) p = i;
      piv_[k] = p;
      if (at(p, k) == 0.0) throw std::runtime_error("banded LU: matrix is singular (column " + std::to_string(k) + ")");
      const std::size_t jend = std::min(n_ - 1, k + 2 * bw_);
      if (p != k)
        for (std::size_t j = k; j <= jend; ++j) std::swap(at(k, j), at(p, j));
      for (std::size_t i = k + 1; i <= last; ++i) {
        const double l = at(i, k) / at(k, k);
        at(i, k) = l;
        if (l != 0.0)
          for (std::size_t j = k + 1; j <= jend; ++j) at(i, j) -= l * at(k, j);
      }
    }
  }
  std::vector<double> solve(std::vector<double> b) const {
    if (b.size() != n_) throw std::runtime_error("BandedLU::solve: size mismatch");
    for (std::size_t k = 0; k < n_; ++k) {
      std::swap(b[k], b[piv_[k]]);
      for (std::size_t i = k + 1; i <= std::min(n_ - 1, k + bw_); ++i) b[i] -= at(i, k) * b[k];
    }
    for (std::size_t i = n_; i-- > 0;) {
      double s = b[i];
      for (std::size_t j = i + 1; j <= std::min(n_ - 1, i + 2 * bw_); ++j) s -= at(i, j) * b[j];
      b[i] = s / at(i, i);
    }
    return b;
  }

 private:
  double& at(std::size_t i, std::size_t j) { return a_[i * w_ + (j + bw_ - i)]; }
  double at(std::size_t i, std::size_t j) const { return a_[i * w_ + (j + bw_ - i)]; }
  std::size_t n_, bw_, w_;
  std::vector<double> a_;
  std::vector<std::size_t> piv_;
};

// In-place square-root-free Cholesky factorisation M = L·D·Lᵀ (L unit lower triangular with
// the band of M, D diagonal) of a symmetric positive definite banded matrix; the dpbtrf/dpbtrs
// equivalent. Without square roots the serial dependency from one row to the next is one
// multiply, one multiply-add and one division. Fails if a pivot D(i) is not positive.
class BandedCholesky {
 public:
  BandedCholesky() = default;
  explicit BandedCholesky(SymBanded m) : L_(std::move(m)) {
    if (!factorise()) throw std::runtime_error("banded Cholesky: matrix is not positive definite (pivot " +
                                               std::to_string(bad_pivot_) + ")");
  }
  // Factorises m; returns false (and leaves *out unusable) if a pivot is not positive.
  static bool try_factorise(SymBanded m, BandedCholesky& out) {
    out.L_ = std::move(m);
    return out.factorise();
  }
  // Gives the storage back (to be reused for the next matrix of the same shape).
  SymBanded release() { return std::move(L_); }

  std::size_t size() const { return L_.size(); }

  // Solves M·x = b.
  std::vector<double> solve(const std::vector<double>& b) const {
    std::vector<double> x(b);
    solve_in_place(x);
    return x;
  }
  void solve_in_place(std::vector<double>& x) const {
    if (x.size() != L_.size()) throw std::runtime_error("BandedCholesky::solve: size mismatch");
    switch (L_.bandwidth()) {  // compile-time bandwidths for the BEADS cases (4 and 6)
      case 1: return solve_band<1>(x);
      case 2: return solve_band<2>(x);
      case 3: return solve_band<3>(x);
      case 4: return solve_band<4>(x);
      case 5: return solve_band<5>(x);
      case 6: return solve_band<6>(x);
      default: return solve_band<-1>(x);
    }
  }

 private:
  // Storage: row i starts at L_.data() + i·(bw+1); entry c is L(i, i − bw + c) for c < bw and
  // D(i) for c = bw. Entries with a column index < 0 are never read.
  // BW ≥ 0 fixes the bandwidth at compile time, −1 reads it at run time.
  template <int BW>
  void solve_band(std::vector<double>& x) const {
    const std::size_t n = L_.size();
    const std::size_t bw = BW >= 0 ? static_cast<std::size_t>(BW) : static_cast<std::size_t>(L_.bandwidth());
    const double* L = L_.data();
    if (bw == 0 || n == 0) {
      for (std::size_t i = 0; i < n; ++i) x[i] *= inv_diag_[i];
      return;
    }
    // L·y = b (unit diagonal). The terms not involving y[i−1] go first, so that the serial
    // dependency between rows is a single multiply-add.
    for (std::size_t i = 0; i < n; ++i) {
      const double* Li = L + i * (bw + 1);
      const std::size_t j0 = i >= bw ? i - bw : 0;
      if (i == 0) continue;
      double t = 0.0;
      for (std::size_t j = j0; j + 1 < i; ++j) t += Li[j + bw - i] * x[j];
      x[i] = (x[i] - t) - Li[bw - 1] * x[i - 1];
    }
    for (std::size_t i = 0; i < n; ++i) x[i] *= inv_diag_[i];  // D·z = y
    for (std::size_t i = n - 1; i-- > 0;) {                    // Lᵀ·x = z
      const std::size_t kend = std::min(n - 1, i + bw);
      double t = 0.0;
      for (std::size_t k = i + 2; k <= kend; ++k) t += L[k * (bw + 1) + (i + bw - k)] * x[k];
      x[i] = (x[i] - t) - L[(i + 1) * (bw + 1) + (bw - 1)] * x[i + 1];
    }
  }

  bool factorise() {
    inv_diag_.resize(L_.size());
    switch (L_.bandwidth()) {
      case 0: return factorise_band<0>();
      case 1: return factorise_band<1>();
      case 2: return factorise_band<2>();
      case 3: return factorise_band<3>();
      case 4: return factorise_band<4>();
      case 5: return factorise_band<5>();
      case 6: return factorise_band<6>();
      default: return factorise_band<-1>();
    }
  }
  // With W(i, k) = L(i, k)·D(k):
  //   W(i, j) = M(i, j) − Σ_{k<j} W(i, k)·L(j, k),  L(i, j) = W(i, j)/D(j),
  //   D(i)    = M(i, i) − Σ_{k<i} W(i, k)·L(i, k).
  template <int BW>
  bool factorise_band() {
    const std::size_t n = L_.size();
    const std::size_t bw = BW >= 0 ? static_cast<std::size_t>(BW) : static_cast<std::size_t>(L_.bandwidth());
    double* L = L_.data();
    std::vector<double> w_dyn(BW >= 0 ? 0 : bw + 1);
    double w_fixed[BW >= 0 ? BW + 1 : 1];
    double* w = BW >= 0 ? w_fixed : w_dyn.data();  // w[c] = W(i, i − bw + c)
    for (std::size_t i = 0; i < n; ++i) {
      double* Li = L + i * (bw + 1);
      const std::size_t c0 = i >= bw ? 0 : bw - i;  // first column ≥ 0
      double d = Li[bw];
      for (std::size_t c = c0; c < bw; ++c) {
        const std::size_t j = i - bw + c;
        const double* Lj = L + j * (bw + 1);  // Lj[e] = L(j, j − bw + e)
        double s = Li[c];
        for (std::size_t m = c0; m < c; ++m) s -= w[m] * Lj[m + bw - c];
        w[c] = s;
        Li[c] = s * inv_diag_[j];
        d -= s * Li[c];
      }
      if (!(d > 0.0)) {
        bad_pivot_ = i;
        return false;
      }
      Li[bw] = d;
      inv_diag_[i] = 1.0 / d;
    }
    return true;
  }

  SymBanded L_;
  std::vector<double> inv_diag_;  // 1 / D(i)
  std::size_t bad_pivot_ = 0;
};

}  // namespace xrdid::denoise
