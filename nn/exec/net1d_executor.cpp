// Net1DExecutor (see net1d_executor.hpp): the plan (memory per batch size), the forward and
// backward sequences of Net1D + head + loss, the Adam step, and host <-> backend transfers.
#include "nn/exec/net1d_executor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace xrdid::nn::exec {

namespace {

constexpr std::size_t kAlign = 256;
std::size_t align_up(std::size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// Carves typed buffers out of one region. Run twice over the same requests: first with base 0
// to measure, then with the real base (the pointers of the first pass are never dereferenced).
struct Carver {
  std::uintptr_t base = 0;
  std::size_t used = 0;
  template <class U>
  U* take(std::int64_t count) {
    const std::size_t off = used;
    used = align_up(used + static_cast<std::size_t>(std::max<std::int64_t>(count, 1)) * sizeof(U));
    return reinterpret_cast<U*>(base + off);
  }
};

// Per-step scalars read by the ops from backend memory (rewritten before every run).
struct StepScalars {
  std::uint64_t seed = 0;
  AdamHyper adam;
};

}  // namespace

// ---- the plan ---------------------------------------------------------------------------------
template <class T>
struct Net1DExecutor<T>::Plan {
  // A value and (training plans) its gradient.
  struct Buf {
    T* v = nullptr;
    T* g = nullptr;
  };
  // y = dropout(swish(bn(x))), or dropout(swish(x)) without batch norm.
  struct Act {
    bool bn = true;
    BatchNormShape s;
    T *mean = nullptr, *var = nullptr;  // batch statistics (training) or the running ones (eval)
    const T *gamma = nullptr, *beta = nullptr;
    T *dgamma = nullptr, *dbeta = nullptr, *running_mean = nullptr, *running_var = nullptr;
    double eps = 1e-5, momentum = 0.1, p = 0;
    bool drop = false;
    std::uint64_t counter = 0;  // dropout site (ForwardCtx counter)
    Buf sw;                     // swish output (no-BN path with dropout)
  };
  // A layer's weight and optional bias, with their gradients (training plans).
  struct Weights {
    const T *w = nullptr, *b = nullptr;
    T *dw = nullptr, *db = nullptr;
  };
  struct Conv : Weights {
    Conv1dShape s;
  };
  struct Dense : Weights {
    LinearShape s;
  };
  struct Block {
    bool first = false, downsample = false;
    std::int64_t cin = 0, cout = 0, mid = 0, Lin = 0, Lout = 0;
    Buf in;  // the block input (the previous block's output)
    Act act1, act2, act3;
    Conv c1, c2, c3;
    Dense fc1, fc2;
    ResidualShape res;  // out = h3 * e + shortcut(in), one fused op
    Buf a1, h1, a2, h2, a3, h3, s0, s1, s2, s3, e, out;
  };

  std::int64_t n = 0;
  bool training = false;
  void* values = nullptr;  // backend memory: activations
  void* grads = nullptr;   // backend memory: their gradients (zeroed each step)
  std::size_t value_bytes = 0, grad_bytes = 0, host_bytes = 0;
  void* host = nullptr;  // staging (pinned on CUDA)

  // Inputs / per-step scalars (backend) and their host staging twins.
  Buf x;
  std::int64_t* labels = nullptr;
  StepScalars* scal = nullptr;
  T* hx = nullptr;
  std::int64_t* hlabels = nullptr;
  StepScalars* hscal = nullptr;
  T* hloss = nullptr;
  std::int64_t* htopk = nullptr;
  T* hemb = nullptr;
  T* hcos = nullptr;

