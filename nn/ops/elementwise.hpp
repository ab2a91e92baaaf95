// Elementwise CPU reference ops on raw arrays and whole tensors.
#pragma once
#include <cstdint>

#include "nn/tensor.hpp"

namespace xrdid::nn::ops {

// dst += src (same shape and dtype; CPU).
void add_inplace(Tensor& dst, const Tensor& src);

}  // namespace xrdid::nn::ops
