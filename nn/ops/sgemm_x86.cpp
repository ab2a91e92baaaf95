// The packed SGEMM kernels of x86-64 (nn/ops/sgemm.hpp): one BLIS-style driver, instantiated for
// an AVX-512 register tile of 8 rows x 48 columns (24 accumulators) and an AVX2 + FMA tile of
// 6 x 16 (12 accumulators). Only the micro-kernels, the packing transposes and each path's
// entry point (the driver inlined into it: nn/ops/cpu_target.hpp's target sets) carry target
// attributes, so the file builds for any -march and the rest of the program stays portable;
// nn/cpu_path.hpp picks the path at run time. Deterministic: every output element's sum over k
// runs in order in KC-sized chunks (one chain of FMAs per chunk, then added to C).
#include "nn/ops/sgemm.hpp"

#include "nn/ops/cpu_target.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace xrdid::nn::ops::detail {

namespace {

// d[k*dstride + i] = rows[i][k] for i < R, k < kc (R = 6 or 8): 8x8 register transposes, scalar
// tail. With R < 8, rows R..7 repeat row 0 and each k's 8-float store also writes
// d[k*dstride + R .. k*dstride + 7]: the store for k + 1 (or the scalar tail) overwrites them,
// and after the last k they land in the next sliver (packed later) or the buffer's slack.
template <int R>
__attribute__((target("avx"))) void pack_t(const float* const* rows_in, std::int64_t kc, float* d,
                                           std::int64_t dstride) {
  const float* rows[8];
  for (int i = 0; i < 8; ++i) rows[i] = rows_in[i < R ? i : 0];
  std::int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 r0 = _mm256_loadu_ps(rows[0] + k), r1 = _mm256_loadu_ps(rows[1] + k), r2 = _mm256_loadu_ps(rows[2] + k),
           r3 = _mm256_loadu_ps(rows[3] + k), r4 = _mm256_loadu_ps(rows[4] + k), r5 = _mm256_loadu_ps(rows[5] + k),
           r6 = _mm256_loadu_ps(rows[6] + k), r7 = _mm256_loadu_ps(rows[7] + k);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    float* o = d + k * dstride;
    _mm256_storeu_ps(o + 0 * dstride, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(o + 1 * dstride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(o + 2 * dstride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(o + 3 * dstride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(o + 4 * dstride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(o + 5 * dstride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(o + 6 * dstride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(o + 7 * dstride, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
  for (; k < kc; ++k)
    for (int i = 0; i < R; ++i) d[k * dstride + i] = rows[i][k];
}

// AVX-512: c[0:mr, 0:nr] (+)= sum_k ap[k*8 + i] * bp[k*48 + j].
struct Avx512 {
  static constexpr int MR = 8, NR = 48;
  static constexpr std::int64_t KC = 256, NC = 480, MC = 128;

  // A packed (ap[k*8 + i]), or read in place: a(i, k) = ap[i*as + k] (as = lda).
  template <bool InPlace>
  __attribute__((target("avx512f"))) static void kernel(std::int64_t kc, const float* __restrict ap, std::int64_t as,
                                                        const float* __restrict bp, float* c, std::int64_t ldc,
                                                        bool acc, int mr, int nr) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00, c21 = c00,
           c22 = c00, c30 = c00, c31 = c00, c32 = c00, c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00,
           c52 = c00, c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
    const std::int64_t ai = InPlace ? as : 1, ak = InPlace ? 1 : MR;
    for (std::int64_t k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16), b2 = _mm512_load_ps(bp + 32);
      __m512 a;
#define XRDID_SG_ROW(i)                         \
  a = _mm512_set1_ps(ap[i * ai]);               \
  c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0);    \
  c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1);    \
  c##i##2 = _mm512_fmadd_ps(a, b2, c##i##2);
      XRDID_SG_ROW(0) XRDID_SG_ROW(1) XRDID_SG_ROW(2) XRDID_SG_ROW(3)
      XRDID_SG_ROW(4) XRDID_SG_ROW(5) XRDID_SG_ROW(6) XRDID_SG_ROW(7)
#undef XRDID_SG_ROW
      ap += ak;
      bp += NR;
    }
    alignas(64) float tmp[MR][NR];
    const bool full = mr == MR && nr == NR;
#define XRDID_SG_ST(i)                                                \
  if (full) {                                                         \
    float* cr = c + i * ldc;                                          \
    if (acc) {                                                        \
      c##i##0 = _mm512_add_ps(_mm512_loadu_ps(cr), c##i##0);          \
      c##i##1 = _mm512_add_ps(_mm512_loadu_ps(cr + 16), c##i##1);     \
      c##i##2 = _mm512_add_ps(_mm512_loadu_ps(cr + 32), c##i##2);     \
    }                                                                 \
    _mm512_storeu_ps(cr, c##i##0);                                    \
    _mm512_storeu_ps(cr + 16, c##i##1);                               \
    _mm512_storeu_ps(cr + 32, c##i##2);                               \
  } else {                                                            \
    _mm512_store_ps(tmp[i], c##i##0);                                 \
    _mm512_store_ps(tmp[i] + 16, c##i##1);                            \
    _mm512_store_ps(tmp[i] + 32, c##i##2);                            \
  }
    XRDID_SG_ST(0) XRDID_SG_ST(1) XRDID_SG_ST(2) XRDID_SG_ST(3)
    XRDID_SG_ST(4) XRDID_SG_ST(5) XRDID_SG_ST(6) XRDID_SG_ST(7)
#undef XRDID_SG_ST
    if (!full)
      for (int i = 0; i < mr; ++i)
        for (int j = 0; j < nr; ++j) c[i * ldc + j] = acc ? c[i * ldc + j] + tmp[i][j] : tmp[i][j];
  }
};

// AVX2 + FMA: c[0:mr, 0:nr] (+)= sum_k ap[k*6 + i] * bp[k*16 + j] (12 accumulators, 2 B vectors,
// 1 broadcast: 15 of the 16 ymm registers).
struct Avx2 {
  static constexpr int MR = 6, NR = 16;
  static constexpr std::int64_t KC = 256, NC = 480, MC = 120;

  template <bool InPlace>
  __attribute__((target("avx2,fma"))) static void kernel(std::int64_t kc, const float* __restrict ap, std::int64_t as,
                                                         const float* __restrict bp, float* c, std::int64_t ldc,
                                                         bool acc, int mr, int nr) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
           c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const std::int64_t ai = InPlace ? as : 1, ak = InPlace ? 1 : MR;
    for (std::int64_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
      __m256 a;
#define XRDID_SG_ROW(i)                         \
  a = _mm256_broadcast_ss(ap + i * ai);         \
  c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);    \
  c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1);
      XRDID_SG_ROW(0) XRDID_SG_ROW(1) XRDID_SG_ROW(2) XRDID_SG_ROW(3) XRDID_SG_ROW(4) XRDID_SG_ROW(5)
#undef XRDID_SG_ROW
      ap += ak;
      bp += NR;
    }
    alignas(32) float tmp[MR][NR];
    const bool full = mr == MR && nr == NR;
#define XRDID_SG_ST(i)                                            \
  if (full) {                                                     \
    float* cr = c + i * ldc;                                      \
    if (acc) {                                                    \
      c##i##0 = _mm256_add_ps(_mm256_loadu_ps(cr), c##i##0);      \
      c##i##1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), c##i##1);  \
    }                                                             \
    _mm256_storeu_ps(cr, c##i##0);                                \
    _mm256_storeu_ps(cr + 8, c##i##1);                            \
  } else {                                                        \
    _mm256_store_ps(tmp[i], c##i##0);                             \
    _mm256_store_ps(tmp[i] + 8, c##i##1);                         \
  }
    XRDID_SG_ST(0) XRDID_SG_ST(1) XRDID_SG_ST(2) XRDID_SG_ST(3) XRDID_SG_ST(4) XRDID_SG_ST(5)
#undef XRDID_SG_ST
    if (!full)
      for (int i = 0; i < mr; ++i)
        for (int j = 0; j < nr; ++j) c[i * ldc + j] = acc ? c[i * ldc + j] + tmp[i][j] : tmp[i][j];
  }
};

// A 64-byte aligned view of v holding n floats and at least 16 more (pack_t's spill).
inline float* align64(std::vector<float>& v, std::size_t n) {
  if (v.size() < n + 32) v.resize(n + 32);
  return reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(v.data()) + 63) & ~std::uintptr_t(63));
}

// The driver, inlined into each path's entry point below so that its packing loops are compiled
// for that path's instruction set too (and the micro-kernel and pack_t are inlined into it).
template <class P>
__attribute__((always_inline)) inline void blocked(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const float* A,
             std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc, bool accumulate) {
  constexpr int MR = P::MR, NR = P::NR;
  constexpr std::int64_t KC = P::KC, NC = P::NC, MC = P::MC;
  static_assert(MR <= 8 && NR % 8 == 0 && NC % NR == 0 && MC % MR == 0);
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (std::int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  // Full MR-row slivers of an untransposed A are read in place when C has at most 4 column
  // panels (a 1x1 convolution over a short length: packing A would cost a good part of the
  // product, and the rows stay in cache for the few panels).
  const bool a_in_place = !trans_a && N <= 4 * NR;
  thread_local std::vector<float> abuf, bbuf;
  const std::int64_t nc_max = std::min(NC, (N + NR - 1) / NR * NR);
  float* bp0 = align64(bbuf, static_cast<std::size_t>(KC * nc_max));
  float* ap0 = align64(abuf, static_cast<std::size_t>(KC * MC));
  for (std::int64_t jc = 0; jc < N; jc += NC) {
    const std::int64_t nc = std::min(NC, N - jc);
    for (std::int64_t pc = 0; pc < K; pc += KC) {
      const std::int64_t kc = std::min(KC, K - pc);
      const bool acc = accumulate || pc > 0;
      // Pack op(B)[pc:pc+kc, jc:jc+nc] into panels of NR columns (zero-padded): bp[j0*kc + k*NR + j].
      for (std::int64_t j0 = 0; j0 < nc; j0 += NR) {
        const std::int64_t nr = std::min<std::int64_t>(NR, nc - j0);
        float* d = bp0 + j0 * kc;
        if (!trans_b) {
          for (std::int64_t k = 0; k < kc; ++k) {
            const float* s = B + (pc + k) * ldb + jc + j0;
            if (nr == NR) {
              std::memcpy(d + k * NR, s, NR * sizeof(float));
            } else {
              for (std::int64_t j = 0; j < nr; ++j) d[k * NR + j] = s[j];
              for (std::int64_t j = nr; j < NR; ++j) d[k * NR + j] = 0.f;
            }
          }
        } else if (nr == NR) {
          for (std::int64_t jg = 0; jg < NR; jg += 8) {
            const float* rows[8];
            for (int j = 0; j < 8; ++j) rows[j] = B + (jc + j0 + jg + j) * ldb + pc;
            pack_t<8>(rows, kc, d + jg, NR);
          }
        } else {
          for (std::int64_t j = 0; j < NR; ++j) {
            if (j < nr) {
              const float* s = B + (jc + j0 + j) * ldb + pc;
              for (std::int64_t k = 0; k < kc; ++k) d[k * NR + j] = s[k];
            } else {
              for (std::int64_t k = 0; k < kc; ++k) d[k * NR + j] = 0.f;
            }
          }
        }
      }
      for (std::int64_t ic = 0; ic < M; ic += MC) {
        const std::int64_t mc = std::min(MC, M - ic);
        // Pack op(A)[ic:ic+mc, pc:pc+kc] into MR-row slivers (zero-padded): ap[i0*kc + k*MR + i].
        for (std::int64_t i0 = 0; i0 < mc; i0 += MR) {
          const std::int64_t mr = std::min<std::int64_t>(MR, mc - i0);
          float* d = ap0 + i0 * kc;
          if (a_in_place && mr == MR) continue;
          if (!trans_a && mr == MR) {
            const float* rows[MR];
            for (int i = 0; i < MR; ++i) rows[i] = A + (ic + i0 + i) * lda + pc;
            pack_t<MR>(rows, kc, d, MR);
          } else if (!trans_a) {
            for (std::int64_t i = 0; i < MR; ++i) {
              if (i < mr) {
                const float* s = A + (ic + i0 + i) * lda + pc;
                for (std::int64_t k = 0; k < kc; ++k) d[k * MR + i] = s[k];
              } else {
                for (std::int64_t k = 0; k < kc; ++k) d[k * MR + i] = 0.f;
              }
            }
          } else {
            for (std::int64_t k = 0; k < kc; ++k) {
              const float* s = A + (pc + k) * lda + ic + i0;
              for (std::int64_t i = 0; i < mr; ++i) d[k * MR + i] = s[i];
              for (std::int64_t i = mr; i < MR; ++i) d[k * MR + i] = 0.f;
            }
          }
        }
        for (std::int64_t j0 = 0; j0 < nc; j0 += NR) {
          const int nr = static_cast<int>(std::min<std::int64_t>(NR, nc - j0));
          for (std::int64_t i0 = 0; i0 < mc; i0 += MR) {
            const int mr = static_cast<int>(std::min<std::int64_t>(MR, mc - i0));
            float* c = C + (ic + i0) * ldc + jc + j0;
            if (a_in_place && mr == MR)
              P::template kernel<true>(kc, A + (ic + i0) * lda + pc, lda, bp0 + j0 * kc, c, ldc, acc, mr, nr);
            else
              P::template kernel<false>(kc, ap0 + i0 * kc, 0, bp0 + j0 * kc, c, ldc, acc, mr, nr);
          }
        }
      }
    }
  }
}

}  // namespace

XRDID_TARGET_AVX512 void sgemm_avx512(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                                      const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float* C,
                                      std::int64_t ldc, bool accumulate) {
  // A narrow C (a 1x1 convolution over 24 positions: N = 24 fills half of the 48-wide tile) is
  // computed as its transpose C^T = op(B)^T op(A)^T, whose N rows fill 8-row slivers and whose M
  // columns fill the tile, and copied back. Every element's sum over k runs in the same order as
  // in the direct product (the products' factors swap places), so the bits are the same.
  if (N <= 32 && M >= 2 * Avx512::NR) {
    thread_local std::vector<float> tbuf;
    if (tbuf.size() < static_cast<std::size_t>(M * N)) tbuf.resize(static_cast<std::size_t>(M * N));
    float* t = tbuf.data();
    if (accumulate)
      for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) t[j * M + i] = C[i * ldc + j];
    blocked<Avx512>(!trans_b, !trans_a, N, M, K, B, ldb, A, lda, t, M, accumulate);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) C[i * ldc + j] = t[j * M + i];
    return;
  }
  blocked<Avx512>(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

XRDID_TARGET_AVX2 void sgemm_avx2(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                                  const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float* C,
                                  std::int64_t ldc, bool accumulate) {
  blocked<Avx2>(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

}  // namespace xrdid::nn::ops::detail
#endif
