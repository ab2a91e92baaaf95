// Net1D, BasicBlock and the cosine head (docs/method.md §7.2–§7.5, §8.1).
#include "nn/net1d.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace xrdid::nn {

// ---- BasicBlock -----------------------------------------------------------------------------
BasicBlock::BasicBlock(int cin, int cout, double ratio, int k, int s, int groups, bool ds, bool first,
                       bool bn, bool dout, double p, Rng& rng, DType dt)
    : c_in(cin), c_out(cout), stride(s), downsample(ds), is_first_block(first), use_bn(bn), use_do(dout),
      p_drop(p),
      bn1(cin, dt),
      conv1(cin, static_cast<int>(cout * ratio), 1, 1, 1, rng, dt),
      bn2(static_cast<int>(cout * ratio), dt),
      conv2(static_cast<int>(cout * ratio), static_cast<int>(cout * ratio), k, s, groups, rng, dt),
      bn3(static_cast<int>(cout * ratio), dt),
      conv3(static_cast<int>(cout * ratio), cout, 1, 1, 1, rng, dt),
      se_fc1(cout, cout / 2, rng, dt),
      se_fc2(cout / 2, cout, rng, dt) {
  register_module("bn1", bn1);
  register_module("conv1.conv", conv1);
  register_module("bn2", bn2);
  register_module("conv2.conv", conv2);
  register_module("bn3", bn3);
  register_module("conv3.conv", conv3);
  register_module("se_fc1", se_fc1);
  register_module("se_fc2", se_fc2);
}

Var BasicBlock::forward(const Var& x, ForwardCtx& ctx) {
  auto act_drop = [&](const Var& v) {
    Var o = F::swish(v);
    if (use_do) o = F::dropout(o, p_drop, ctx.training, ctx.next_seed());
    return o;
  };
  // BN -> swish -> dropout as one fused op (same values, gradients, running statistics and
  // dropout seeds as bn.forward, F::swish and F::dropout in sequence).
  auto bn_act_drop = [&](BatchNorm1d& bn, const Var& v) {
    if (!use_bn) return act_drop(v);
    if (ctx.training) bn.num_batches_tracked.data<std::int64_t>()[0] += 1;
    const double p = use_do ? p_drop : 0.0;
    const std::uint64_t seed = use_do ? ctx.next_seed() : 0;
    return F::bn_swish_dropout(v, bn.weight, bn.bias, bn.running_mean, bn.running_var, ctx.training, bn.momentum,
                               bn.eps, p, seed);
  };
  Var out = x;
  if (!is_first_block) out = bn_act_drop(bn1, out);
  out = conv1.forward(out);
  out = bn_act_drop(bn2, out);
  out = conv2.forward(out);
  out = bn_act_drop(bn3, out);
  out = conv3.forward(out);
  // Squeeze-and-excitation: mean over length -> fc -> swish -> fc -> sigmoid -> scale.
  Var se = F::mean_length(out);
  se = F::sigmoid(se_fc2.forward(F::swish(se_fc1.forward(se))));
  out = F::scale_channels(out, se);
  Var identity = x;
  if (downsample) identity = F::max_pool_same2(identity);
  if (c_out != c_in) {
    int before = (c_out - c_in) / 2;
    identity = F::pad_channels(identity, before, c_out - c_in - before);
  }
  return F::add(out, identity);
}

ValueId BasicBlock::append(OpList& ops, ValueId x) {
  auto act = [&](BatchNorm1d& bn, ValueId v) { return ops.bn_act(use_bn ? &bn : nullptr, v, use_do, p_drop); };
  ops.begin_block();
  ValueId out = x;
  if (!is_first_block) out = act(bn1, out);
  out = act(bn2, ops.conv(conv1, out));
  out = act(bn3, ops.conv(conv2, out));
  const ValueId h = ops.conv(conv3, out);
  const ValueId se = ops.sigmoid(ops.linear(se_fc2, ops.swish(ops.linear(se_fc1, ops.mean_length(h)))));
  const ValueId y = ops.residual_se(h, se, x, downsample);
  ops.end_block(y);
  return y;
}

// ---- Net1D ----------------------------------------------------------------------------------
Net1D::Net1D(const Net1DConfig& cfg, Rng& rng, DType dt)
    : cfg_((validate_net1d_config(cfg), cfg)),
      first_conv_(cfg.in_channels, cfg.base_filters, cfg.kernel_size, 2, 1, rng, dt),
      first_bn_(cfg.base_filters, dt) {
  register_module("first_conv.conv", first_conv_);
  register_module("first_bn", first_bn_);
  int in = cfg.base_filters;
  for (std::size_t s = 0; s < cfg.filter_list.size(); ++s) {
    int out = cfg.filter_list[s];
    int groups = static_cast<int>(out * cfg.ratio) / cfg.groups_width;
    for (int b = 0; b < cfg.m_blocks_list[s]; ++b) {
      bool first_in_stage = b == 0;
      auto blk = std::make_unique<BasicBlock>(first_in_stage ? in : out, out, cfg.ratio, cfg.kernel_size,
                                              first_in_stage ? cfg.stride : 1, groups, first_in_stage,
                                              s == 0 && b == 0, cfg.use_bn, cfg.use_do, cfg.dropout, rng, dt);
      register_module("stage_list." + std::to_string(s) + ".block_list." + std::to_string(b), *blk);
      blocks_.push_back(std::move(blk));
      block_stage_.push_back(static_cast<int>(s));
    }
    in = out;
  }
}

