// The forward and backward walks over bound ops (see bound_op.hpp): one backend call (or a
// fused pair) per op.
#include "nn/exec/bound_op.hpp"

#include <algorithm>
#include <sstream>

namespace xrdid::nn::exec {

template <class T>
std::string op_label(const char* direction, const BoundOp<T>& s) {
  std::ostringstream o;
  o << direction << ' ';
  switch (s.op->kind) {
    case OpKind::Conv:
      o << "conv " << s.conv.C_in << '>' << s.conv.C_out << " k" << s.conv.K << " s" << s.conv.stride << " g"
        << s.conv.groups << " L" << s.conv.L_in;
      break;
    case OpKind::BnAct:
      o << (s.op->bn ? "bn+swish" : "swish") << (s.drop ? "+dropout" : "") << " C" << s.bn.C << " L" << s.bn.L;
      break;
    case OpKind::Linear: o << "linear " << s.lin.in << '>' << s.lin.out; break;
    case OpKind::Swish: o << "swish " << s.cols; break;
    case OpKind::Sigmoid: o << "sigmoid " << s.cols; break;
    case OpKind::MeanLength: o << "mean-length L" << s.cols; break;
    case OpKind::ResidualSE:
      o << "residual+se " << s.res.C_in << '>' << s.res.C_out << " L" << s.res.L_in << (s.res.downsample ? " pool" : "");
      break;
    case OpKind::NormalizeRows: o << "normalize " << s.cols; break;
    case OpKind::MatmulBT: o << "cosine-head"; break;
  }
  return o.str();
}

template <class T>
void forward_ops(Backend<T>& be, const std::vector<BoundOp<T>>& ops, const std::uint64_t* seed_base, bool training,
                 std::size_t n_ops) {
  const bool prof = be.profiling();
  const std::size_t end = std::min(n_ops, ops.size());
  for (std::size_t i = 0; i < end; ++i) {
    const auto& s = ops[i];
    const OpDesc& op = *s.op;
    const std::int64_t count = s.rows * s.cols;
    if (prof) be.mark(op_label("fwd", s));
    switch (op.kind) {
      case OpKind::Conv: be.conv1d_forward(s.conv, s.in.v, s.w, s.b, s.out.v); break;
      case OpKind::BnAct: {
        const SeedArg seed{seed_base, op.site};
        if (op.bn) {
          if (training) {
            be.batchnorm_stats(s.bn, s.in.v, s.aux1, s.aux2);
            be.batchnorm_update_running(s.bn.C, s.bn.N * s.bn.L, s.aux1, s.aux2, s.momentum, s.running_mean,
                                        s.running_var);
          }
          be.bn_swish_dropout_forward(s.bn, s.in.v, s.aux1, s.aux2, s.w, s.b, s.eps, s.drop, op.p, seed, s.out.v);
        } else if (s.drop) {
          be.swish_forward(count, s.in.v, s.tmp.v);
          be.dropout_forward(count, op.p, seed, s.tmp.v, s.out.v);
        } else {
          be.swish_forward(count, s.in.v, s.out.v);
        }
        break;
      }
      case OpKind::Linear: be.linear_forward(s.lin, s.in.v, s.w, s.b, s.out.v); break;
      case OpKind::Swish: be.swish_forward(count, s.in.v, s.out.v); break;
      case OpKind::Sigmoid: be.sigmoid_forward(count, s.in.v, s.out.v); break;
      case OpKind::MeanLength: be.mean_length_forward(s.rows, s.cols, s.in.v, s.out.v); break;
      case OpKind::ResidualSE: be.residual_se_forward(s.res, s.in.v, s.in2.v, s.in3.v, s.out.v); break;
      case OpKind::NormalizeRows:
        be.l2_normalize_rows_forward(s.rows, s.cols, 1e-12, s.in.v, s.out.v, s.aux1);
        break;
      case OpKind::MatmulBT: be.matmul_forward(s.mm, s.in.v, s.in2.v, s.out.v); break;
    }
  }
}

template <class T>
void backward_ops(Backend<T>& be, const std::vector<BoundOp<T>>& ops, const std::uint64_t* seed_base) {
  const bool prof = be.profiling();
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
    const auto& s = *it;
    const OpDesc& op = *s.op;
    const std::int64_t count = s.rows * s.cols;
    if (prof) be.mark(op_label("bwd", s));
    switch (op.kind) {
      case OpKind::Conv: be.conv1d_backward(s.conv, s.in.v, s.w, s.out.g, s.in.g, s.dw, s.db); break;
      case OpKind::BnAct: {
        const SeedArg seed{seed_base, op.site};
        if (op.bn) {
          be.bn_swish_dropout_backward(s.bn, s.in.v, s.aux1, s.aux2, s.w, s.b, s.eps, true, s.drop, op.p, seed,
                                       s.out.g, s.in.g, s.dw, s.db);
        } else if (s.drop) {
          be.dropout_backward(count, op.p, seed, s.out.g, s.tmp.g);
          be.swish_backward(count, s.in.v, s.tmp.g, s.in.g);
        } else {
          be.swish_backward(count, s.in.v, s.out.g, s.in.g);
        }
        break;
      }
      case OpKind::Linear: be.linear_backward(s.lin, s.in.v, s.w, s.out.g, s.in.g, s.dw, s.db); break;
      case OpKind::Swish: be.swish_backward(count, s.in.v, s.out.g, s.in.g); break;
      case OpKind::Sigmoid: be.sigmoid_backward(count, s.out.v, s.out.g, s.in.g); break;
      case OpKind::MeanLength: be.mean_length_backward(s.rows, s.cols, s.out.g, s.in.g); break;
      case OpKind::ResidualSE:
        // out = h * e + shortcut(x): the gradient of `out` reaches both branches unchanged.
        be.residual_shortcut_backward(s.res, s.in3.v, s.out.g, s.in3.g);
        be.scale_channels_backward(s.res.N, s.res.C_out, s.res.L_out(), s.in.v, s.in2.v, s.out.g, s.in.g, s.in2.g);
        break;
      case OpKind::NormalizeRows:
        be.l2_normalize_rows_backward(s.rows, s.cols, 1e-12, s.out.v, s.aux1, s.out.g, s.in.g);
        break;
      case OpKind::MatmulBT: be.matmul_backward(s.mm, s.in.v, s.in2.v, s.out.g, s.in.g, s.in2.g); break;
    }
  }
}

template std::string op_label<float>(const char*, const BoundOp<float>&);
template std::string op_label<double>(const char*, const BoundOp<double>&);
template void forward_ops<float>(Backend<float>&, const std::vector<BoundOp<float>>&, const std::uint64_t*, bool,
                                 std::size_t);
template void forward_ops<double>(Backend<double>&, const std::vector<BoundOp<double>>&, const std::uint64_t*, bool,
                                  std::size_t);
template void backward_ops<float>(Backend<float>&, const std::vector<BoundOp<float>>&, const std::uint64_t*);
template void backward_ops<double>(Backend<double>&, const std::vector<BoundOp<double>>&, const std::uint64_t*);

}  // namespace xrdid::nn::exec
