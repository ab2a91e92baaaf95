// The op-case table (op_cases.hpp) on the CUDA backend: every op of nn/exec/ops.def, float and
// double, against its CPU reference (nn::ops), including sizes beyond one pass of a grid-stride
// launch. Eager calls (no graph recording), so each op's result is checked on its own.
#include <doctest/doctest.h>

#include "kernels/cuda_backend.hpp"
#include "op_cases.hpp"

using namespace xrdid;

TEST_CASE("CUDA backend: every op of the table matches nn::ops (float)") {
  auto be = cuda::make_cuda_backend<float>();
  optest::run_op_cases<float>(*be, 0x0c0da001);
}

TEST_CASE("CUDA backend: every op of the table matches nn::ops (double)") {
  auto be = cuda::make_cuda_backend<double>();
  optest::run_op_cases<double>(*be, 0x0c0da002);
}
