// Context switching of the emulated device's fibers: a few instructions of assembly on x86-64
// (callee-saved registers, MXCSR and the x87 control word), ucontext elsewhere.
#include "emu/fiber.hpp"

#include <cstdint>
#include <cstring>

#if !defined(__x86_64__)
#include <ucontext.h>

#include <memory>
#endif

namespace xrdid::emu::fiber {

#if defined(__x86_64__)

extern "C" void xrdid_emu_switch(void** save_sp, void* to_sp);
asm(R"(
  .text
  .globl xrdid_emu_switch
  .type xrdid_emu_switch,@function
xrdid_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size xrdid_emu_switch,.-xrdid_emu_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");

void make(Context& c, void* base, std::size_t bytes, void (*entry)()) {
  auto top = (reinterpret_cast<std::uintptr_t>(base) + bytes) & ~std::uintptr_t{15};
  auto* s = reinterpret_cast<std::uint64_t*>(top);
  // From the top: a null return address for entry (never used), entry as the address that the
  // switch's `ret` jumps to, six zeroed callee-saved registers, the FP control words. entry then
  // starts with rsp = top - 8, as after a call.
  s[-1] = 0;
  s[-2] = reinterpret_cast<std::uint64_t>(entry);
  for (int i = 3; i <= 8; ++i) s[-i] = 0;
  std::uint32_t mxcsr = 0;
  std::uint16_t fcw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fcw));
  std::uint64_t words = mxcsr | (std::uint64_t{fcw} << 32);
  s[-9] = words;
  c.sp = s - 9;
}

void swap(Context& from, Context& to) { xrdid_emu_switch(&from.sp, to.sp); }

#else

void make(Context& c, void* base, std::size_t bytes, void (*entry)()) {
  if (!c.impl) c.impl = new ucontext_t;
  auto* uc = static_cast<ucontext_t*>(c.impl);
  getcontext(uc);
  uc->uc_stack.ss_sp = base;
  uc->uc_stack.ss_size = bytes;
  uc->uc_link = nullptr;
  makecontext(uc, entry, 0);
}

void swap(Context& from, Context& to) {
  if (!from.impl) from.impl = new ucontext_t;
  swapcontext(static_cast<ucontext_t*>(from.impl), static_cast<ucontext_t*>(to.impl));
}

#endif

}  // namespace xrdid::emu::fiber
