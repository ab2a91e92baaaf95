// Runs a templated body for the floating element type of a tensor (float or double).
#pragma once
#include "nn/tensor.hpp"

// Usage: XRDID_DISPATCH_FLOAT(t.dtype(), T, { kernel<T>(t.data<T>(), ...); });
#define XRDID_DISPATCH_FLOAT(dtype_expr, T, ...)                                       \
  do {                                                                                 \
    switch (dtype_expr) {                                                              \
      case ::xrdid::nn::DType::F32: { using T = float; __VA_ARGS__; break; }           \
      case ::xrdid::nn::DType::F64: { using T = double; __VA_ARGS__; break; }          \
      default: throw std::runtime_error("xrdid: operation needs a F32 or F64 tensor"); \
    }                                                                                  \
  } while (0)
