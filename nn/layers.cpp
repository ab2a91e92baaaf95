// Basic layers: Conv1d, BatchNorm1d, Linear.
#include "nn/layers.hpp"

#include <cmath>

namespace xrdid::nn {

Conv1d::Conv1d(int c_in, int c_out, int k, int stride, int groups, Rng& rng, DType dtype, bool has_bias) {
  XRDID_CHECK(c_in % groups == 0 && c_out % groups == 0,
              "Conv1d: channels " + std::to_string(c_in) + "->" + std::to_string(c_out) +
                  " not divisible by groups " + std::to_string(groups));
  Tensor w = Tensor::empty({c_out, c_in / groups, k}, dtype);
  const double bound = 1.0 / std::sqrt(static_cast<double>(c_in / groups) * k);  // kaiming_uniform(a=sqrt 5)
  init_uniform(w, bound, rng);
  weight = Var(w, true);
  register_parameter("weight", weight);
  if (has_bias) {
    Tensor b = Tensor::empty({c_out}, dtype);
    init_uniform(b, bound, rng);
    bias = Var(b, true);
    register_parameter("bias", bias);
  }
  opts.stride = stride;
  opts.groups = groups;
  opts.same = true;
}

Var Conv1d::forward(const Var& x) const { return F::conv1d(x, weight, bias, opts); }

BatchNorm1d::BatchNorm1d(int channels, DType dtype, double mom, double e) : momentum(mom), eps(e) {
  weight = Var(Tensor::full({channels}, 1.0, dtype), true);
  bias = Var(Tensor::zeros({channels}, dtype), true);
  running_mean = Tensor::zeros({channels}, dtype);
  running_var = Tensor::full({channels}, 1.0, dtype);
  num_batches_tracked = Tensor::zeros({}, DType::I64);
  register_parameter("weight", weight);
  register_parameter("bias", bias);
  register_buffer("running_mean", running_mean);
  register_buffer("running_var", running_var);
  register_buffer("num_batches_tracked", num_batches_tracked);
}

Var BatchNorm1d::forward(const Var& x, bool training) {
  if (training) num_batches_tracked.data<std::int64_t>()[0] += 1;
  return F::batch_norm1d(x, weight, bias, running_mean, running_var, training, momentum, eps);
}

Linear::Linear(int in, int out, Rng& rng, DType dtype, bool has_bias) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  Tensor w = Tensor::empty({out, in}, dtype);
  init_uniform(w, bound, rng);
  weight = Var(w, true);
  register_parameter("weight", weight);
  if (has_bias) {
    Tensor b = Tensor::empty({out}, dtype);
    init_uniform(b, bound, rng);
    bias = Var(b, true);
    register_parameter("bias", bias);
  }
}

Var Linear::forward(const Var& x) const { return F::linear(x, weight, bias); }

}  // namespace xrdid::nn
