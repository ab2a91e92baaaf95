// Grouped 1D convolution on the CPU: im2col per (sample chunk, group) + Eigen GEMM, with a
// plain-GEMM fast path for 1x1 convolutions. OpenMP over independent output blocks.
#include "nn/ops/conv1d.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "nn/ops/cpu_target.hpp"
#include "nn/ops/cpu_util.hpp"
#include "nn/ops/sgemm.hpp"
#include "nn/tensor.hpp"

namespace xrdid::nn::ops {

using detail::CMapR;
using detail::CMapRS;
using detail::MapR;
using detail::MapRS;

Conv1dShape Conv1dShape::same(std::int64_t N, std::int64_t C_in, std::int64_t C_out,
                              std::int64_t L_in, std::int64_t K, std::int64_t stride,
                              std::int64_t dilation, std::int64_t groups) {
  Conv1dShape s;
  s.N = N, s.C_in = C_in, s.C_out = C_out, s.L_in = L_in, s.K = K;
  s.stride = stride, s.dilation = dilation, s.groups = groups;
  s.L_out = (L_in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>(0, (s.L_out - 1) * stride + (K - 1) * dilation + 1 - L_in);
  s.pad_left = total / 2;
  s.pad_right = total - s.pad_left;
  s.validate();
  return s;
}

Conv1dShape Conv1dShape::padded(std::int64_t N, std::int64_t C_in, std::int64_t C_out,
                                std::int64_t L_in, std::int64_t K, std::int64_t stride,
                                std::int64_t dilation, std::int64_t groups, std::int64_t pad_left,
                                std::int64_t pad_right) {
  Conv1dShape s;
  s.N = N, s.C_in = C_in, s.C_out = C_out, s.L_in = L_in, s.K = K;
  s.stride = stride, s.dilation = dilation, s.groups = groups;
  s.pad_left = pad_left, s.pad_right = pad_right;
  s.L_out = (L_in + pad_left + pad_right - dilation * (K - 1) - 1) / stride + 1;
  s.validate();
  return s;
}

void Conv1dShape::validate() const {
  auto fail = [](const std::string& m) { throw std::runtime_error("xrdid: conv1d: " + m); };
  if (N < 1 || C_in < 1 || C_out < 1 || L_in < 1 || K < 1 || stride < 1 || dilation < 1 || groups < 1)
    fail("sizes must be positive");
  if (pad_left < 0 || pad_right < 0) fail("negative padding");
  if (C_in % groups != 0 || C_out % groups != 0)
    fail("channels " + std::to_string(C_in) + "->" + std::to_string(C_out) + " not divisible by groups " +
         std::to_string(groups));
  const std::int64_t span = L_in + pad_left + pad_right - dilation * (K - 1) - 1;
  if (span < 0) fail("kernel wider than the padded input");
  if (L_out != span / stride + 1) fail("L_out inconsistent with L_in, K, stride, padding");
}

double Conv1dShape::flops() const {
  return 2.0 * static_cast<double>(N) * C_out * L_out * (C_in / groups) * K;
}

namespace {

// An uninitialised temporary array from the tensor allocator (its block cache avoids the page
// faults and the zero-fill of a fresh std::vector on every call). Every element is written
// before it is read.
template <class T>
struct TmpBuf {
  Tensor t;
  explicit TmpBuf(std::int64_t n) : t(Tensor::empty({n}, dtype_of<T>())) {}
  T* data() { return t.data<T>(); }
};

// Threads only pay off above ~1 MFLOP; tiny convolutions (tests, finite differences) stay serial.
inline bool conv_par(const Conv1dShape& s) { return s.flops() > 1e6; }

struct Plan {
  std::int64_t Cgi, Cgo, CK, nb, nchunks;
};

Plan make_plan(const Conv1dShape& s) {
  Plan p;
  p.Cgi = s.C_in / s.groups;
  p.Cgo = s.C_out / s.groups;
  p.CK = p.Cgi * s.K;
  // Samples per GEMM: aim for >= ~384 GEMM columns, balanced chunks.
  std::int64_t nb = std::clamp<std::int64_t>(384 / s.L_out, 1, s.N);
  p.nchunks = (s.N + nb - 1) / nb;
  p.nb = (s.N + p.nchunks - 1) / p.nchunks;
  return p;
}

bool is_pointwise(const Conv1dShape& s) {
  return s.K == 1 && s.stride == 1 && s.pad_left == 0 && s.pad_right == 0 && s.groups == 1;
}

// col[(ci*K + k), j*L_out + l] = x[n0+j, c0+ci, l*stride + k*dil - pad_left] (0 outside).
template <class T>
void im2col(const Conv1dShape& s, const T* x, std::int64_t n0, std::int64_t nb, std::int64_t c0,
            std::int64_t Cgi, T* col) {
  const std::int64_t Lo = s.L_out, M = nb * Lo;
  for (std::int64_t ci = 0; ci < Cgi; ++ci)
    for (std::int64_t k = 0; k < s.K; ++k) {
      const std::int64_t off = k * s.dilation - s.pad_left;
      // valid l: 0 <= l*stride + off < L_in
      std::int64_t lo = off >= 0 ? 0 : (-off + s.stride - 1) / s.stride;
      std::int64_t hi = off >= s.L_in ? 0 : (s.L_in - off + s.stride - 1) / s.stride;
      lo = std::min(lo, Lo);
      hi = std::clamp(hi, lo, Lo);
      T* crow = col + (ci * s.K + k) * M;
      for (std::int64_t j = 0; j < nb; ++j) {
        const T* xr = x + ((n0 + j) * s.C_in + c0 + ci) * s.L_in + off;
        T* c = crow + j * Lo;
        for (std::int64_t l = 0; l < lo; ++l) c[l] = T(0);
        if (s.stride == 1) {
          std::memcpy(c + lo, xr + lo, static_cast<std::size_t>(hi - lo) * sizeof(T));
        } else {
          for (std::int64_t l = lo; l < hi; ++l) c[l] = xr[l * s.stride];
        }
        for (std::int64_t l = hi; l < Lo; ++l) c[l] = T(0);
      }
    }
}

// dx[n0+j, c0+ci, l*stride + k*dil - pad_left] += dcol[(ci*K + k), j*L_out + l].
template <class T>
void col2im_add(const Conv1dShape& s, const T* dcol, std::int64_t n0, std::int64_t nb,
                std::int64_t c0, std::int64_t Cgi, T* dx) {
  const std::int64_t Lo = s.L_out, M = nb * Lo;
  for (std::int64_t ci = 0; ci < Cgi; ++ci)
    for (std::int64_t k = 0; k < s.K; ++k) {
      const std::int64_t off = k * s.dilation - s.pad_left;
      std::int64_t lo = off >= 0 ? 0 : (-off + s.stride - 1) / s.stride;
      std::int64_t hi = off >= s.L_in ? 0 : (s.L_in - off + s.stride - 1) / s.stride;
      lo = std::min(lo, Lo);
      hi = std::clamp(hi, lo, Lo);
      const T* crow = dcol + (ci * s.K + k) * M;
      for (std::int64_t j = 0; j < nb; ++j) {
        T* xr = dx + ((n0 + j) * s.C_in + c0 + ci) * s.L_in + off;
        const T* c = crow + j * Lo;
        if (s.stride == 1) {
#pragma omp simd
          for (std::int64_t l = lo; l < hi; ++l) xr[l] += c[l];
        } else {
          for (std::int64_t l = lo; l < hi; ++l) xr[l * s.stride] += c[l];
        }
      }
    }
}

// dst[(c - c0), j*L + l] = src[n0+j, c, l] for c in [c0, c0+rows).
template <class T>
void gather_rows(const T* src, std::int64_t C, std::int64_t L, std::int64_t n0, std::int64_t nb,
                 std::int64_t c0, std::int64_t rows, T* dst) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < nb; ++j)
      std::memcpy(dst + (r * nb + j) * L, src + ((n0 + j) * C + c0 + r) * L,
                  static_cast<std::size_t>(L) * sizeof(T));
}


// ---- direct register-blocked kernel (dilation 1, 16-channel tiles) -------------------------
// One tile computes 16 output rows x 16 positions in registers (nn/ops/conv1d_direct.inc). The
// kernels are compiled for each CPU path (nn/cpu_path.hpp) and picked at run time.
constexpr std::int64_t kTile = 16;
inline std::int64_t round_up(std::int64_t v, std::int64_t m) { return (v + m - 1) / m * m; }

bool direct_forward_ok(const Conv1dShape& s) { return s.dilation == 1 && (s.C_out / s.groups) % kTile == 0; }
bool direct_dx_ok(const Conv1dShape& s) { return s.dilation == 1 && (s.C_in / s.groups) % kTile == 0; }

#define XRDID_KERNEL_FILE "nn/ops/conv1d_direct.inc"
#include "nn/ops/cpu_paths.inc"

template <class T>
void direct_forward(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* laid, const T* b, T* y) {
  XRDID_CPU_DISPATCH(path, direct_forward<T>, (s, x, w, laid, b, y));
}
template <class T>
void direct_forward_pack(CpuPath path, const Conv1dShape& s, const T* w, T* laid) {
  XRDID_CPU_DISPATCH(path, direct_forward_pack<T>, (s, w, laid));
}
template <class T>
void direct_dx(CpuPath path, const Conv1dShape& s, const T* w, const T* dy, T* dx) {
  XRDID_CPU_DISPATCH(path, direct_dx<T>, (s, w, dy, dx));
}
template <class T>
void direct_dw(CpuPath path, const Conv1dShape& s, const T* x, const T* dy, T* dw, T* db) {
  XRDID_CPU_DISPATCH(path, direct_dw<T>, (s, x, dy, dw, db));
}

// ---- 1x1 convolution: y_n = W x_n + b -----------------------------------------------------
// C (M x N, ldc) (+)= op(A) * op(B), row-major (see detail::sgemm): the SGEMM of the CPU path
// for float, Eigen for double.
template <class T>
void mm(CpuPath path, bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t lda, const T* B,
        std::int64_t ldb, T* C, std::int64_t ldc, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    detail::sgemm_on(path, ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  } else {
    using St = Eigen::OuterStride<>;
    MapRS<T> Cm(C, M, N, St(ldc));
    auto run = [&](const auto& a, const auto& b) {
      if (accumulate) Cm.noalias() += a * b;
      else Cm.noalias() = a * b;
    };
    if (!ta && !tb) run(CMapRS<T>(A, M, K, St(lda)), CMapRS<T>(B, K, N, St(ldb)));
    else if (ta && !tb) run(CMapRS<T>(A, K, M, St(lda)).transpose(), CMapRS<T>(B, K, N, St(ldb)));
    else if (!ta && tb) run(CMapRS<T>(A, M, K, St(lda)), CMapRS<T>(B, N, K, St(ldb)).transpose());
    else run(CMapRS<T>(A, K, M, St(lda)).transpose(), CMapRS<T>(B, N, K, St(ldb)).transpose());
  }
}

// Row blocks per sample for the per-sample 1x1 GEMMs: 1 when there are at least as many
// samples as threads, otherwise enough blocks (of >= 16 rows) to give every thread work.
std::int64_t pointwise_row_split(const Conv1dShape& s, std::int64_t rows) {
  const std::int64_t nth = conv_par(s) ? detail::max_threads() : 1;
  if (s.N >= nth) return 1;
  return std::min<std::int64_t>((nth + s.N - 1) / s.N, std::max<std::int64_t>(1, rows / 16));
}

template <class T>
void pointwise_forward(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) {
  const std::int64_t Ci = s.C_in, Co = s.C_out, L = s.L_in, N = s.N;
  if (L >= 128 || N == 1) {
    // Tasks: (sample, block of output rows). With fewer samples than threads (batch 1) each
    // sample's GEMM is split into row blocks so every thread has work (Eigen runs serially).
    const std::int64_t split = pointwise_row_split(s, Co);
    const std::int64_t rb = (Co + split - 1) / split;
#pragma omp parallel for schedule(static) if (conv_par(s))
    for (std::int64_t t = 0; t < N * split; ++t) {
      const std::int64_t n = t / split, r0 = (t % split) * rb, rows = std::min(rb, Co - r0);
      if (rows <= 0) continue;
      T* yb = y + (n * Co + r0) * L;
      mm<T>(path, false, false, rows, L, Ci, w + r0 * Ci, Ci, x + n * Ci * L, L, yb, L, false);
      if (b)
        for (std::int64_t r = 0; r < rows; ++r) {
          const T bias = b[r0 + r];
          T* yr = yb + r * L;
#pragma omp simd
          for (std::int64_t l = 0; l < L; ++l) yr[l] += bias;
        }
    }
    return;
  }
  // Short rows: one GEMM over all samples, split over output-row blocks.
  const std::int64_t M = N * L;
  TmpBuf<T> xc(Ci * M);
#pragma omp parallel for schedule(static) if (conv_par(s))
  for (std::int64_t c = 0; c < Ci; ++c) gather_rows(x, Ci, L, 0, N, c, 1, xc.data() + c * M);
  const std::int64_t rb = 64, nblk = (Co + rb - 1) / rb;
#pragma omp parallel for schedule(dynamic) if (conv_par(s))
  for (std::int64_t ib = 0; ib < nblk; ++ib) {
    const std::int64_t r0 = ib * rb, rows = std::min(rb, Co - r0);
    T* out = detail::scratch<T>(0, static_cast<std::size_t>(rows * M));
    mm<T>(path, false, false, rows, M, Ci, w + r0 * Ci, Ci, xc.data(), M, out, M, false);
    for (std::int64_t r = 0; r < rows; ++r) {
      const T bias = b ? b[r0 + r] : T(0);
      for (std::int64_t n = 0; n < N; ++n) {
        T* yr = y + (n * Co + r0 + r) * L;
        const T* o = out + r * M + n * L;
        for (std::int64_t l = 0; l < L; ++l) yr[l] = o[l] + bias;
      }
    }
  }
}

template <class T>
void pointwise_backward(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                        T* db) {
  const std::int64_t Ci = s.C_in, Co = s.C_out, L = s.L_in, N = s.N, M = N * L;
  if (db) {
#pragma omp parallel for schedule(static) if (conv_par(s))
    for (std::int64_t c = 0; c < Co; ++c) {
      T acc = 0;
      for (std::int64_t n = 0; n < N; ++n) {
        const T* d = dy + (n * Co + c) * L;
        for (std::int64_t l = 0; l < L; ++l) acc += d[l];
      }
      db[c] += acc;
    }
  }
  if (dx) {
    if (L >= 128 || N == 1) {
      const std::int64_t split = pointwise_row_split(s, Ci);
      const std::int64_t rb = (Ci + split - 1) / split;
#pragma omp parallel for schedule(static) if (conv_par(s))
      for (std::int64_t t = 0; t < N * split; ++t) {
        const std::int64_t n = t / split, r0 = (t % split) * rb, rows = std::min(rb, Ci - r0);
        if (rows <= 0) continue;
        mm<T>(path, true, false, rows, L, Co, w + r0, Ci, dy + n * Co * L, L, dx + (n * Ci + r0) * L, L, true);
      }
    } else {
      TmpBuf<T> dyc(Co * M);
#pragma omp parallel for schedule(static) if (conv_par(s))
      for (std::int64_t c = 0; c < Co; ++c) gather_rows(dy, Co, L, 0, N, c, 1, dyc.data() + c * M);
      const std::int64_t rb = 64, nblk = (Ci + rb - 1) / rb;
#pragma omp parallel for schedule(dynamic) if (conv_par(s))
      for (std::int64_t ib = 0; ib < nblk; ++ib) {
        const std::int64_t r0 = ib * rb, rows = std::min(rb, Ci - r0);
        T* out = detail::scratch<T>(0, static_cast<std::size_t>(rows * M));
        mm<T>(path, true, false, rows, M, Co, w + r0, Ci, dyc.data(), M, out, M, false);
        for (std::int64_t r = 0; r < rows; ++r)
          for (std::int64_t n = 0; n < N; ++n) {
            T* xr = dx + (n * Ci + r0 + r) * L;
            const T* o = out + r * M + n * L;
            for (std::int64_t l = 0; l < L; ++l) xr[l] += o[l];
          }
      }
    }
  }
  if (dw) {
    // dW += sum_n dy_n x_n^T = dYc (Co x N*L) * Xc^T; Xc shared, row blocks of dW per task
    // (one block per thread where possible: every block re-packs Xc inside the GEMM).
    TmpBuf<T> xc(Ci * M);
#pragma omp parallel for schedule(static) if (conv_par(s))
    for (std::int64_t c = 0; c < Ci; ++c) gather_rows(x, Ci, L, 0, N, c, 1, xc.data() + c * M);
    const std::int64_t nth = detail::max_threads();
    const std::int64_t rb = std::max<std::int64_t>(16, (Co + nth - 1) / nth), nblk = (Co + rb - 1) / rb;
#pragma omp parallel for schedule(dynamic) if (conv_par(s))
    for (std::int64_t ib = 0; ib < nblk; ++ib) {
      const std::int64_t r0 = ib * rb, rows = std::min(rb, Co - r0);
      T* dyr = detail::scratch<T>(0, static_cast<std::size_t>(rows * M));
      gather_rows(dy, Co, L, 0, N, r0, rows, dyr);
      mm<T>(path, false, true, rows, Ci, M, dyr, M, xc.data(), M, dw + r0 * Ci, Ci, true);
    }
  }
}

// ---- general grouped convolution --------------------------------------------------------
template <class T>
void grouped_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) {
  const Plan p = make_plan(s);
  const std::int64_t G = s.groups, Lo = s.L_out;
  const std::int64_t tasks = p.nchunks * G;
#pragma omp parallel for schedule(dynamic) if (conv_par(s))
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t chunk = t / G, g = t % G;
    const std::int64_t n0 = chunk * p.nb, nb = std::min(p.nb, s.N - n0), M = nb * Lo;
    T* col = detail::scratch<T>(0, static_cast<std::size_t>(p.CK * M));
    im2col(s, x, n0, nb, g * p.Cgi, p.Cgi, col);
    CMapR<T> Wg(w + g * p.Cgo * p.CK, p.Cgo, p.CK);
    if (nb == 1) {
      MapR<T> Y(y + (n0 * s.C_out + g * p.Cgo) * Lo, p.Cgo, Lo);
      Y.noalias() = Wg * CMapR<T>(col, p.CK, M);
      if (b) Y.colwise() += Eigen::Map<const detail::VecT<T>>(b + g * p.Cgo, p.Cgo);
    } else {
      T* out = detail::scratch<T>(1, static_cast<std::size_t>(p.Cgo * M));
      MapR<T>(out, p.Cgo, M).noalias() = Wg * CMapR<T>(col, p.CK, M);
      for (std::int64_t co = 0; co < p.Cgo; ++co) {
        const T bias = b ? b[g * p.Cgo + co] : T(0);
        for (std::int64_t j = 0; j < nb; ++j) {
          T* yr = y + ((n0 + j) * s.C_out + g * p.Cgo + co) * Lo;
          const T* o = out + co * M + j * Lo;
#pragma omp simd
          for (std::int64_t l = 0; l < Lo; ++l) yr[l] = o[l] + bias;
        }
      }
    }
  }
}