  Conv c0;
  Act act0;
  Buf h0, a0;
  std::vector<Block> blocks;
  Buf emb, en, wn, cos, z;
  T *norm_e = nullptr, *norm_w = nullptr, *prob = nullptr, *loss = nullptr;
  std::int64_t* topk = nullptr;
  int k = 0;
};

// ---- construction, parameter state -------------------------------------------------------------
template <class T>
Net1DExecutor<T>::Net1DExecutor(Backend<T>& backend, Net1D& net, CosineHead& head, ExecutorOptions opt)
    : be_(backend), net_(net), head_(head), opt_(std::move(opt)), loss_(parse_loss(opt_.loss)) {
  L_ = net.config().input_length;
  C_ = head.weight.dim(0);
  D_ = head.weight.dim(1);
  XRDID_CHECK(D_ == net.config().embedding_dim(), "executor: head width does not match the network");
  // The batch norms a forward uses: the stem's, and each block's bn1 (not in the first block),
  // bn2, bn3 — all only with use_bn. The tape counts their batches; the parameters of the
  // others get no gradient there, so Adam leaves them alone even with weight decay: they go
  // after the used ones, and the update covers the used range only.
  std::vector<BatchNorm1d*> used_bn;
  if (net.config().use_bn) {
    used_bn.push_back(&net.first_bn());
    for (const auto& blk : net.blocks()) {
      if (!blk->is_first_block) used_bn.push_back(&blk->bn1);
      used_bn.push_back(&blk->bn2);
      used_bn.push_back(&blk->bn3);
    }
  }
  std::vector<const void*> unused;
  auto note_bn = [&](BatchNorm1d& bn) {
    if (std::find(used_bn.begin(), used_bn.end(), &bn) != used_bn.end()) return;
    unused.push_back(bn.weight.value().raw());
    unused.push_back(bn.bias.value().raw());
  };
  note_bn(net.first_bn());
  for (const auto& blk : net.blocks())
    for (BatchNorm1d* bn : {&blk->bn1, &blk->bn2, &blk->bn3}) note_bn(*bn);
  for (BatchNorm1d* bn : used_bn) batches_tracked_.push_back(&bn->num_batches_tracked);
  auto is_unused = [&](const Var* v) { return std::find(unused.begin(), unused.end(), v->value().raw()) != unused.end(); };
  std::vector<std::pair<std::string, Var*>> all = net.named_parameters();
  for (auto& q : head.named_parameters("head.")) all.push_back(q);
  for (int pass = 0; pass < 2; ++pass)
    for (auto& [name, v] : all) {
      if (is_unused(v) != (pass == 1)) continue;
      XRDID_CHECK(v->dtype() == dtype_of<T>(), "executor: parameter " + name + " has the wrong dtype");
      param_offset_[v->value().raw()] = nparam_;
      nparam_ += static_cast<std::size_t>(v->value().numel());
      if (pass == 0) nused_ = nparam_;
    }
  for (auto& [name, v] : all) params_.push_back({v, param_offset_.at(v->value().raw()), static_cast<std::size_t>(v->value().numel())});
  for (Module* m : {static_cast<Module*>(&net), static_cast<Module*>(&head)})
    for (auto& [name, t] : m->named_buffers()) {
      if (t->dtype() == DType::I64) continue;  // num_batches_tracked: host bookkeeping
      buffer_offset_[t->raw()] = nbuf_;
      buffers_.push_back({t, nbuf_, static_cast<std::size_t>(t->numel())});
      nbuf_ += static_cast<std::size_t>(t->numel());
    }
  // [p | g | m | v | running statistics | AdaCos scale]; inference-only executors keep no g, m, v.
  const std::int64_t np = static_cast<std::int64_t>(nparam_), ntrain = opt_.inference_only ? 0 : np;
  Carver c;
  c.take<T>(np);
  const std::size_t g_off = c.used;
  c.take<T>(ntrain);
  const std::size_t m_off = c.used;
  c.take<T>(ntrain);
  const std::size_t v_off = c.used;
  c.take<T>(ntrain);
  const std::size_t b_off = c.used;
  c.take<T>(static_cast<std::int64_t>(nbuf_));
  const std::size_t s_off = c.used;
  c.take<double>(1);
  state_bytes_ = c.used;
  state_ = be_.allocate(state_bytes_);
  char* base = static_cast<char*>(state_);
  p_ = reinterpret_cast<T*>(base);
  if (!opt_.inference_only) {
    g_ = reinterpret_cast<T*>(base + g_off);
    m_ = reinterpret_cast<T*>(base + m_off);
    v_ = reinterpret_cast<T*>(base + v_off);
  }
  buf_ = reinterpret_cast<T*>(base + b_off);
  adacos_s_ = reinterpret_cast<double*>(base + s_off);
  if (const std::size_t sb = be_.scratch_bytes()) scratch_ = be_.allocate(sb);
  upload_model();
}

template <class T>
Net1DExecutor<T>::~Net1DExecutor() {
  for (auto& [key, p] : plans_) {
    be_.release(p->values);
    be_.release(p->grads);
    be_.release_host(p->host);
  }
  if (scratch_) be_.release(scratch_);
  be_.release(state_);
}

template <class T>
T* Net1DExecutor<T>::P(const Var& v) const {
  auto it = param_offset_.find(v.value().raw());
  XRDID_CHECK(it != param_offset_.end(), "executor: a layer parameter is not registered in the model");
  return p_ + it->second;
}
template <class T>
T* Net1DExecutor<T>::G(const Var& v) const {
  return g_ + (P(v) - p_);
}
template <class T>
T* Net1DExecutor<T>::B(const Tensor& t) const {
  auto it = buffer_offset_.find(t.raw());
  XRDID_CHECK(it != buffer_offset_.end(), "executor: a running statistic is not registered in the model");
  return buf_ + it->second;
}

template <class T>
void Net1DExecutor<T>::upload_model() {
  for (auto& s : params_) be_.upload(p_ + s.offset, s.var->value().raw(), s.numel * sizeof(T));
  for (auto& s : buffers_) be_.upload(buf_ + s.offset, s.tensor->raw(), s.numel * sizeof(T));
  be_.synchronize();
}

template <class T>
void Net1DExecutor<T>::download_model() {
  for (auto& s : params_) be_.download(s.var->value_mut().raw(), p_ + s.offset, s.numel * sizeof(T));
  for (auto& s : buffers_) be_.download(s.tensor->raw(), buf_ + s.offset, s.numel * sizeof(T));
  be_.synchronize();
}

template <class T>
void Net1DExecutor<T>::upload_optimizer(Adam& adam) {
  XRDID_CHECK(!opt_.inference_only, "executor: an inference-only executor holds no optimiser state");
  XRDID_CHECK(adam.beta1 == opt_.beta1 && adam.beta2 == opt_.beta2 && adam.eps == opt_.adam_eps &&
                  adam.weight_decay == opt_.weight_decay && adam.decoupled == opt_.decoupled,
              "executor: the optimiser's settings differ from the executor's");
  auto state = adam.named_state();
  XRDID_CHECK(state.size() == 1 + 2 * params_.size(), "executor: the optimiser holds other parameters");
  steps_ = adam.steps();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    be_.upload(m_ + params_[i].offset, state[1 + 2 * i].second->raw(), params_[i].numel * sizeof(T));
    be_.upload(v_ + params_[i].offset, state[2 + 2 * i].second->raw(), params_[i].numel * sizeof(T));
  }
  be_.synchronize();
}

