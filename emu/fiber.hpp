// Cooperative fibers for the emulated device: a context switch that saves the callee-saved
// registers (and the FP control words) of the running context and resumes another one. One
// fiber per device thread of a block; all of a block's fibers run on one CPU thread.
#pragma once
#include <cstddef>

namespace xrdid::emu::fiber {

// A suspended context. Zero-initialised for the context that first calls swap (the scheduler).
struct Context {
  void* sp = nullptr;    // saved stack pointer (x86-64)
  void* impl = nullptr;  // ucontext_t (other architectures)
};

// Prepares `c` to run entry() on the stack [base, base + bytes) at its next swap. entry must
// never return (it swaps away at its end).
void make(Context& c, void* base, std::size_t bytes, void (*entry)());
// Saves the running context into `from` and resumes `to`.
void swap(Context& from, Context& to);

}  // namespace xrdid::emu::fiber
