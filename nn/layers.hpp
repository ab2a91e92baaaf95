// Basic layers: Conv1d ("same" padding), BatchNorm1d, Linear. PyTorch-default initialisation.
#pragma once
#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xrdid::nn {

// Conv with the "same" padding of docs/method.md §7.2; weight (C_out, C_in/G, K), bias (C_out).
// Owners register it as "NAME.conv" to get hsd1503's MyConv1dPadSame names ("conv1.conv.weight").
class Conv1d : public Module {
 public:
  Conv1d(int c_in, int c_out, int k, int stride, int groups, Rng& rng, DType dtype = DType::F32,
         bool bias = true);
  Var forward(const Var& x) const;
  Var weight, bias;
  F::Conv1dOpts opts;
};

class BatchNorm1d : public Module {
 public:
  BatchNorm1d(int channels, DType dtype = DType::F32, double momentum = 0.1, double eps = 1e-5);
  Var forward(const Var& x, bool training);
  Var weight, bias;                 // gamma, beta
  Tensor running_mean, running_var;
  Tensor num_batches_tracked;       // I64 scalar (PyTorch compatibility)
  double momentum, eps;
};

class Linear : public Module {
 public:
  Linear(int in, int out, Rng& rng, DType dtype = DType::F32, bool bias = true);
  Var forward(const Var& x) const;
  Var weight, bias;  // (out, in), (out)
};

}  // namespace xrdid::nn
