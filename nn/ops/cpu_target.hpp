// Compiling one kernel body for each CPU path of nn/cpu_path.hpp inside one translation unit.
//
// A kernel file (*.inc, no #include of its own) marks every function it defines with
// XRDID_CPU_KERNEL and is included once per path (nn/ops/cpu_paths.inc), each time in its own namespace, with
// XRDID_CPU_KERNEL set to that path's target attribute (XRDID_TARGET_AVX512 / _AVX2, empty for
// portable). Only those functions get the wider instruction set: what they call from headers
// (std::, Eigen, detail::scratch) keeps the build's flags, so no inline function compiled for
// AVX-512 can be picked by the linker for code that runs on any x86-64. GCC inlines such
// callees into the kernels (a callee's instruction set is a subset of the caller's), and the
// functions OpenMP outlines from a kernel's parallel loops inherit its target.
//
// The portable copy is compiled for the build's -march; with -march=native it is the same
// code as before run-time dispatch.
#pragma once

#include "nn/cpu_path.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define XRDID_HAVE_X86_PATHS 1
// The AVX-512 path requires avx512f/vl/bw/dq (cpu_supports checks them), as every AVX-512 CPU
// since Skylake-SP has; 512-bit vectors are preferred in its loops.
#define XRDID_TARGET_AVX512                                                                                  \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi,bmi2,f16c,popcnt,lzcnt,"           \
                        "prefer-vector-width=512")))
#define XRDID_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,f16c,popcnt,lzcnt")))
#else
#define XRDID_HAVE_X86_PATHS 0
#endif

// `return ns::fn args;` for the namespace of path p (x86-64: path_avx512, path_avx2,
// path_portable; elsewhere always path_portable).
#if XRDID_HAVE_X86_PATHS
#define XRDID_CPU_DISPATCH(p, fn, args)                         \
  do {                                                          \
    switch (p) {                                                \
      case ::xrdid::nn::CpuPath::avx512: return path_avx512::fn args; \
      case ::xrdid::nn::CpuPath::avx2: return path_avx2::fn args;     \
      case ::xrdid::nn::CpuPath::portable: break;               \
    }                                                           \
    return path_portable::fn args;                              \
  } while (0)
#else
#define XRDID_CPU_DISPATCH(p, fn, args) \
  do {                                  \
    (void)(p);                          \
    return path_portable::fn args;      \
  } while (0)
#endif
