// OpList: a network as a sequence of ops on values, in forward order, for planned executors
// (nn/exec/). Modules append their own ops (Net1D::append, BasicBlock::append, CosineHead::append),
// so a module's tape forward and its planned ops are written side by side, once.
//
// A value is a (batch, C, L) activation (or an unbatched (C, L) one: a parameter, a batch
// statistic); an executor gives each value memory per batch size and, in training plans, a
// gradient. Values carry what the memory planning needs: whether they live inside a block
// (inference plans reuse that memory block after block) or are a block's output (inference
// plans alternate two buffers), and whether only training reads them.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/autograd.hpp"
#include "nn/ops/conv1d.hpp"
#include "nn/ops/residual.hpp"

namespace xrdid::nn {

class Conv1d;
class Linear;
class BatchNorm1d;

using ValueId = int;

struct ValueDesc {
  bool batched = true;     // count = (batched ? N : 1) * C * L
  std::int64_t C = 1, L = 1;
  bool grad = true;        // training plans give it a gradient
  bool training_only = false;
  enum Scope { Kept, InBlock, BlockOut } scope = Kept;
  int block = -1;          // BlockOut: the block's index
  const Var* param = nullptr;  // a parameter: its memory (and gradient) is the parameter's
};

enum class OpKind {
  Conv,           // out = conv(in)
  BnAct,          // out = dropout(swish(bn(in))), bn optional; aux1/aux2: batch mean/var; tmp: swish
                  // output when dropout follows swish without batch norm
  Linear,         // out = in w^T + b, in (N, in), out (N, out)
  Swish,
  Sigmoid,
  MeanLength,     // out (N, C) = mean over L of in (N, C, L)
  ResidualSE,     // out = in * in2 (channel scale) + shortcut(in3), one fused op
  NormalizeRows,  // out = in / |in| per row; aux1: the norms
  MatmulBT,       // out (N, rows of in2) = in * in2^T
};

struct OpDesc {
  OpKind kind;
  ValueId in = -1, in2 = -1, in3 = -1, out = -1, aux1 = -1, aux2 = -1, tmp = -1;
  const Conv1d* conv = nullptr;
  const Linear* linear = nullptr;
  BatchNorm1d* bn = nullptr;
  ops::Conv1dShape conv_shape;   // N = 1
  ops::ResidualShape res_shape;  // N = 1
  bool dropout = false;     // BnAct: a dropout site (training drops when p > 0)
  double p = 0;
  std::uint64_t site = 0;   // dropout site: ForwardCtx counter value
};

class OpList {
 public:
  // ---- building (forward order) -----------------------------------------------------------
  ValueId input(std::int64_t C, std::int64_t L);  // batched, no gradient
  ValueId param(const Var& v);                    // 2-D parameter (rows, cols)
  ValueId conv(const Conv1d& m, ValueId x);
  // BN (bn may be null) + swish + dropout with probability p; `dropout_site` takes the next
  // ForwardCtx dropout counter (as the tape's next_seed()).
  ValueId bn_act(BatchNorm1d* bn, ValueId x, bool dropout_site, double p);
  ValueId linear(const Linear& m, ValueId x);
  ValueId swish(ValueId x);
  ValueId sigmoid(ValueId x);
  ValueId mean_length(ValueId x);
  // h * e + shortcut(x): shortcut = max-pool (downsample) and channel zero-padding to h's width.
  ValueId residual_se(ValueId h, ValueId e, ValueId x, bool downsample);
  ValueId normalize_rows(ValueId x);
  ValueId matmul_bt(ValueId a, ValueId b);
  // Values made between begin_block and end_block live inside the block; end_block's value is
  // the block's output.
  void begin_block();
  void end_block(ValueId out);

  // ---- reading --------------------------------------------------------------------------------
  const std::vector<ValueDesc>& values() const { return values_; }
  const std::vector<OpDesc>& ops() const { return ops_; }
  const ValueDesc& value(ValueId v) const { return values_.at(static_cast<std::size_t>(v)); }

 private:
  ValueId add(ValueDesc d);
  ValueId activation(std::int64_t C, std::int64_t L);  // batched, in the current scope
  ValueId unary(OpKind kind, ValueId x, std::int64_t C, std::int64_t L);
  std::vector<ValueDesc> values_;
  std::vector<OpDesc> ops_;
  bool in_block_ = false;
  int blocks_ = 0;
  std::uint64_t sites_ = 0;
};

}  // namespace xrdid::nn