Var Net1D::forward(const Var& x, ForwardCtx& ctx) {
  XRDID_CHECK(x.value().ndim() == 3 && x.dim(1) == cfg_.in_channels,
              "Net1D: input must be (N, " + std::to_string(cfg_.in_channels) + ", L), got " +
                  shape_str(x.shape()));
  Var out = first_conv_.forward(x);
  if (cfg_.use_bn) {
    if (ctx.training) first_bn_.num_batches_tracked.data<std::int64_t>()[0] += 1;
    out = F::bn_swish_dropout(out, first_bn_.weight, first_bn_.bias, first_bn_.running_mean, first_bn_.running_var,
                              ctx.training, first_bn_.momentum, first_bn_.eps, 0.0, 0);
  } else {
    out = F::swish(out);
  }
  for (auto& b : blocks_) out = b->forward(out, ctx);
  return F::mean_length(out);
}

ValueId Net1D::append(OpList& ops, ValueId x) {
  XRDID_CHECK(ops.value(x).C == cfg_.in_channels, "Net1D: the input needs " + std::to_string(cfg_.in_channels) + " channels");
  ValueId out = ops.bn_act(cfg_.use_bn ? &first_bn_ : nullptr, ops.conv(first_conv_, x), false, 0.0);
  for (auto& b : blocks_) out = b->append(ops, out);
  return ops.mean_length(out);
}

std::vector<LayerRow> Net1D::layer_table(std::int64_t L) {
  auto count = [](Module& m) { return m.num_parameters(); };
  auto down = [](std::int64_t l, int s) { return (l + s - 1) / s; };
  std::vector<LayerRow> rows;
  std::int64_t l1 = down(L, 2);
  rows.push_back({"stem", "conv k" + std::to_string(cfg_.kernel_size) + " s2 g1", std::to_string(cfg_.in_channels) + "->" + std::to_string(cfg_.base_filters), "-", L, l1, count(first_conv_)});
  rows.push_back({"stem", "BN + swish", std::to_string(cfg_.base_filters), "-", l1, l1, count(first_bn_)});
  L = l1;
  std::vector<int> idx_in_stage(cfg_.filter_list.size(), 0);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    BasicBlock& b = *blocks_[i];
    int s = block_stage_[i];
    int j = idx_in_stage[static_cast<std::size_t>(s)]++;
    std::int64_t lo = down(L, b.stride);
    std::string sc = b.downsample ? "maxpool" : "identity";
    if (b.c_out != b.c_in) sc += " + pad " + std::to_string((b.c_out - b.c_in) / 2) + "/" + std::to_string(b.c_out - b.c_in - (b.c_out - b.c_in) / 2);
    std::int64_t total = (lo - 1) * b.stride + cfg_.kernel_size - L;
    if (total < 0) total = 0;
    std::string mp = std::string(b.is_first_block ? "" : "pre-act; ") + "1x1; k" + std::to_string(cfg_.kernel_size) +
                     " s" + std::to_string(b.stride) + " g" + std::to_string(b.conv2.opts.groups) + " pad " +
                     std::to_string(total / 2) + "/" + std::to_string(total - total / 2) + "; 1x1; SE";
    rows.push_back({"S" + std::to_string(s) + "B" + std::to_string(j), mp,
                    std::to_string(b.c_in) + "->" + std::to_string(b.c_out), sc, L, lo, count(b)});
    L = lo;
  }
  rows.push_back({"pool", "mean over length", std::to_string(cfg_.embedding_dim()), "-", L, 1, 0});
  return rows;
}

// ---- cosine head ----------------------------------------------------------------------------
CosineHead::CosineHead(int num_classes, int dim, Rng& rng, DType dt) {
  Tensor w = Tensor::empty({num_classes, dim}, dt);
  init_uniform(w, std::sqrt(6.0 / (dim + num_classes)), rng);  // Xavier-uniform
  weight = Var(w, true);
  register_parameter("weight", weight);
}

Var CosineHead::forward(const Var& e) const {
  const Var u = F::l2_normalize_rows(e);
  // Without a gradient to record (evaluation), the class weights are not copied normalised.
  if (!grad_enabled() || (!e.requires_grad() && !weight.requires_grad())) return F::cosine_rows(u, weight);
  return F::matmul(u, F::l2_normalize_rows(weight), /*trans_b=*/true);
}

ValueId CosineHead::append(OpList& ops, ValueId e) const {
  const ValueId en = ops.normalize_rows(e);
  return ops.matmul_bt(en, ops.normalize_rows(ops.param(weight)));
}

}  // namespace xrdid::nn
