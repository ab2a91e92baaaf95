// Kernel launches on the emulated device: the configuration checks a GPU makes at launch, then
// the grid's blocks shared out over a pool of CPU threads (XRDID_EMU_THREADS, default: the
// hardware threads, at most 8), each block run by block.cpp. After every kernel the guard zones of
// all device allocations are checked, so that an out-of-bounds write is reported naming the
// kernel that made it.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "emu/internal.hpp"

namespace xrdid::emu {

namespace {

int pool_threads() {
  if (const char* e = std::getenv("XRDID_EMU_THREADS")) {
    const int v = std::atoi(e);
    if (v >= 1) return std::min(v, 64);
  }
  const unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : static_cast<int>(std::min(h, 8u));
}

// The blocks of one grid, handed out one at a time to the calling thread and the workers.
struct Grid {
  const LaunchConfig* cfg;
  void* args;
  void (*thunk)(void*);
  long blocks;
  std::atomic<long> next{0};
  std::atomic<bool> ok{true};

  void work() {
    const long gx = cfg->grid.x, gy = cfg->grid.y;
    for (long i; (i = next.fetch_add(1)) < blocks;) {
      const uint3 idx{static_cast<unsigned>(i % gx), static_cast<unsigned>((i / gx) % gy),
                      static_cast<unsigned>(i / (gx * gy))};
      if (!run_block(*cfg, idx, args, thunk)) ok = false;
    }
  }
};

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      const std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int workers() const { return static_cast<int>(threads_.size()); }

  // Runs g's blocks on the workers and the calling thread; returns when all are done.
  void run(Grid& g) {
    {
      const std::lock_guard<std::mutex> l(m_);
      grid_ = &g;
      busy_ = workers();
      ++epoch_;
    }
    cv_.notify_all();
    g.work();
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [this] { return busy_ == 0; });
    grid_ = nullptr;
  }

 private:
  void loop() {
    unsigned long seen = 0;
    for (;;) {
      Grid* g = nullptr;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return stop_ || epoch_ != seen; });
        if (stop_) return;
        seen = epoch_;
        g = grid_;
      }
      g->work();
      const std::lock_guard<std::mutex> l(m_);
      if (--busy_ == 0) done_.notify_all();
    }
  }
  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable cv_, done_;
  Grid* grid_ = nullptr;
  int busy_ = 0;
  unsigned long epoch_ = 0;
  bool stop_ = false;
};

std::mutex g_launch_mutex;  // one grid at a time (the pool is shared)

Pool& pool() {
  static Pool* p = new Pool(pool_threads() - 1);  // never destroyed: launches may come from static destructors
  return *p;
}

// Runs every block of the launch; then checks every allocation's guard zones.
void execute(const LaunchConfig& cfg, void* args, void (*thunk)(void*)) {
  Grid g;
  g.cfg = &cfg;
  g.args = args;
  g.thunk = thunk;
  g.blocks = static_cast<long>(cfg.grid.x) * cfg.grid.y * cfg.grid.z;
  {
    const std::lock_guard<std::mutex> l(g_launch_mutex);
    if (g.blocks == 1 || pool().workers() == 0)
      g.work();
    else
      pool().run(g);
  }
  if (!g.ok) set_last_error(cudaErrorLaunchFailure);
  if (!check_guards(cfg.name)) set_last_error(cudaErrorIllegalAddress);
}

constexpr std::size_t kMaxSharedBytes = 48 << 10;  // without a cudaFuncSetAttribute opt-in

}  // namespace

void launch_kernel(const LaunchConfig& cfg, std::shared_ptr<void> args, void (*thunk)(void*)) {
  const dim3 g = cfg.grid, b = cfg.block;
  const unsigned long threads = static_cast<unsigned long>(b.x) * b.y * b.z;
  const char* why = nullptr;
  if (threads == 0 || g.x == 0 || g.y == 0 || g.z == 0)
    why = "a zero grid or block dimension";
  else if (threads > 1024 || b.x > 1024 || b.y > 1024 || b.z > 64)
    why = "more than 1024 threads per block";
  else if (g.x > 2147483647u || g.y > 65535 || g.z > 65535)
    why = "a grid dimension beyond the limits (2^31-1, 65535, 65535)";
  else if (cfg.smem > kMaxSharedBytes)
    why = "more than 48 KiB of dynamic shared memory";
  if (why) {
    report("launch of %s with grid (%u,%u,%u), block (%u,%u,%u), %zu bytes of shared memory: %s", cfg.name, g.x, g.y,
           g.z, b.x, b.y, b.z, cfg.smem, why);
    set_last_error(cudaErrorInvalidConfiguration);
    return;
  }
  const cudaError_t e =
      enqueue(cfg.stream, cudaGraphNodeTypeKernel, cfg.name, [cfg, args, thunk] { execute(cfg, args.get(), thunk); });
  set_last_error(e);
}

}  // namespace xrdid::emu