template <class T>
void Net1DExecutor<T>::download_optimizer(Adam& adam) {
  XRDID_CHECK(!opt_.inference_only, "executor: an inference-only executor holds no optimiser state");
  auto state = adam.named_state();
  XRDID_CHECK(state.size() == 1 + 2 * params_.size(), "executor: the optimiser holds other parameters");
  state[0].second->data<std::int64_t>()[0] = steps_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    be_.download(state[1 + 2 * i].second->raw(), m_ + params_[i].offset, params_[i].numel * sizeof(T));
    be_.download(state[2 + 2 * i].second->raw(), v_ + params_[i].offset, params_[i].numel * sizeof(T));
  }
  be_.synchronize();
}

template <class T>
void Net1DExecutor<T>::set_adacos_scale(double s) {
  be_.upload(adacos_s_, &s, sizeof(double));
  be_.synchronize();
}

template <class T>
double Net1DExecutor<T>::adacos_scale() {
  double s = 0;
  be_.download(&s, adacos_s_, sizeof(double));
  be_.synchronize();
  return s;
}

template <class T>
std::size_t Net1DExecutor<T>::plan_bytes() const {
  std::size_t b = 0;
  for (auto& [k, p] : plans_) b += p->value_bytes + p->grad_bytes;
  return b;
}

// ---- planning -----------------------------------------------------------------------------------
template <class T>
typename Net1DExecutor<T>::Plan& Net1DExecutor<T>::plan(std::int64_t n, bool training) {
  auto key = std::make_pair(n, training);
  if (auto it = plans_.find(key); it != plans_.end()) return *it->second;
  return *plans_.emplace(key, layout(n, training, true)).first->second;
}

template <class T>
std::size_t Net1DExecutor<T>::plan_size(std::int64_t n, bool training) {
  auto p = layout(n, training, false);
  return p->value_bytes + p->grad_bytes;
}

