// Tensor round trip through device memory.
#include <doctest/doctest.h>

#include "nn/tensor.hpp"

using namespace xrdid::nn;

TEST_CASE("tensor copies to the device and back unchanged") {
  Tensor a = Tensor::from_vector({4}, std::vector<float>{1.f, -2.f, 3.5f, 1e-7f});
  Tensor d = a.to(Device::CUDA);
  CHECK(d.device() == Device::CUDA);
  Tensor b = d.to(Device::CPU);
  for (int i = 0; i < 4; ++i) CHECK(b.item(i) == a.item(i));
}