// dw_g (+rows) += dYg * col^T and db_g += row sums of dYg, for one (chunk, group).
template <class T>
void grouped_dw_task(const Conv1dShape& s, const Plan& p, const T* x, const T* dy, std::int64_t chunk,
                     std::int64_t g, T* dw, T* db) {
  const std::int64_t Lo = s.L_out;
  const std::int64_t n0 = chunk * p.nb, nb = std::min(p.nb, s.N - n0), M = nb * Lo;
  T* dyg = detail::scratch<T>(1, static_cast<std::size_t>(p.Cgo * M));
  gather_rows(dy, s.C_out, Lo, n0, nb, g * p.Cgo, p.Cgo, dyg);
  CMapR<T> DY(dyg, p.Cgo, M);
  // Plain ordered row sums: Eigen's vectorised rowwise().sum() peels by the runtime alignment of
  // each row, and the per-thread scratch buffers differ in alignment, which made db depend on
  // which thread ran the task (not bit-reproducible).
  if (db)
    for (std::int64_t co = 0; co < p.Cgo; ++co) {
      const T* r = dyg + co * M;
      T acc = 0;
      for (std::int64_t m = 0; m < M; ++m) acc += r[m];
      db[g * p.Cgo + co] += acc;
    }
  if (dw) {
    T* col = detail::scratch<T>(0, static_cast<std::size_t>(p.CK * M));
    im2col(s, x, n0, nb, g * p.Cgi, p.Cgi, col);
    MapR<T>(dw + g * p.Cgo * p.CK, p.Cgo, p.CK).noalias() += DY * CMapR<T>(col, p.CK, M).transpose();
  }
}