template <class T>
std::unique_ptr<typename Net1DExecutor<T>::Plan> Net1DExecutor<T>::layout(std::int64_t n, bool training,
                                                                           bool allocate) {
  XRDID_CHECK(n >= 1, "executor: a batch needs at least one row");
  const Net1DConfig& cfg = net_.config();
  auto pl = std::make_unique<Plan>();
  Plan& p = *pl;
  p.n = n;
  p.training = training;
  using Buf = typename Plan::Buf;
  using Act = typename Plan::Act;

  // Everything is requested through these lambdas; `build` runs twice (measure, then carve).
  // Inference keeps only what the next op reads: a block's intermediates share one region
  // (reused block after block) and block outputs alternate between two buffers, so its memory
  // is that of the largest block rather than of the whole network. Training keeps everything
  // (the backward reads it). Layout of the values: [out A | out B | block region | the rest].
  std::size_t out_max = 0, block_max = 0;  // bytes; measured by the first pass
  auto build = [&](Carver& vc, Carver& gc, Carver& hc, std::uintptr_t region) {
    Carver bc{region + 2 * out_max, 0};
    bool in_block = false;
    auto buf = [&](std::int64_t count) {
      Buf b;
      b.v = (!training && in_block ? bc : vc).template take<T>(count);
      if (training) b.g = gc.template take<T>(count);
      return b;
    };
    auto out_buf = [&](std::int64_t count, std::size_t index) {
      if (training) return buf(count);
      out_max = std::max(out_max, align_up(static_cast<std::size_t>(count) * sizeof(T)));
      Buf b;
      b.v = reinterpret_cast<T*>(region + (index % 2) * out_max);
      return b;
    };
    std::uint64_t counter = 0;
    auto act = [&](BatchNorm1d* bn, std::int64_t C, std::int64_t len, bool site) {
      Act a;
      a.bn = bn != nullptr;
      a.s = BatchNormShape{n, C, len};
      if (site) a.counter = ++counter;
      if (bn) {
        XRDID_CHECK(!training || n * len >= 2, "executor: training needs more than one value per channel");
        a.gamma = P(bn->weight);
        a.beta = P(bn->bias);
        a.eps = bn->eps;
        a.momentum = bn->momentum;
        a.running_mean = B(bn->running_mean);
        a.running_var = B(bn->running_var);
        if (training) {
          a.dgamma = G(bn->weight);
          a.dbeta = G(bn->bias);
          a.mean = vc.template take<T>(C);
          a.var = vc.template take<T>(C);
        } else {
          a.mean = a.running_mean;
          a.var = a.running_var;
        }
      }
      return a;
    };
    auto set_drop = [&](Act& a, bool use_do, double pd) {
      a.p = pd;
      a.drop = training && use_do && pd > 0.0;
      if (!a.bn && a.drop) a.sw = buf(a.s.N * a.s.C * a.s.L);
    };
    auto weights = [&](auto& layer, const Var& w, const Var& b) {
      layer.w = P(w);
      layer.b = b.defined() ? P(b) : nullptr;
      if (training) {
        layer.dw = G(w);
        layer.db = b.defined() ? G(b) : nullptr;
      }
    };
    auto conv = [&](Conv1d& m, std::int64_t cin, std::int64_t len) {
      typename Plan::Conv c;
      c.s = Conv1dShape::same(n, cin, m.weight.dim(0), len, m.weight.dim(2), m.opts.stride, m.opts.dilation,
                              m.opts.groups);
      weights(c, m.weight, m.bias);
      return c;
    };
    auto lin = [&](Linear& m) {
      typename Plan::Dense l;
      l.s = LinearShape{n, m.weight.dim(1), m.weight.dim(0)};
      weights(l, m.weight, m.bias);
      return l;
    };

    const std::int64_t cin0 = cfg.in_channels;
    p.x.v = vc.template take<T>(n * cin0 * L_);  // the input needs no gradient
    p.labels = vc.template take<std::int64_t>(n);
    p.scal = vc.template take<StepScalars>(1);
    p.c0 = conv(net_.first_conv(), cin0, L_);
    std::int64_t len = p.c0.s.L_out, ch = p.c0.s.C_out;
    p.h0 = buf(n * ch * len);
    p.act0 = act(cfg.use_bn ? &net_.first_bn() : nullptr, ch, len, false);
    p.a0 = buf(n * ch * len);
    Buf cur = p.a0;
    p.blocks.clear();
    for (const auto& bp : net_.blocks()) {
      in_block = true;
      bc.used = 0;
      BasicBlock& b = *bp;
      typename Plan::Block k;
      k.first = b.is_first_block;
      k.downsample = b.downsample;
      k.cin = b.c_in;
      k.cout = b.c_out;
      k.mid = b.conv1.weight.dim(0);
      k.Lin = len;
      k.in = cur;
      XRDID_CHECK(k.cin == ch, "executor: block input width mismatch");
      if (!k.first) {
        k.act1 = act(b.use_bn ? &b.bn1 : nullptr, k.cin, len, b.use_do);
        set_drop(k.act1, b.use_do, b.p_drop);
        k.a1 = buf(n * k.cin * len);
      }
      k.c1 = conv(b.conv1, k.cin, len);
      k.h1 = buf(n * k.mid * len);
      k.act2 = act(b.use_bn ? &b.bn2 : nullptr, k.mid, len, b.use_do);
      set_drop(k.act2, b.use_do, b.p_drop);
      k.a2 = buf(n * k.mid * len);
      k.c2 = conv(b.conv2, k.mid, len);
      k.Lout = k.c2.s.L_out;
      k.h2 = buf(n * k.mid * k.Lout);
      k.act3 = act(b.use_bn ? &b.bn3 : nullptr, k.mid, k.Lout, b.use_do);
      set_drop(k.act3, b.use_do, b.p_drop);
      k.a3 = buf(n * k.mid * k.Lout);
      k.c3 = conv(b.conv3, k.mid, k.Lout);
      k.h3 = buf(n * k.cout * k.Lout);
      k.fc1 = lin(b.se_fc1);
      k.fc2 = lin(b.se_fc2);
      k.s0 = buf(n * k.cout);
      k.s1 = buf(n * k.fc1.s.out);
      k.s2 = buf(n * k.fc1.s.out);
      k.s3 = buf(n * k.cout);
      k.e = buf(n * k.cout);
      if (k.downsample) XRDID_CHECK((k.Lin + 1) / 2 == k.Lout, "executor: a downsampling block must halve the length");
      else XRDID_CHECK(k.Lin == k.Lout, "executor: a block without downsampling must keep the length");
      k.res = ResidualShape{n, k.cin, k.cout, k.Lin, k.downsample, (k.cout - k.cin) / 2};
      in_block = false;
      block_max = std::max(block_max, bc.used);
      k.out = out_buf(n * k.cout * k.Lout, p.blocks.size());
      cur = k.out;
      len = k.Lout;
      ch = k.cout;
      p.blocks.push_back(k);
    }
    XRDID_CHECK(ch == D_, "executor: the last block's width is not the embedding width");
    p.emb = buf(n * D_);
    p.en = buf(n * D_);
    p.norm_e = vc.template take<T>(n);
    p.wn = buf(C_ * D_);
    p.norm_w = vc.template take<T>(C_);
    p.cos = buf(n * C_);
    p.k = static_cast<int>(std::min<std::int64_t>(opt_.topk, C_));
    if (training) {
      p.z = buf(n * C_);
      p.prob = vc.template take<T>(n * C_);
      p.loss = vc.template take<T>(1);
      p.topk = vc.template take<std::int64_t>(n * p.k);
    }
    // Host staging.
    p.hx = hc.template take<T>(n * cin0 * L_);
    p.hlabels = hc.template take<std::int64_t>(n);
    p.hscal = hc.template take<StepScalars>(1);
    p.hloss = hc.template take<T>(1);
    p.htopk = hc.template take<std::int64_t>(n * p.k);
    p.hemb = hc.template take<T>(n * D_);
    p.hcos = hc.template take<T>(n * C_);
  };

  Carver vc, gc, hc;
  build(vc, gc, hc, 0);  // measures (out_max and block_max too)
  const std::size_t front = training ? 0 : 2 * out_max + block_max;
  p.value_bytes = front + vc.used;
  p.grad_bytes = training ? gc.used : 0;
  p.host_bytes = hc.used;
  if (!allocate) return pl;
  try {
    p.values = be_.allocate(p.value_bytes);
    p.grads = training ? be_.allocate(p.grad_bytes) : nullptr;
    p.host = be_.allocate_host(p.host_bytes);
  } catch (const std::exception& e) {
    be_.release(p.values);
    be_.release(p.grads);
    char gb[64];
    std::snprintf(gb, sizeof gb, "%.2f GB", static_cast<double>(p.value_bytes + p.grad_bytes) / 1e9);
    throw std::runtime_error("xrdid: the " + std::string(training ? "training" : "inference") + " plan for batch " +
                             std::to_string(n) + " needs " + gb + " of " + be_.name() +
                             " memory and could not get it (" + e.what() + "); use a smaller --batch");
  }
  const auto values = reinterpret_cast<std::uintptr_t>(p.values);
  Carver rv{values + front, 0}, rg{reinterpret_cast<std::uintptr_t>(p.grads), 0},
      rh{reinterpret_cast<std::uintptr_t>(p.host), 0};
  build(rv, rg, rh, values);
  return pl;
}

