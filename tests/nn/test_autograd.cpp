// The gradient contract of nn/autograd.hpp: accumulation, reuse of a value, no-grad mode.
#include <doctest/doctest.h>

#include "nn/functional.hpp"

using namespace xrdid::nn;

TEST_CASE("gradients accumulate across backward calls and across uses of one value") {
  Var a(Tensor::from_vector({3}, std::vector<double>{1, 2, 3}), true);
  Var b(Tensor::from_vector({3}, std::vector<double>{4, 5, 6}), true);
  // y = sum(a*b + a): dy/da = b + 1 (a used twice), dy/db = a.
  F::sum(F::add(F::mul(a, b), a)).backward();
  CHECK(a.grad().item(0) == 5.0);
  CHECK(b.grad().item(2) == 3.0);
  F::sum(F::mul(a, b)).backward();  // leaf grads keep accumulating
  CHECK(a.grad().item(0) == 9.0);
  a.zero_grad();
  CHECK(a.grad().item(0) == 0.0);
}

TEST_CASE("no-grad mode records nothing; backward on a constant is refused") {
  Var a(Tensor::from_vector({2}, std::vector<double>{1, 2}), true);
  Var y;
  {
    NoGradGuard ng;
    y = F::sum(F::mul(a, a));
  }
  CHECK_FALSE(y.requires_grad());
  CHECK(y.value().item() == 5.0);
  CHECK_THROWS_WITH(y.backward(), doctest::Contains("does not require a gradient"));
  Var z = F::sum(F::mul(a, a));
  CHECK(z.requires_grad());
  z.backward();
  CHECK(a.grad().item(1) == 4.0);
}
