// Net1DExecutor (see net1d_executor.hpp): the plan (the op list bound to memory per batch size,
// nn/exec/bound_op.hpp), the loss, the Adam step, and host <-> backend transfers.
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
// The op list (nn/op_list.hpp) bound to memory for one batch size: a value and (training plans)
// a gradient per op-list value, and the ops bound to them (nn/exec/bound_op.hpp).
template <class T>
struct Net1DExecutor<T>::Plan {
  using Buf = exec::Buf<T>;

  std::int64_t n = 0;
  bool training = false;
  void* values = nullptr;  // backend memory: activations
  void* grads = nullptr;   // backend memory: their gradients (zeroed each step)
  std::size_t value_bytes = 0, grad_bytes = 0, host_bytes = 0;
  void* host = nullptr;  // staging (pinned on CUDA)

  std::vector<Buf> vals;  // per op-list value
  std::vector<BoundOp<T>> steps;

  // Inputs / per-step scalars (backend) and their host staging twins.
  std::int64_t* labels = nullptr;
  StepScalars* scal = nullptr;
  T* hx = nullptr;
  std::int64_t* hlabels = nullptr;
  StepScalars* hscal = nullptr;
  T* hloss = nullptr;
  std::int64_t* htopk = nullptr;
  T* hemb = nullptr;
  T* hcos = nullptr;

  Buf x, emb, cos, z;
  T *prob = nullptr, *loss = nullptr;
  std::int64_t* topk = nullptr;
  int k = 0;
};

