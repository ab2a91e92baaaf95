// BoundOp: one op of an op list (nn/op_list.hpp) bound to backend memory for one batch size —
// the pointers and shapes its backend calls take — and the forward and backward walks over a
// sequence of them (nn/exec/bound_op.cpp). The planned executor binds, the walks run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nn/exec/backend.hpp"
#include "nn/layers.hpp"
#include "nn/op_list.hpp"

namespace xrdid::nn::exec {

// A value and (training plans) its gradient.
template <class T>
struct Buf {
  T* v = nullptr;
  T* g = nullptr;
};

template <class T>
struct BoundOp {
  const OpDesc* op = nullptr;
  Buf<T> in, in2, in3, out, tmp;
  T *aux1 = nullptr, *aux2 = nullptr;  // BnAct: batch mean/var (training) or the running ones;
                                       // NormalizeRows: the norms
  const T *w = nullptr, *b = nullptr;  // conv/linear weight and bias, or BN gamma and beta
  T *dw = nullptr, *db = nullptr;
  T *running_mean = nullptr, *running_var = nullptr;
  double eps = 1e-5, momentum = 0.1;
  bool drop = false;  // BnAct: dropout runs (training, a site, p > 0)
  Conv1dShape conv;
  BatchNormShape bn;
  LinearShape lin;
  ResidualShape res;
  MatmulShape mm;
  std::int64_t rows = 0, cols = 0;  // elementwise: rows * cols values; mean/normalize: R, L or D
};

// Binds `op` of `list` for n rows: `vals` holds the bound values (indexed by ValueId); the
// state `st` gives parameters (st.P), their gradients (st.G) and running statistics (st.B).
template <class T, class State>
BoundOp<T> bind_op(const OpList& list, const OpDesc& op, const std::vector<Buf<T>>& vals, std::int64_t n,
                   bool training, const State& st) {
  BoundOp<T> s;
  s.op = &op;
  auto val = [&](ValueId v) { return v < 0 ? Buf<T>{} : vals[static_cast<std::size_t>(v)]; };
  s.in = val(op.in);
  s.in2 = val(op.in2);
  s.in3 = val(op.in3);
  s.out = val(op.out);
  s.tmp = val(op.tmp);
  s.aux1 = val(op.aux1).v;
  s.aux2 = val(op.aux2).v;
  const ValueDesc& in = list.value(op.in);
  if (op.kind == OpKind::NormalizeRows) {  // rows: the batch's, or a parameter's
    s.rows = in.batched ? n : in.C;
    s.cols = in.batched ? in.C * in.L : in.L;
  } else {
    s.rows = (in.batched ? n : 1) * in.C;
    s.cols = in.L;
  }
  auto weights = [&](const Var& w, const Var& bias) {
    s.w = st.P(w);
    s.b = bias.defined() ? st.P(bias) : nullptr;
    if (training) {
      s.dw = st.G(w);
      s.db = bias.defined() ? st.G(bias) : nullptr;
    }
  };
  switch (op.kind) {
    case OpKind::Conv:
      s.conv = op.conv_shape;
      s.conv.N = n;
      weights(op.conv->weight, op.conv->bias);
      break;
    case OpKind::Linear:
      s.lin = LinearShape{n, op.linear->weight.dim(1), op.linear->weight.dim(0)};
      weights(op.linear->weight, op.linear->bias);
      break;
    case OpKind::BnAct:
      s.bn = BatchNormShape{n, in.C, in.L};
      s.drop = training && op.dropout && op.p > 0.0;
      if (op.bn) {
        XRDID_CHECK(!training || n * in.L >= 2, "executor: training needs more than one value per channel");
        weights(op.bn->weight, op.bn->bias);
        s.eps = op.bn->eps;
        s.momentum = op.bn->momentum;
        s.running_mean = st.B(op.bn->running_mean);
        s.running_var = st.B(op.bn->running_var);
        if (!training) {
          s.aux1 = s.running_mean;
          s.aux2 = s.running_var;
        }
      }
      break;
    case OpKind::ResidualSE:
      s.res = op.res_shape;
      s.res.N = n;
      break;
    case OpKind::MatmulBT: s.mm = MatmulShape{n, in.C * in.L, list.value(op.in2).C, true}; break;
    default: break;
  }
  return s;
}

// The ops in order (training: batch statistics, running-statistics updates, dropout), or in
// reverse, each op's backward accumulating into its inputs' gradients (a value read by two ops,
// such as a block input, gets both contributions). Dropout seeds: (*seed_base, the op's site).
// What a profile calls op `s` of a walk: direction, kind and shape, e.g. "bwd conv 160>160 k16
// s2 g10 L1500" (the shape without the batch size).
template <class T>
std::string op_label(const char* direction, const BoundOp<T>& s);

// forward_ops runs the first `n_ops` ops (all by default): an embedding needs the network's ops,
// not the head's after them.
template <class T>
void forward_ops(Backend<T>& be, const std::vector<BoundOp<T>>& ops, const std::uint64_t* seed_base, bool training,
                 std::size_t n_ops = static_cast<std::size_t>(-1));
template <class T>
void backward_ops(Backend<T>& be, const std::vector<BoundOp<T>>& ops, const std::uint64_t* seed_base);

}  // namespace xrdid::nn::exec
