// OpList (see op_list.hpp): each builder appends one op and the values it writes.
#include "nn/op_list.hpp"

#include "common/check.hpp"
#include "nn/layers.hpp"

namespace xrdid::nn {

ValueId OpList::add(ValueDesc d) {
  values_.push_back(d);
  return static_cast<ValueId>(values_.size() - 1);
}

ValueId OpList::activation(std::int64_t C, std::int64_t L) {
  ValueDesc d;
  d.C = C;
  d.L = L;
  d.scope = in_block_ ? ValueDesc::InBlock : ValueDesc::Kept;
  return add(d);
}

ValueId OpList::input(std::int64_t C, std::int64_t L) {
  ValueDesc d;
  d.C = C;
  d.L = L;
  d.grad = false;
  return add(d);
}

ValueId OpList::param(const Var& v) {
  XRDID_CHECK(v.value().ndim() == 2, "op list: a parameter value must be 2-D");
  ValueDesc d;
  d.batched = false;
  d.C = v.dim(0);
  d.L = v.dim(1);
  d.param = &v;
  return add(d);
}

ValueId OpList::conv(const Conv1d& m, ValueId x) {
  const ValueDesc& in = value(x);
  OpDesc op{OpKind::Conv};
  op.conv = &m;
  op.conv_shape = ops::Conv1dShape::same(1, in.C, m.weight.dim(0), in.L, m.weight.dim(2), m.opts.stride, m.opts.dilation,
                                    m.opts.groups);
  XRDID_CHECK(m.weight.dim(1) * m.opts.groups == in.C, "op list: a convolution's input width does not match");
  op.in = x;
  op.out = activation(op.conv_shape.C_out, op.conv_shape.L_out);
  ops_.push_back(op);
  return op.out;
}

ValueId OpList::bn_act(BatchNorm1d* bn, ValueId x, bool dropout_site, double p) {
  const ValueDesc in = value(x);
  OpDesc op{OpKind::BnAct};
  op.bn = bn;
  op.in = x;
  op.dropout = dropout_site;
  op.p = p;
  if (dropout_site) op.site = ++sites_;
  if (bn) {
    ValueDesc stat;
    stat.batched = false;
    stat.C = in.C;
    stat.grad = false;
    stat.training_only = true;
    op.aux1 = add(stat);
    op.aux2 = add(stat);
  } else if (dropout_site && p > 0.0) {
    op.tmp = activation(in.C, in.L);
    values_[static_cast<std::size_t>(op.tmp)].training_only = true;
  }
  op.out = activation(in.C, in.L);
  ops_.push_back(op);
  return op.out;
}

ValueId OpList::linear(const Linear& m, ValueId x) {
  XRDID_CHECK(value(x).C * value(x).L == m.weight.dim(1), "op list: a linear layer's input width does not match");
  OpDesc op{OpKind::Linear};
  op.linear = &m;
  op.in = x;
  op.out = activation(m.weight.dim(0), 1);
  ops_.push_back(op);
  return op.out;
}

// A one-input op whose output has `C` channels of length `L`.
ValueId OpList::unary(OpKind kind, ValueId x, std::int64_t C, std::int64_t L) {
  OpDesc op{kind};
  op.in = x;
  op.out = activation(C, L);
  ops_.push_back(op);
  return op.out;
}

ValueId OpList::swish(ValueId x) { return unary(OpKind::Swish, x, value(x).C, value(x).L); }
ValueId OpList::sigmoid(ValueId x) { return unary(OpKind::Sigmoid, x, value(x).C, value(x).L); }
ValueId OpList::mean_length(ValueId x) { return unary(OpKind::MeanLength, x, value(x).C, 1); }

ValueId OpList::residual_se(ValueId h, ValueId e, ValueId x, bool downsample) {
  const ValueDesc &vh = value(h), &vx = value(x);
  OpDesc op{OpKind::ResidualSE};
  op.res_shape = ops::ResidualShape{1, vx.C, vh.C, vx.L, downsample, (vh.C - vx.C) / 2};
  XRDID_CHECK(op.res_shape.L_out() == vh.L && value(e).C == vh.C,
              "op list: the residual shortcut does not match the main path");
  op.in = h;
  op.in2 = e;
  op.in3 = x;
  op.out = activation(vh.C, vh.L);
  ops_.push_back(op);
  return op.out;
}

ValueId OpList::normalize_rows(ValueId x) {
  const ValueDesc in = value(x);
  OpDesc op{OpKind::NormalizeRows};
  op.in = x;
  ValueDesc norm;
  norm.batched = in.batched;
  norm.C = in.batched ? 1 : in.C;
  norm.grad = false;
  op.aux1 = add(norm);
  ValueDesc out = in;
  out.param = nullptr;
  out.grad = true;
  out.scope = in_block_ ? ValueDesc::InBlock : ValueDesc::Kept;
  op.out = add(out);
  ops_.push_back(op);
  return op.out;
}

ValueId OpList::matmul_bt(ValueId a, ValueId b) {
  XRDID_CHECK(value(a).batched && !value(b).batched && value(a).C * value(a).L == value(b).L,
              "op list: matmul_bt needs (N, K) times (M, K)^T");
  OpDesc op{OpKind::MatmulBT};
  op.in = a;
  op.in2 = b;
  op.out = activation(value(b).C, 1);
  ops_.push_back(op);
  return op.out;
}

void OpList::begin_block() {
  XRDID_CHECK(!in_block_, "op list: blocks do not nest");
  in_block_ = true;
}

void OpList::end_block(ValueId out) {
  XRDID_CHECK(in_block_, "op list: end_block without begin_block");
  in_block_ = false;
  ValueDesc& d = values_.at(static_cast<std::size_t>(out));
  d.scope = ValueDesc::BlockOut;
  d.block = blocks_++;
}

}  // namespace xrdid::nn