template <class T>
void grouped_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                      T* db) {
  const Plan p = make_plan(s);
  const std::int64_t G = s.groups, Lo = s.L_out;
  const std::int64_t tasks = p.nchunks * G;
  if (dx) {
    // Tasks write disjoint (sample, channel-group) blocks of dx.
#pragma omp parallel for schedule(dynamic) if (conv_par(s))
    for (std::int64_t t = 0; t < tasks; ++t) {
      const std::int64_t chunk = t / G, g = t % G;
      const std::int64_t n0 = chunk * p.nb, nb = std::min(p.nb, s.N - n0), M = nb * Lo;
      CMapR<T> Wg(w + g * p.Cgo * p.CK, p.Cgo, p.CK);
      T* dcol = detail::scratch<T>(0, static_cast<std::size_t>(p.CK * M));
      if (nb == 1) {
        MapR<T>(dcol, p.CK, M).noalias() =
            Wg.transpose() * CMapR<T>(dy + (n0 * s.C_out + g * p.Cgo) * Lo, p.Cgo, Lo);
      } else {
        T* dyg = detail::scratch<T>(1, static_cast<std::size_t>(p.Cgo * M));
        gather_rows(dy, s.C_out, Lo, n0, nb, g * p.Cgo, p.Cgo, dyg);
        MapR<T>(dcol, p.CK, M).noalias() = Wg.transpose() * CMapR<T>(dyg, p.Cgo, M);
      }
      col2im_add(s, dcol, n0, nb, g * p.Cgi, p.Cgi, dx);
    }
  }
  if (!dw && !db) return;
  const int nth = detail::max_threads();
  if (G >= nth || p.nchunks == 1) {
    // Each group's dw/db rows belong to one task: no reduction needed.
#pragma omp parallel for schedule(dynamic) if (conv_par(s))
    for (std::int64_t g = 0; g < G; ++g)
      for (std::int64_t chunk = 0; chunk < p.nchunks; ++chunk) grouped_dw_task(s, p, x, dy, chunk, g, dw, db);
    return;
  }
  // Few groups: split the tasks into nth fixed, contiguous slices, each summed into its own
  // zeroed partial buffer in task order, then the partials are added in slice order. The
  // result depends on the thread count only, never on timing (a critical-section reduction in
  // arrival order, with dynamically scheduled tasks, was not bit-reproducible).
  const std::int64_t wn = s.C_out * p.CK;
  const std::int64_t slices = std::min<std::int64_t>(conv_par(s) ? nth : 1, tasks);
  const std::int64_t pw = dw ? wn : 0, pb = db ? s.C_out : 0;
  TmpBuf<T> part(std::max<std::int64_t>(1, slices * (pw + pb)));
#pragma omp parallel for schedule(static, 1) if (conv_par(s))
  for (std::int64_t sl = 0; sl < slices; ++sl) {
    T* dw_t = dw ? part.data() + sl * (pw + pb) : nullptr;
    T* db_t = db ? part.data() + sl * (pw + pb) + pw : nullptr;
    std::fill(part.data() + sl * (pw + pb), part.data() + (sl + 1) * (pw + pb), T(0));
    for (std::int64_t t = sl * tasks / slices; t < (sl + 1) * tasks / slices; ++t)
      grouped_dw_task(s, p, x, dy, t / G, t % G, dw_t, db_t);
  }
  for (std::int64_t sl = 0; sl < slices; ++sl) {
    const T* q = part.data() + sl * (pw + pb);
    for (std::int64_t i = 0; i < pw; ++i) dw[i] += q[i];
    for (std::int64_t i = 0; i < pb; ++i) db[i] += q[pw + i];
  }
}

}  // namespace

