// One block of a kernel on the emulated device: its threads are fibers on the calling CPU thread,
// run warp by warp. A fiber runs until it finishes or reaches a switch point:
//   - __syncthreads (and _count/_or/_and): the block barrier, released once every thread that
//     has not exited waits at it (exited threads count as arrived, as on sm_70 and later);
//   - a warp shuffle / __syncwarp: the warp's exchange, released once all 32 lanes wait at one.
// Lanes of one warp waiting at different kinds of switch point can never all be released: that
// is reported as a divergent barrier and the block is abandoned. Warp operations need all 32
// lanes of the warp (mask 0xffffffff, blockDim a multiple of 32); anything else is reported.
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "emu/fiber.hpp"
#include "emu/internal.hpp"

namespace xrdid::emu {

namespace {

constexpr int kMaxThreads = 1024;
constexpr std::size_t kStack = std::size_t{64} << 10;  // per fiber, plus a guard page below it
constexpr std::size_t kPage = 4096;
constexpr std::size_t kSmemGuard = 256;

enum class St : unsigned char { Ready, Barrier, Warp, Done };

struct BlockState {
  char* stacks = nullptr;
  fiber::Context sched;
  fiber::Context ctx[kMaxThreads];
  St st[kMaxThreads];
  uint3 tid[kMaxThreads];
  int parity[kMaxThreads];  // the barrier / exchange generation a waiting fiber reads back
  int cur = 0, nthreads = 0;
  const LaunchConfig* cfg = nullptr;
  void* args = nullptr;
  void (*thunk)(void*) = nullptr;
  unsigned gen = 0;
  int count[2] = {0, 0};
  unsigned wgen[kMaxThreads / 32];
  std::uint64_t slot[kMaxThreads / 32][2][32];
  unsigned mask[kMaxThreads / 32][2][32];
  std::vector<unsigned char> dyn;  // dynamic shared memory + guard
  bool warned_partial = false;

