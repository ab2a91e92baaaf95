// Net1DExecutor: a Net1D + cosine head + loss + Adam training step (and the eval-mode forward)
// as a fixed sequence of backend ops on memory planned once per batch size — no autograd tape,
// no allocation inside a step — so a backend can record it once and replay it (a CUDA graph).
//
// The op sequence is the modules' own: Net1D::append and CosineHead::append write the network
// into an op list (nn/op_list.hpp) next to their tape forward; the executor binds that list to
// memory per batch size, runs it in order, then in reverse for the gradients. The same values as
// the tape (nn/net1d.hpp + nn/functional.hpp + nn/optim.hpp) step for step: the same ops in the
// same order, the same dropout seeds (ForwardCtx's site counters), the same running-statistics
// updates and Adam arithmetic; tests/nn/test_executor.cpp checks it on the CPU
// backend and tests/gpu/ checks the CUDA backend against the CPU backend.
//
// Memory: parameters, gradients, Adam moments and BN running statistics live in one backend
// allocation (flat, in the modules' registration order); each batch size gets a plan with its
// activations, their gradients and host staging buffers, allocated once.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/exec/backend.hpp"
#include "nn/exec/bound_op.hpp"
#include "nn/loss_kind.hpp"
#include "nn/net1d.hpp"
#include "nn/op_list.hpp"
#include "nn/optim.hpp"

namespace xrdid::nn::exec {

struct ExecutorOptions {
  // cosface | adacos | softmax (CE on the raw cosines): nn::kLossNames, parsed once by the
  // executor (a name, so callers holding a name from a file or a test table pass it as is).
  Loss loss = Loss::CosFace;
  double scale = 30.0, margin = 0.4;
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8, weight_decay = 0.0;
  bool decoupled = false;  // AdamW
  int topk = 5;            // indices returned per training row (training accuracy)
  bool inference_only = false;  // no gradients or Adam moments (identification; embedded use)
};

struct StepResult {
  double loss = 0;
  std::vector<std::int64_t> topk;  // n * k class indices, best first, row-major
  int k = 0;
};

template <class T>
class Net1DExecutor {
 public:
  // net and head stay owned by the caller; the executor reads and writes their tensors only in
  // upload_*/download_* and in the host bookkeeping of a step (num_batches_tracked).
  Net1DExecutor(Backend<T>& backend, Net1D& net, CosineHead& head, ExecutorOptions opt);
  ~Net1DExecutor();
  Net1DExecutor(const Net1DExecutor&) = delete;
  Net1DExecutor& operator=(const Net1DExecutor&) = delete;

  // Host modules -> backend (parameters, running statistics) and back.
  void upload_model();
  void download_model();
  // Adam moments and step count (named as nn::Adam names them, over `names`: the parameter
  // names the optimiser was built with, net's then head's with prefix "head.").
  void upload_optimizer(Adam& adam);
  void download_optimizer(Adam& adam);
  // The AdaCos scale kept in backend memory.
  void set_adacos_scale(double s);
  double adacos_scale();

  // One training step on n rows: x (n * input_length floats, host), labels (n), the step's
  // dropout base seed (ForwardCtx::seed) and learning rate. Returns the loss and the top-k.
  StepResult train_step(const float* x, const std::int64_t* labels, std::int64_t n, std::uint64_t seed, double lr);
  // Eval-mode forward of n rows: embeddings (n, D) and/or cosines (n, C) into host memory
  // (nullptr: not wanted; without cosines the head is not run).
  void infer(const float* x, std::int64_t n, float* embedding, float* cosines);

  std::int64_t input_length() const { return L_; }
  std::int64_t num_classes() const { return C_; }
  std::int64_t embedding_dim() const { return D_; }
  std::int64_t adam_steps() const { return steps_; }
  // Bytes of backend memory: parameters and state; the plans made so far.
  std::size_t state_bytes() const { return state_bytes_; }
  std::size_t plan_bytes() const;
  // Bytes of backend memory a plan for n rows would take (activations and, for training, their
  // gradients), without allocating it.
  std::size_t plan_size(std::int64_t n, bool training);

  struct Plan;  // per batch size (defined in the .cpp)

 private:
  Plan& plan(std::int64_t n, bool training);
  std::unique_ptr<Plan> layout(std::int64_t n, bool training, bool allocate);
  void loss_forward(Plan& p);
  void loss_backward(Plan& p);

  Backend<T>& be_;
  Net1D& net_;
  CosineHead& head_;
  ExecutorOptions opt_;
  Loss loss_;
  OpList ops_;  // Net1D + head, appended by the modules
  ValueId x_id_ = -1, emb_id_ = -1, cos_id_ = -1;
  std::size_t backbone_ops_ = 0;  // ops_'s first ops, the network's: they end at emb_id_
  std::int64_t L_ = 0, C_ = 0, D_ = 0;
  std::int64_t steps_ = 0;  // Adam steps taken (bias correction)

  // Parameter slots: host Var -> offset in the flat buffers.
  struct Slot {
    Var* var;
    std::size_t offset, numel;
  };
  std::vector<Slot> params_;
  std::map<const void*, std::size_t> param_offset_;  // host data pointer -> offset
  struct BufSlot {
    Tensor* tensor;
    std::size_t offset, numel;
  };
  std::vector<BufSlot> buffers_;
  std::map<const void*, std::size_t> buffer_offset_;
  std::vector<Tensor*> batches_tracked_;
  std::size_t nparam_ = 0, nused_ = 0, nbuf_ = 0;  // nused_: parameters the forward uses come first

  void* state_ = nullptr;  // params | grads | m | v | buffers | scalars
  std::size_t state_bytes_ = 0;
  T *p_ = nullptr, *g_ = nullptr, *m_ = nullptr, *v_ = nullptr, *buf_ = nullptr;
  double* adacos_s_ = nullptr;
  void* scratch_ = nullptr;

  std::map<std::pair<std::int64_t, bool>, std::unique_ptr<Plan>> plans_;

 public:  // parameter, gradient and running-statistic memory (bind_op reads them)
  T* P(const Var& v) const;
  T* G(const Var& v) const;
  T* B(const Tensor& t) const;
};

}  // namespace xrdid::nn::exec