template <class T>
void conv1d_forward_on(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) {
  s.validate();
  if (is_pointwise(s))
    pointwise_forward(path, s, x, w, b, y);
  else if (direct_forward_ok(s))
    direct_forward(path, s, x, w, static_cast<const T*>(nullptr), b, y);
  else
    grouped_forward(s, x, w, b, y);
}

std::int64_t conv1d_forward_layout_size(const Conv1dShape& s) {
  s.validate();
  if (is_pointwise(s) || !direct_forward_ok(s)) return 0;
  const std::int64_t S = s.stride, ntap = (s.K + S - 1) / S;
  return s.C_out * S * (s.C_in / s.groups) * ntap;
}

template <class T>
void conv1d_forward_layout(const Conv1dShape& s, const T* w, T* layout) {
  if (conv1d_forward_layout_size(s) == 0)
    throw std::invalid_argument("conv1d: this shape's forward reads the weights as they are");
  direct_forward_pack(cpu_path(), s, w, layout);
}

template <class T>
void conv1d_forward_laid_out(const Conv1dShape& s, const T* x, const T* layout, const T* b, T* y) {
  if (conv1d_forward_layout_size(s) == 0)
    throw std::invalid_argument("conv1d: this shape's forward reads the weights as they are");
  direct_forward(cpu_path(), s, x, static_cast<const T*>(nullptr), layout, b, y);
}

