// XRDID_HD marks a function compiled for both the host and the CUDA device, so per-element
// formulas are written once and shared by the CPU reference ops and the kernels.
#pragma once

#if defined(__CUDACC__)
#define XRDID_HD __host__ __device__ __forceinline__
#else
#define XRDID_HD inline
#endif
