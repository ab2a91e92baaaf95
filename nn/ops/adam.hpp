// Adam / AdamW update of one flat tensor (torch.optim semantics; nn/optim.cpp's Adam and the
// planned executor both call it; kernels/adam.cu is its CUDA twin).
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// The per-step scalars of an update, as the planned executor keeps them in backend memory.
struct AdamHyper {
  double lr = 0, bc1 = 1, bc2 = 1;  // bc = 1 - beta^t
};

// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t. decoupled: p *= 1 - lr*wd (AdamW); else g += wd*p (Adam).
// g == nullptr: nothing changes.
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, double bc1, double bc2);

}  // namespace xrdid::nn::ops