// ---- forward / backward -------------------------------------------------------------------------
template <class T>
void Net1DExecutor<T>::forward(Plan& p, bool training) {
  Backend<T>& be = be_;
  const std::uint64_t* seed_base = &p.scal->seed;
  auto act_fwd = [&](typename Plan::Act& a, const T* x, T* y) {
    const std::int64_t cnt = a.s.N * a.s.C * a.s.L;
    const SeedArg seed{seed_base, a.counter};
    if (a.bn) {
      if (training) {
        be.batchnorm_stats(a.s, x, a.mean, a.var);
        be.batchnorm_update_running(a.s.C, a.s.N * a.s.L, a.mean, a.var, a.momentum, a.running_mean,
                                    a.running_var);
      }
      be.bn_swish_dropout_forward(a.s, x, a.mean, a.var, a.gamma, a.beta, a.eps, a.drop, a.p, seed, y);
    } else if (a.drop) {
      be.swish_forward(cnt, x, a.sw.v);
      be.dropout_forward(cnt, a.p, seed, a.sw.v, y);
    } else {
      be.swish_forward(cnt, x, y);
    }
  };
  be.conv1d_forward(p.c0.s, p.x.v, p.c0.w, p.c0.b, p.h0.v);
  act_fwd(p.act0, p.h0.v, p.a0.v);
  for (auto& k : p.blocks) {
    const T* in1 = k.in.v;
    if (!k.first) {
      act_fwd(k.act1, k.in.v, k.a1.v);
      in1 = k.a1.v;
    }
    be.conv1d_forward(k.c1.s, in1, k.c1.w, k.c1.b, k.h1.v);
    act_fwd(k.act2, k.h1.v, k.a2.v);
    be.conv1d_forward(k.c2.s, k.a2.v, k.c2.w, k.c2.b, k.h2.v);
    act_fwd(k.act3, k.h2.v, k.a3.v);
    be.conv1d_forward(k.c3.s, k.a3.v, k.c3.w, k.c3.b, k.h3.v);
    // Squeeze-and-excitation.
    be.mean_length_forward(p.n * k.cout, k.Lout, k.h3.v, k.s0.v);
    be.linear_forward(k.fc1.s, k.s0.v, k.fc1.w, k.fc1.b, k.s1.v);
    be.swish_forward(p.n * k.fc1.s.out, k.s1.v, k.s2.v);
    be.linear_forward(k.fc2.s, k.s2.v, k.fc2.w, k.fc2.b, k.s3.v);
    be.sigmoid_forward(p.n * k.cout, k.s3.v, k.e.v);
    be.residual_se_forward(k.res, k.h3.v, k.e.v, k.in.v, k.out.v);
  }
  const auto& last = p.blocks.empty() ? p.a0 : p.blocks.back().out;
  const std::int64_t Llast = p.blocks.empty() ? p.c0.s.L_out : p.blocks.back().Lout;
  be.mean_length_forward(p.n * D_, Llast, last.v, p.emb.v);
  // Cosine head: normalised embeddings times normalised class weights.
  be.l2_normalize_rows_forward(p.n, D_, 1e-12, p.emb.v, p.en.v, p.norm_e);
  be.l2_normalize_rows_forward(C_, D_, 1e-12, P(head_.weight), p.wn.v, p.norm_w);
  be.matmul_forward(MatmulShape{p.n, D_, C_, true}, p.en.v, p.wn.v, p.cos.v);
}

