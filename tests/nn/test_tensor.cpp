// Tensor basics: shapes, dtypes, views, copies.
#include <doctest/doctest.h>

#include "nn/tensor.hpp"

using namespace xrdid::nn;

TEST_CASE("tensor shape, reshape and slice share storage") {
  Tensor t = Tensor::zeros({2, 3, 4});
  CHECK(t.numel() == 24);
  CHECK(t.dim(-1) == 4);
  Tensor r = t.reshape({6, -1});
  CHECK(r.shape() == Shape{6, 4});
  r.data<float>()[5] = 3.f;
  CHECK(t.item(5) == 3.0);
  Tensor s = t.slice0(1, 2);
  CHECK(s.numel() == 12);
  s.data<float>()[0] = 7.f;
  CHECK(t.item(12) == 7.0);
  CHECK_THROWS_WITH_AS(t.reshape({5, 5}), doctest::Contains("element count"), std::runtime_error);
  CHECK_THROWS_AS(t.data<double>(), std::runtime_error);
}

TEST_CASE("tensor dtype conversion and clone are deep") {
  Tensor a = Tensor::from_vector({3}, std::vector<float>{1.5f, -2.f, 3.25f});
  Tensor d = a.to(DType::F64);
  CHECK(d.dtype() == DType::F64);
  CHECK(d.item(2) == 3.25);
  Tensor c = a.clone();
  c.fill(0);
  CHECK(a.item(0) == 1.5);
  CHECK(reinterpret_cast<std::uintptr_t>(a.raw()) % 64 == 0);
}
