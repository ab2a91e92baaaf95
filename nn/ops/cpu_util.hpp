// Internal helpers of the CPU reference ops: Eigen maps of row-major raw arrays, per-thread
// scratch buffers and the OpenMP thread count. Not part of the public op interface.
#pragma once
// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 GEMM packing (double).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace xrdid::nn::ops::detail {

template <class T>
using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapR = Eigen::Map<MatR<T>>;
template <class T>
using CMapR = Eigen::Map<const MatR<T>>;
template <class T>
using MapRS = Eigen::Map<MatR<T>, 0, Eigen::OuterStride<>>;
template <class T>
using CMapRS = Eigen::Map<const MatR<T>, 0, Eigen::OuterStride<>>;
template <class T>
using VecT = Eigen::Matrix<T, Eigen::Dynamic, 1>;

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// A per-thread scratch buffer (slot 0..3), grown on demand and kept for reuse. Contents are
// undefined on return.
template <class T>
T* scratch(int slot, std::size_t n) {
  thread_local std::vector<T> bufs[4];
  std::vector<T>& b = bufs[slot];
#if defined(__SANITIZE_ADDRESS__)
  // Exact-size buffers under AddressSanitizer, so a read past n is reported.
  if (b.size() != n) b = std::vector<T>(n);
#else
  if (b.size() < n) b.resize(n);
#endif
  return b.data();
}

}  // namespace xrdid::nn::ops::detail