template <class T>
void Net1DExecutor<T>::loss_forward(Plan& p) {
  Backend<T>& be = be_;
  const std::int64_t n = p.n;
  if (loss_ == Loss::CosFace) {
    be.cosface_forward(n, C_, opt_.scale, opt_.margin, p.cos.v, p.labels, p.prob, p.loss);
  } else if (loss_ == Loss::Softmax) {
    be.cosface_forward(n, C_, 1.0, 0.0, p.cos.v, p.labels, p.prob, p.loss);
  } else {  // adacos: new scale from the batch, logits = s * cos, cross-entropy
    be.adacos_update_scale(n, C_, p.cos.v, p.labels, adacos_s_, adacos_s_);
    be.zero(p.z.v, static_cast<std::size_t>(n * C_) * sizeof(T));
    be.axpy_scale(n * C_, adacos_s_, p.cos.v, p.z.v);
    be.cosface_forward(n, C_, 1.0, 0.0, p.z.v, p.labels, p.prob, p.loss);
  }
}

template <class T>
void Net1DExecutor<T>::loss_backward(Plan& p) {
  Backend<T>& be = be_;
  const std::int64_t n = p.n;
  if (loss_ == Loss::CosFace) {
    be.cosface_backward(n, C_, opt_.scale, p.prob, p.labels, T(1), p.cos.g);
  } else if (loss_ == Loss::Softmax) {
    be.cosface_backward(n, C_, 1.0, p.prob, p.labels, T(1), p.cos.g);
  } else {
    be.cosface_backward(n, C_, 1.0, p.prob, p.labels, T(1), p.z.g);
    be.axpy_scale(n * C_, adacos_s_, p.z.g, p.cos.g);
  }
}

