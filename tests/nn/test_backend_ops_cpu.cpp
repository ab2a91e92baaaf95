// The op-case table (tests/gpu/op_cases.hpp) on the CPU backend: every op of nn/exec/ops.def
// through Backend<T> against nn::ops, and the table's completeness. The CUDA backend runs the same
// table in tests/gpu/test_backend_ops.cpp.
#include <doctest/doctest.h>

#include <string>

#include "gpu/op_cases.hpp"
#include "nn/exec/cpu_backend.hpp"

using namespace xrdid;

TEST_CASE("every op of nn/exec/ops.def has a case in the op-case table") {
  std::string missing;
  for (const auto& o : optest::ops_without_case<float>()) missing += o + " ";
  for (const auto& o : optest::ops_without_case<double>()) missing += o + " ";
  CHECK_MESSAGE(missing.empty(), "ops without a case: " << missing);
}

TEST_CASE("CPU backend: every op of the table matches nn::ops (float)") {
  auto be = nn::exec::make_cpu_backend<float>();
  optest::run_op_cases<float>(*be, 0x0b5e7001);
}

TEST_CASE("CPU backend: every op of the table matches nn::ops (double)") {
  auto be = nn::exec::make_cpu_backend<double>();
  optest::run_op_cases<double>(*be, 0x0b5e7002);
}
