// Elementwise CPU reference ops.
#include "nn/ops/elementwise.hpp"

#include "nn/dispatch.hpp"

namespace xrdid::nn::ops {

namespace {
template <class T>
void add_inplace_impl(T* d, const T* s, std::int64_t n) {
#pragma omp parallel for simd if (n > 65536)
  for (std::int64_t i = 0; i < n; ++i) d[i] += s[i];
}
}  // namespace

void add_inplace(Tensor& dst, const Tensor& src) {
  XRDID_CHECK(dst.shape() == src.shape() && dst.dtype() == src.dtype(),
              "add_inplace: " + shape_str(src.shape()) + " into " + shape_str(dst.shape()));
  XRDID_DISPATCH_FLOAT(dst.dtype(), T, add_inplace_impl<T>(dst.data<T>(), src.data<T>(), dst.numel()));
}

}  // namespace xrdid::nn::ops