template <class T>
void Net1DExecutor<T>::backward(Plan& p) {
  Backend<T>& be = be_;
  const std::uint64_t* seed_base = &p.scal->seed;
  auto act_bwd = [&](typename Plan::Act& a, const T* x, const T* dy, T* dx) {
    const std::int64_t cnt = a.s.N * a.s.C * a.s.L;
    const SeedArg seed{seed_base, a.counter};
    if (a.bn) {
      be.bn_swish_dropout_backward(a.s, x, a.mean, a.var, a.gamma, a.beta, a.eps, true, a.drop, a.p, seed, dy, dx,
                                   a.dgamma, a.dbeta);
    } else if (a.drop) {
      be.dropout_backward(cnt, a.p, seed, dy, a.sw.g);
      be.swish_backward(cnt, x, a.sw.g, dx);
    } else {
      be.swish_backward(cnt, x, dy, dx);
    }
  };
  // Head.
  be.matmul_backward(MatmulShape{p.n, D_, C_, true}, p.en.v, p.wn.v, p.cos.g, p.en.g, p.wn.g);
  be.l2_normalize_rows_backward(C_, D_, 1e-12, p.wn.v, p.norm_w, p.wn.g, G(head_.weight));
  be.l2_normalize_rows_backward(p.n, D_, 1e-12, p.en.v, p.norm_e, p.en.g, p.emb.g);
  auto& last = p.blocks.empty() ? p.a0 : p.blocks.back().out;
  const std::int64_t Llast = p.blocks.empty() ? p.c0.s.L_out : p.blocks.back().Lout;
  be.mean_length_backward(p.n * D_, Llast, p.emb.g, last.g);
  for (auto it = p.blocks.rbegin(); it != p.blocks.rend(); ++it) {
    auto& k = *it;
    const std::int64_t n = p.n;
    // out = h3 * e + shortcut(in): the gradient of `out` reaches both branches unchanged.
    const T* dout = k.out.g;
    be.residual_shortcut_backward(k.res, k.in.v, dout, k.in.g);
    // SE and the main path.
    be.scale_channels_backward(n, k.cout, k.Lout, k.h3.v, k.e.v, dout, k.h3.g, k.e.g);
    be.sigmoid_backward(n * k.cout, k.e.v, k.e.g, k.s3.g);
    be.linear_backward(k.fc2.s, k.s2.v, k.fc2.w, k.s3.g, k.s2.g, k.fc2.dw, k.fc2.db);
    be.swish_backward(n * k.fc1.s.out, k.s1.v, k.s2.g, k.s1.g);
    be.linear_backward(k.fc1.s, k.s0.v, k.fc1.w, k.s1.g, k.s0.g, k.fc1.dw, k.fc1.db);
    be.mean_length_backward(n * k.cout, k.Lout, k.s0.g, k.h3.g);
    be.conv1d_backward(k.c3.s, k.a3.v, k.c3.w, k.h3.g, k.a3.g, k.c3.dw, k.c3.db);
    act_bwd(k.act3, k.h2.v, k.a3.g, k.h2.g);
    be.conv1d_backward(k.c2.s, k.a2.v, k.c2.w, k.h2.g, k.a2.g, k.c2.dw, k.c2.db);
    act_bwd(k.act2, k.h1.v, k.a2.g, k.h1.g);
    if (k.first) {
      be.conv1d_backward(k.c1.s, k.in.v, k.c1.w, k.h1.g, k.in.g, k.c1.dw, k.c1.db);
    } else {
      be.conv1d_backward(k.c1.s, k.a1.v, k.c1.w, k.h1.g, k.a1.g, k.c1.dw, k.c1.db);
      act_bwd(k.act1, k.in.v, k.a1.g, k.in.g);
    }
  }
  act_bwd(p.act0, p.h0.v, p.a0.g, p.h0.g);
  // The input needs no gradient.
  be.conv1d_backward(p.c0.s, p.x.v, p.c0.w, p.h0.g, nullptr, p.c0.dw, p.c0.db);
}

