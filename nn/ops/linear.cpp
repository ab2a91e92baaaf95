// Dense GEMMs: float products of 8 rows or more through the SGEMM of the CPU path, fewer rows as
// per-path dot products (linear_kernels.inc), the rest through Eigen maps of row-major arrays.
// Eigen is single-threaded in this build (EIGEN_DONT_PARALLELIZE); large products are split
// over blocks of the output with OpenMP.
#include "nn/ops/linear.hpp"

#include <algorithm>
#include <type_traits>

#include "nn/ops/cpu_util.hpp"
#include "nn/ops/cpu_target.hpp"
#include "nn/ops/sgemm.hpp"

namespace xrdid::nn::ops {

using detail::CMapR;
using detail::CMapRS;
using detail::MapR;
using detail::MapRS;

namespace {

// C (rows x cols, ldc) (+)= A (rows x inner) * B, split over blocks of rows of C when big.
// a_at(r0) gives the row block of A; B is shared.
template <class T, class ABlock, class BMat>
void gemm_rows(std::int64_t rows, std::int64_t inner, std::int64_t cols, ABlock a_block, const BMat& B,
               T* c, bool accumulate) {
  const double work = static_cast<double>(rows) * inner * cols;
  const std::int64_t nth = detail::max_threads();
  const std::int64_t nblk = work > 4e6 ? std::min<std::int64_t>(rows, 4 * nth) : 1;
  const std::int64_t rb = (rows + nblk - 1) / nblk;
#pragma omp parallel for schedule(dynamic) if (nblk > 1)
  for (std::int64_t ib = 0; ib < nblk; ++ib) {
    const std::int64_t r0 = ib * rb, nr = std::min(rb, rows - r0);
    if (nr <= 0) continue;
    MapR<T> C(c + r0 * cols, nr, cols);
    if (accumulate)
      C.noalias() += a_block(r0, nr) * B;
    else
      C.noalias() = a_block(r0, nr) * B;
  }
}

// Float C (M x N) (+)= op(A) * op(B) split over column blocks of C (fixed split: deterministic
// for a given thread count). Splitting over columns packs each element of op(B) once; the
// row split of gemm_rows re-packed the whole of B (the 8172 x 1024 head weight) per block.
inline void sgemm_cols(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const float* a,
                       std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc, bool acc) {
  const double work = static_cast<double>(M) * N * K;
  const std::int64_t nth = detail::max_threads();
  const std::int64_t nblk = work > 4e6 ? std::max<std::int64_t>(1, std::min<std::int64_t>((N + 47) / 48, 4 * nth)) : 1;
  const std::int64_t cb = ((N + nblk - 1) / nblk + 15) / 16 * 16;
#pragma omp parallel for schedule(dynamic) if (nblk > 1)
  for (std::int64_t ib = 0; ib < nblk; ++ib) {
    const std::int64_t c0 = ib * cb, nc = std::min(cb, N - c0);
    if (nc <= 0) continue;
    // op(B)[:, c0:c0+nc]: column c0 of op(B) is b + c0 (not transposed) or b + c0*ldb (transposed).
    detail::sgemm(ta, tb, M, nc, K, a, lda, tb ? b + c0 * ldb : b + c0, ldb, c + c0, ldc, acc);
  }
}

#define XRDID_KERNEL_FILE "nn/ops/linear_kernels.inc"
#include "nn/ops/cpu_paths.inc"

void gemv_bt_on(CpuPath path, std::int64_t M, std::int64_t N, std::int64_t K, const float* a, const float* b,
                float* c) {
  XRDID_CPU_DISPATCH(path, gemv_bt<float>, (M, N, K, a, b, c));
}

}  // namespace

template <class T>
void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c) {
  if constexpr (std::is_same_v<T, float>) {
    if (s.trans_b && s.M >= 8) {  // c (M,N) = a (M,K) * b^T, b (N,K)
      sgemm_cols(false, true, s.M, s.N, s.K, a, s.K, b, s.K, c, s.N, false);
      return;
    }
    // The 8-row register tile wastes most of its work below 8 rows (batch 1): dot products.
    if (s.trans_b) {
      gemv_bt_on(cpu_path(), s.M, s.N, s.K, a, b, c);
      return;
    }
  }
  auto A = [&](std::int64_t r0, std::int64_t nr) { return CMapR<T>(a + r0 * s.K, nr, s.K); };
  if (s.trans_b)
    gemm_rows<T>(s.M, s.K, s.N, A, CMapR<T>(b, s.N, s.K).transpose(), c, false);
  else
    gemm_rows<T>(s.M, s.K, s.N, A, CMapR<T>(b, s.K, s.N), c, false);
}