// ---- construction, parameter state -------------------------------------------------------------
template <class T>
Net1DExecutor<T>::Net1DExecutor(Backend<T>& backend, Net1D& net, CosineHead& head, ExecutorOptions opt)
    : be_(backend), net_(net), head_(head), opt_(std::move(opt)), loss_(opt_.loss) {
  L_ = net.config().input_length;
  C_ = head.weight.dim(0);
  D_ = head.weight.dim(1);
  XRDID_CHECK(D_ == net.config().embedding_dim(), "executor: head width does not match the network");
  // The one description of the computation: the modules append their ops.
  x_id_ = ops_.input(net.config().in_channels, L_);
  emb_id_ = net.append(ops_, x_id_);
  backbone_ops_ = ops_.ops().size();
  cos_id_ = head.append(ops_, emb_id_);
  XRDID_CHECK(ops_.value(emb_id_).C == D_, "executor: the network's output is not the embedding width");
  // Parameters no op reads (the batch norms a configuration skips: the first block's bn1, all of
  // them without use_bn) get no gradient on the tape, so Adam leaves them alone even with weight
  // decay: they go after the used ones, and the update covers the used range only. The batch
  // norms the ops use count their batches, as on the tape.
  std::vector<const void*> used;
  for (const OpDesc& op : ops_.ops()) {
    auto use = [&](const Var& v) {
      if (v.defined()) used.push_back(v.value().raw());
    };
    if (op.conv) use(op.conv->weight), use(op.conv->bias);
    if (op.linear) use(op.linear->weight), use(op.linear->bias);
    if (op.bn) {
      use(op.bn->weight), use(op.bn->bias);
      batches_tracked_.push_back(&op.bn->num_batches_tracked);
    }
  }
  for (const ValueDesc& v : ops_.values())
    if (v.param) used.push_back(v.param->value().raw());
  auto is_unused = [&](const Var* v) { return std::find(used.begin(), used.end(), v->value().raw()) == used.end(); };
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
  auto pl = std::make_unique<Plan>();
  Plan& p = *pl;
  p.n = n;
  p.training = training;
  using Buf = typename Plan::Buf;
  const auto& vals = ops_.values();

  // Every buffer is requested here; `build` runs twice (measure, then carve). Inference keeps
  // only what the next op reads: a block's values share one region (reused block after block)
  // and block outputs alternate between two buffers, so its memory is that of the largest block
  // rather than of the whole network. Training keeps everything (the backward reads it).
  // Layout of the values: [out A | out B | block region | the rest].
  std::size_t out_max = 0, block_max = 0;  // bytes; measured by the first pass
  auto build = [&](Carver& vc, Carver& gc, Carver& hc, std::uintptr_t region) {
    Carver bc{region + 2 * out_max, 0};
    p.vals.assign(vals.size(), Buf{});
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const ValueDesc& d = vals[i];
      Buf& b = p.vals[i];
      if (d.training_only && !training) continue;
      if (d.param) {
        b.v = P(*d.param);
        if (training) b.g = G(*d.param);
        continue;
      }
      const std::int64_t count = (d.batched ? n : 1) * d.C * d.L;
      if (!training && d.scope == ValueDesc::BlockOut) {
        out_max = std::max(out_max, align_up(static_cast<std::size_t>(count) * sizeof(T)));
        b.v = reinterpret_cast<T*>(region + static_cast<std::size_t>(d.block % 2) * out_max);
        block_max = std::max(block_max, bc.used);  // the block's values end with its output
        bc.used = 0;
        continue;
      }
      b.v = (!training && d.scope == ValueDesc::InBlock ? bc : vc).template take<T>(count);
      if (training && d.grad) b.g = gc.template take<T>(count);
    }
    p.steps.clear();
    for (const OpDesc& op : ops_.ops()) p.steps.push_back(bind_op<T>(ops_, op, p.vals, n, training, *this));
    p.x = p.vals[static_cast<std::size_t>(x_id_)];
    p.emb = p.vals[static_cast<std::size_t>(emb_id_)];
    p.cos = p.vals[static_cast<std::size_t>(cos_id_)];
    p.labels = vc.template take<std::int64_t>(n);
    p.scal = vc.template take<StepScalars>(1);
    p.k = static_cast<int>(std::min<std::int64_t>(opt_.topk, C_));
    if (training) {
      p.z = Buf{vc.template take<T>(n * C_), gc.template take<T>(n * C_)};
      p.prob = vc.template take<T>(n * C_);
      p.loss = vc.template take<T>(1);
      p.topk = vc.template take<std::int64_t>(n * p.k);
    }
    // Host staging.
    const std::int64_t cin0 = net_.config().in_channels;
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

// ---- loss ---------------------------------------------------------------------------------------
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
        const bool prof = be_.profiling();
        if (prof) be_.mark("upload + zero gradients");
        be_.upload(p.x.v, p.hx, static_cast<std::size_t>(cnt) * sizeof(T));
        be_.upload(p.labels, p.hlabels, static_cast<std::size_t>(n) * sizeof(std::int64_t));
        be_.upload(p.scal, p.hscal, sizeof(StepScalars));
        be_.zero(p.grads, p.grad_bytes);
        be_.zero(g_, nparam_ * sizeof(T));
        forward_ops(be_, p.steps, &p.scal->seed, true);
        if (prof) be_.mark("loss forward + backward");
        loss_forward(p);
        loss_backward(p);
        backward_ops(be_, p.steps, &p.scal->seed);
        if (prof) be_.mark("adam + top-k + download");
        be_.adam_update(p_, g_, m_, v_, static_cast<std::int64_t>(nused_), &p.scal->adam, opt_.beta1, opt_.beta2,
                        opt_.adam_eps, opt_.weight_decay, opt_.decoupled);
        be_.topk_rows(n, C_, p.cos.v, p.k, p.topk);
        be_.download(p.hloss, p.loss, sizeof(T));
        be_.download(p.htopk, p.topk, static_cast<std::size_t>(n * p.k) * sizeof(std::int64_t));
        if (prof) be_.mark("");
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
  // Without cosines asked for, the head's ops (normalising every class weight, the product with
  // them) are not run: an embedding is the network's output. Its own recording on a backend
  // that records ("embed:n" beside "eval:n").
  const bool head = cosines != nullptr;
  be_.run(
      (head ? "eval:" : "embed:") + std::to_string(n),
      [&] {
        const bool prof = be_.profiling();
        if (prof) be_.mark("upload");
        be_.upload(p.x.v, p.hx, static_cast<std::size_t>(cnt) * sizeof(T));
        forward_ops(be_, p.steps, &p.scal->seed, false, head ? p.steps.size() : backbone_ops_);
        if (prof) be_.mark("download");
        be_.download(p.hemb, p.emb.v, static_cast<std::size_t>(n * D_) * sizeof(T));
        if (head) be_.download(p.hcos, p.cos.v, static_cast<std::size_t>(n * C_) * sizeof(T));
        if (prof) be_.mark("");
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