// ---- steps ----------------------------------------------------------------------------------------
template <class T>
StepResult Net1DExecutor<T>::train_step(const float* x, const std::int64_t* labels, std::int64_t n,
                                        std::uint64_t seed, double lr) {
  XRDID_CHECK(!opt_.inference_only, "executor: an inference-only executor cannot train");
  Plan& p = plan(n, true);
  const std::int64_t cnt = n * net_.config().in_channels * L_;
  for (std::int64_t i = 0; i < cnt; ++i) p.hx[i] = static_cast<T>(x[i]);
  for (std::int64_t i = 0; i < n; ++i) {
    XRDID_CHECK(labels[i] >= 0 && labels[i] < C_, "executor: label " + std::to_string(labels[i]) +
                                                      " outside [0, " + std::to_string(C_) + ")");
    p.hlabels[i] = labels[i];
  }
  const double t = static_cast<double>(steps_ + 1);
  p.hscal->seed = seed;
  p.hscal->adam = AdamHyper{lr, 1.0 - std::pow(opt_.beta1, t), 1.0 - std::pow(opt_.beta2, t)};
  be_.run(
      "train:" + std::to_string(n),
      [&] {
        be_.upload(p.x.v, p.hx, static_cast<std::size_t>(cnt) * sizeof(T));
        be_.upload(p.labels, p.hlabels, static_cast<std::size_t>(n) * sizeof(std::int64_t));
        be_.upload(p.scal, p.hscal, sizeof(StepScalars));
        be_.zero(p.grads, p.grad_bytes);
        be_.zero(g_, nparam_ * sizeof(T));
        forward(p, true);
        loss_forward(p);
        loss_backward(p);
        backward(p);
        be_.adam_update(p_, g_, m_, v_, static_cast<std::int64_t>(nused_), &p.scal->adam, opt_.beta1, opt_.beta2,
                        opt_.adam_eps, opt_.weight_decay, opt_.decoupled);
        be_.topk_rows(n, C_, p.cos.v, p.k, p.topk);
        be_.download(p.hloss, p.loss, sizeof(T));
        be_.download(p.htopk, p.topk, static_cast<std::size_t>(n * p.k) * sizeof(std::int64_t));
      },
      scratch_);
  be_.synchronize();
  ++steps_;
  for (Tensor* t : batches_tracked_) t->data<std::int64_t>()[0] += 1;
  StepResult r;
  r.loss = static_cast<double>(*p.hloss);
  r.k = p.k;
  r.topk.assign(p.htopk, p.htopk + n * p.k);
  return r;
}

template <class T>
void Net1DExecutor<T>::infer(const float* x, std::int64_t n, float* embedding, float* cosines) {
  Plan& p = plan(n, false);
  const std::int64_t cnt = n * net_.config().in_channels * L_;
  for (std::int64_t i = 0; i < cnt; ++i) p.hx[i] = static_cast<T>(x[i]);
  be_.run(
      "eval:" + std::to_string(n),
      [&] {
        be_.upload(p.x.v, p.hx, static_cast<std::size_t>(cnt) * sizeof(T));
        forward(p, false);
        be_.download(p.hemb, p.emb.v, static_cast<std::size_t>(n * D_) * sizeof(T));
        be_.download(p.hcos, p.cos.v, static_cast<std::size_t>(n * C_) * sizeof(T));
      },
      scratch_);
  be_.synchronize();
  if (embedding)
    for (std::int64_t i = 0; i < n * D_; ++i) embedding[i] = static_cast<float>(p.hemb[i]);
  if (cosines)
    for (std::int64_t i = 0; i < n * C_; ++i) cosines[i] = static_cast<float>(p.hcos[i]);
}

template class Net1DExecutor<float>;
template class Net1DExecutor<double>;

}  // namespace xrdid::nn::exec