  BlockState() {
    const std::size_t per = kStack + kPage;
    void* p =
        mmap(nullptr, per * kMaxThreads, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      report("cannot map the fiber stacks");
      return;
    }
    stacks = static_cast<char*>(p);
    for (int i = 0; i < kMaxThreads; ++i) mprotect(stacks + i * per, kPage, PROT_NONE);
  }
  ~BlockState() {
    if (stacks) munmap(stacks, (kStack + kPage) * kMaxThreads);
  }
  char* stack_of(int i) const { return stacks + i * (kStack + kPage) + kPage; }
};

thread_local BlockState* t_block = nullptr;

BlockState& state() {
  thread_local BlockState s;
  return s;
}

// The running fiber stops (state s) and the next ready lane of its warp runs, switched to
// directly; the scheduler runs again once no lane after it in the warp is ready.
void yield(BlockState& b, St s) {
  const int me = b.cur;
  b.st[me] = s;
  const int end = std::min(b.nthreads, (me / 32 + 1) * 32);
  for (int j = me + 1; j < end; ++j)
    if (b.st[j] == St::Ready) {
      b.cur = j;
      threadIdx = b.tid[j];
      fiber::swap(b.ctx[me], b.ctx[j]);
      return;
    }
  fiber::swap(b.ctx[me], b.sched);
}

[[noreturn]] void fiber_entry() {
  BlockState& b = *t_block;
  b.thunk(b.args);
  yield(b, St::Done);
  __builtin_unreachable();
}

void resume(BlockState& b, int i) {
  b.cur = i;
  threadIdx = b.tid[i];
  fiber::swap(b.sched, b.ctx[i]);
}

}  // namespace

void syncthreads() { syncthreads_count(0); }

int syncthreads_count(int pred) {
  BlockState& b = *t_block;
  const int par = static_cast<int>(b.gen & 1u);
  b.count[par] += pred != 0;
  yield(b, St::Barrier);
  return b.count[par];
}

int lane_id() { return t_block->cur % 32; }

std::uint64_t warp_exchange(unsigned mask, std::uint64_t v, int src_lane, int width) {
  BlockState& b = *t_block;
  const int w = b.cur / 32, lane = b.cur % 32;
  const int par = static_cast<int>(b.wgen[w] & 1u);
  b.slot[w][par][lane] = v;
  b.mask[w][par][lane] = mask;
  yield(b, St::Warp);
  return b.slot[w][par][std::clamp(src_lane, 0, 31)];
}

void* dynamic_shared() { return t_block->dyn.data() + kSmemGuard; }

bool run_block(const LaunchConfig& cfg, uint3 block, void* args, void (*thunk)(void*)) {
  BlockState& b = state();
  if (!b.stacks) return false;
  BlockState* const outer = t_block;
  t_block = &b;
  b.cfg = &cfg;
  b.args = args;
  b.thunk = thunk;
  blockIdx = block;
  blockDim = cfg.block;
  gridDim = cfg.grid;
  const int n = static_cast<int>(cfg.block.x * cfg.block.y * cfg.block.z);
  b.nthreads = n;
  const unsigned bx = cfg.block.x, by = cfg.block.y;
  for (int i = 0; i < n; ++i) {
    const unsigned u = static_cast<unsigned>(i);
    b.tid[i] = uint3{u % bx, (u / bx) % by, u / (bx * by)};
    fiber::make(b.ctx[i], b.stack_of(i), kStack, fiber_entry);
    b.st[i] = St::Ready;
  }
  b.gen = 0;
  b.count[0] = b.count[1] = 0;
  std::fill(std::begin(b.wgen), std::end(b.wgen), 0u);
  if (cfg.smem) {
    // Never-written shared memory reads as NaN; the guard after it catches overruns.
    b.dyn.assign(kSmemGuard + cfg.smem + kSmemGuard, 0xFF);
  }
  bool ok = true;
  const int nwarps = (n + 31) / 32;
  for (;;) {
    for (int w = 0; w < nwarps && ok; ++w) {
      const int lo = w * 32, hi = std::min(n, lo + 32);
      for (;;) {
        int at_warp = 0, at_bar = 0;
        for (int i = lo; i < hi; ++i) {
          if (b.st[i] == St::Ready) resume(b, i);
          at_warp += b.st[i] == St::Warp;
          at_bar += b.st[i] == St::Barrier;
        }
        if (at_warp == 0) break;
        if (at_bar > 0) {
          report(
              "kernel %s, block (%u,%u,%u): divergent barrier: in warp %d, %d lanes wait at a warp shuffle "
              "while %d wait at __syncthreads",
              cfg.name, block.x, block.y, block.z, w, at_warp, at_bar);
          ok = false;
          break;
        }
        const int par = static_cast<int>(b.wgen[w] & 1u);
        bool full = hi - lo == 32 && at_warp == 32;
        for (int i = lo; i < hi && full; ++i) full = b.mask[w][par][i - lo] == 0xffffffffu;
        if (!full && !b.warned_partial) {
          report(
              "kernel %s, block (%u,%u,%u): a warp operation without all 32 lanes of warp %d (%d of %d lanes "
              "waiting, or a partial mask)",
              cfg.name, block.x, block.y, block.z, w, at_warp, hi - lo);
          b.warned_partial = true;
        }
        ++b.wgen[w];
        for (int i = lo; i < hi; ++i)
          if (b.st[i] == St::Warp) b.st[i] = St::Ready;
      }
    }
    if (!ok) break;
    int live = 0;
    for (int i = 0; i < n; ++i) live += b.st[i] != St::Done;
    if (live == 0) break;
    ++b.gen;
    b.count[b.gen & 1u] = 0;
    for (int i = 0; i < n; ++i)
      if (b.st[i] == St::Barrier) b.st[i] = St::Ready;
  }
  if (cfg.smem) {
    const unsigned char* d = b.dyn.data();
    bool damaged = false;
    for (std::size_t i = 0; i < kSmemGuard && !damaged; ++i)
      damaged = d[i] != 0xFF || d[kSmemGuard + cfg.smem + i] != 0xFF;
    if (damaged) {
      report("kernel %s, block (%u,%u,%u): write outside its %zu bytes of dynamic shared memory", cfg.name, block.x,
             block.y, block.z, cfg.smem);
      ok = false;
    }
  }
  b.warned_partial = false;
  t_block = outer;
  return ok;
}

}  // namespace xrdid::emu