template <class T>
void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db) {
  auto DC = [&](std::int64_t r0, std::int64_t nr) { return CMapR<T>(dc + r0 * s.N, nr, s.N); };
  if constexpr (std::is_same_v<T, float>) {
    if (da && s.trans_b && s.M >= 8) {  // da (M,K) += dc (M,N) * b (N,K), split over columns of da
      sgemm_cols(false, false, s.M, s.K, s.N, dc, s.N, b, s.K, da, s.K, true);
      da = nullptr;
    }
  }
  if (da) {  // da (M,K) += dc (M,N) * b^T  [b (K,N)]   or  dc * b  [b (N,K)]
    if (s.trans_b)
      gemm_rows<T>(s.M, s.N, s.K, DC, CMapR<T>(b, s.N, s.K), da, true);
    else
      gemm_rows<T>(s.M, s.N, s.K, DC, CMapR<T>(b, s.K, s.N).transpose(), da, true);
  }
  if (db) {
    if (s.trans_b) {  // db (N,K) += dc^T (N,M) * a (M,K)
      auto DCT = [&](std::int64_t r0, std::int64_t nr) {
        return CMapRS<T>(dc + r0, s.M, nr, Eigen::OuterStride<>(s.N)).transpose();
      };
      gemm_rows<T>(s.N, s.M, s.K, DCT, CMapR<T>(a, s.M, s.K), db, true);
    } else {  // db (K,N) += a^T (K,M) * dc (M,N)
      auto AT = [&](std::int64_t r0, std::int64_t nr) {
        return CMapRS<T>(a + r0, s.M, nr, Eigen::OuterStride<>(s.K)).transpose();
      };
      gemm_rows<T>(s.K, s.M, s.N, AT, CMapR<T>(dc, s.M, s.N), db, true);
    }
  }
}

template <class T>
void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y) {
  // y (N,out) = x (N,in) * w^T: split over columns of y = rows of w, i.e. compute y^T blocks.
  // Threaded when the products are many, or when w alone is large enough that reading it is the
  // cost (one row of x: a squeeze-excitation layer at batch 1 streams 2 MB of weights).
  const std::int64_t nth = detail::max_threads();
  const double work = static_cast<double>(s.N) * s.in * s.out;
  const bool par = work > 4e6 || static_cast<double>(s.in) * s.out >= 65536.0;
  const std::int64_t nblk = par ? std::min<std::int64_t>(s.out, 4 * nth) : 1;
  const std::int64_t cb = (s.out + nblk - 1) / nblk;
  CMapR<T> X(x, s.N, s.in);
#pragma omp parallel for schedule(dynamic) if (nblk > 1)
  for (std::int64_t ib = 0; ib < nblk; ++ib) {
    const std::int64_t c0 = ib * cb, nc = std::min(cb, s.out - c0);
    if (nc <= 0) continue;
    MapRS<T> Y(y + c0, s.N, nc, Eigen::OuterStride<>(s.out));
    Y.noalias() = X * CMapR<T>(w + c0 * s.in, nc, s.in).transpose();
    if (b) Y.rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(b + c0, nc);
  }
}

template <class T>
void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db) {
  MatmulShape m{s.N, s.in, s.out, true};  // y = x * w^T
  matmul_backward(m, x, w, dy, dx, dw);
  if (db) {
    CMapR<T> DY(dy, s.N, s.out);
    Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>(db, s.out) += DY.colwise().sum();
  }
}

#define XRDID_INST(T)                                                                           \
  template void matmul_forward<T>(const MatmulShape&, const T*, const T*, T*);                  \
  template void matmul_backward<T>(const MatmulShape&, const T*, const T*, const T*, T*, T*);   \
  template void linear_forward<T>(const LinearShape&, const T*, const T*, const T*, T*);        \
  template void linear_backward<T>(const LinearShape&, const T*, const T*, const T*, T*, T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