template <class T>
void conv1d_backward_on(CpuPath path, const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw,
                        T* db) {
  s.validate();
  if (is_pointwise(s)) {
    pointwise_backward(path, s, x, w, dy, dx, dw, db);
    return;
  }
  const bool dx_direct = dx && direct_dx_ok(s), dw_direct = (dw || db) && direct_forward_ok(s) && direct_dx_ok(s);
  if (dx_direct) direct_dx(path, s, w, dy, dx);
  if (dw_direct) direct_dw(path, s, x, dy, dw, db);
  T* dx_rest = dx_direct ? nullptr : dx;
  T* dw_rest = dw_direct ? nullptr : dw;
  T* db_rest = dw_direct ? nullptr : db;
  if (dx_rest || dw_rest || db_rest) grouped_backward<T>(s, x, w, dy, dx_rest, dw_rest, db_rest);
}

template <class T>
void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y) {
  conv1d_forward_on(cpu_path(), s, x, w, b, y);
}

template <class T>
void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) {
  conv1d_backward_on(cpu_path(), s, x, w, dy, dx, dw, db);
}

#define XRDID_INST(T)                                                                                       \
  template void conv1d_forward<T>(const Conv1dShape&, const T*, const T*, const T*, T*);                   \
  template void conv1d_backward<T>(const Conv1dShape&, const T*, const T*, const T*, T*, T*, T*);          \
  template void conv1d_forward_on<T>(CpuPath, const Conv1dShape&, const T*, const T*, const T*, T*);       \
  template void conv1d_forward_layout<T>(const Conv1dShape&, const T*, T*);                                 \
  template void conv1d_forward_laid_out<T>(const Conv1dShape&, const T*, const T*, const T*, T*);           \
  template void conv1d_backward_on<T>(CpuPath, const Conv1dShape&, const T*, const T*, const T*, T*, T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
