// Device memory of the emulated device: host memory, 256-byte aligned, with a guard zone of
// kGuard bytes on each side. New memory and guards are filled with 0xFF bytes, so a read of
// never-written memory or of a guard reads NaN (float and double); a write into a guard is
// reported (after the kernel that made it, at cudaFree and at synchronisation). Copies and
// fills are checked against the live allocations.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "emu/internal.hpp"

namespace xrdid::emu {

namespace {

constexpr std::size_t kGuard = 1024;
constexpr unsigned char kPoison = 0xFF;

struct Alloc {
  std::size_t bytes;
  char* raw;
};

std::mutex g_mutex;
std::map<std::uintptr_t, Alloc>& allocs() {
  static auto* m = new std::map<std::uintptr_t, Alloc>;  // never destroyed (frees at exit)
  return *m;
}
std::set<const void*>& pinned() {
  static auto* s = new std::set<const void*>;
  return *s;
}

bool guard_intact(const unsigned char* p) {
  for (std::size_t i = 0; i < kGuard; ++i)
    if (p[i] != kPoison) return false;
  return true;
}

// Reports and repairs a damaged guard of the allocation at `user`; false when one was damaged.
bool check_one(std::uintptr_t user, const Alloc& a, const char* after) {
  auto* head = reinterpret_cast<unsigned char*>(user - kGuard);
  auto* tail = reinterpret_cast<unsigned char*>(user + a.bytes);
  bool ok = true;
  for (auto [zone, what] : {std::pair{head, "before"}, std::pair{tail, "after"}}) {
    if (guard_intact(zone)) continue;
    std::size_t first = 0, last = 0;
    for (std::size_t i = 0; i < kGuard; ++i)
      if (zone[i] != kPoison) {
        if (!last) first = i;
        last = i + 1;
      }
    const bool before = zone == head;
    report("out-of-bounds write %s the allocation of %zu bytes at %p (bytes %s%zu to %s%zu), seen after %s", what,
           a.bytes, reinterpret_cast<void*>(user), before ? "-" : "+", before ? kGuard - first : first,
           before ? "-" : "+", before ? kGuard - last + 1 : last - 1, after);
    std::memset(zone, kPoison, kGuard);
    ok = false;
  }
  return ok;
}

const Alloc* find(const void* p, std::uintptr_t* base) {
  auto& m = allocs();
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  auto it = m.upper_bound(a);
  if (it == m.begin()) return nullptr;
  --it;
  if (a > it->first + it->second.bytes) return nullptr;
  *base = it->first;
  return &it->second;
}

}  // namespace

void* device_alloc(std::size_t bytes) {
  const std::size_t body = (bytes + 255) / 256 * 256;
  char* raw = static_cast<char*>(std::aligned_alloc(256, kGuard + body + kGuard));
  if (!raw) return nullptr;
  std::memset(raw, kPoison, kGuard + body + kGuard);
  const std::lock_guard<std::mutex> l(g_mutex);
  allocs()[reinterpret_cast<std::uintptr_t>(raw + kGuard)] = Alloc{bytes, raw};
  return raw + kGuard;
}

bool device_free(void* p, const char* api) {
  Alloc a{};
  {
    const std::lock_guard<std::mutex> l(g_mutex);
    auto it = allocs().find(reinterpret_cast<std::uintptr_t>(p));
    if (it == allocs().end()) return false;
    a = it->second;
    check_one(it->first, a, api);
    allocs().erase(it);
  }
  std::free(a.raw);
  return true;
}

bool is_device_range(const void* p, std::size_t bytes) {
  const std::lock_guard<std::mutex> l(g_mutex);
  std::uintptr_t base = 0;
  const Alloc* a = find(p, &base);
  return a && reinterpret_cast<std::uintptr_t>(p) + bytes <= base + a->bytes;
}

bool is_device_pointer(const void* p) {
  const std::lock_guard<std::mutex> l(g_mutex);
  std::uintptr_t base = 0;
  return find(p, &base) != nullptr;
}

bool is_pinned_host(const void* p) {
  const std::lock_guard<std::mutex> l(g_mutex);
  return pinned().count(p) != 0;
}

bool check_guards(const char* after) {
  const std::lock_guard<std::mutex> l(g_mutex);
  bool ok = true;
  for (const auto& [user, a] : allocs()) ok = check_one(user, a, after) && ok;
  return ok;
}

}  // namespace xrdid::emu

using namespace xrdid::emu;

namespace {

// Checks one side of a copy or fill: device memory must lie inside one live allocation.
bool device_side_ok(const void* p, std::size_t bytes, const char* api, const char* side) {
  if (bytes == 0 || is_device_range(p, bytes)) return true;
  report("%s: the %s range [%p, +%zu bytes) is not inside one live device allocation", api, side, p, bytes);
  return false;
}

cudaMemcpyKind resolve(cudaMemcpyKind kind, const void* dst, const void* src) {
  if (kind != cudaMemcpyDefault) return kind;
  const bool d = is_device_pointer(dst), s = is_device_pointer(src);
  return d ? (s ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
           : (s ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
}

cudaError_t copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, const char* api) {
  kind = resolve(kind, dst, src);
  bool ok = true;
  if (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice)
    ok = device_side_ok(dst, bytes, api, "destination");
  if (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice)
    ok = device_side_ok(src, bytes, api, "source") && ok;
  if (!ok) return cudaErrorInvalidValue;
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t fill(void* p, int value, std::size_t bytes, const char* api) {
  if (!device_side_ok(p, bytes, api, "destination")) return cudaErrorInvalidValue;
  if (bytes) std::memset(p, value, bytes);
  return cudaSuccess;
}

}  // namespace

cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  if (!p) return cudaErrorInvalidValue;
  if (const cudaError_t e = check_not_capturing("cudaMalloc")) return e;
  *p = device_alloc(bytes);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  if (const cudaError_t e = check_not_capturing("cudaFree")) return e;
  if (device_free(p, "cudaFree")) return cudaSuccess;
  report("cudaFree(%p): not a live device allocation (freed twice, or never allocated)", p);
  return cudaErrorInvalidValue;
}

cudaError_t cudaMallocHost(void** p, std::size_t bytes) {
  if (!p) return cudaErrorInvalidValue;
  *p = std::malloc(bytes ? bytes : 1);
  if (!*p) return cudaErrorMemoryAllocation;
  const std::lock_guard<std::mutex> l(g_mutex);
  pinned().insert(*p);
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* p) {
  if (!p) return cudaSuccess;
  {
    const std::lock_guard<std::mutex> l(g_mutex);
    if (!pinned().erase(p)) {
      report("cudaFreeHost(%p): not a live pinned host allocation", p);
      return cudaErrorInvalidValue;
    }
  }
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  if (const cudaError_t e = check_not_capturing("cudaMemcpy")) return e;
  return copy(dst, src, bytes, kind, "cudaMemcpy");
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
  cudaError_t result = cudaSuccess;
  const bool now = !is_capturing(s);
  const cudaError_t e = enqueue(s, cudaGraphNodeTypeMemcpy, "cudaMemcpyAsync", [=, &result] {
    const cudaError_t r = copy(dst, src, bytes, kind, "cudaMemcpyAsync");
    if (now)
      result = r;
    else
      set_last_error(r);
  });
  return e != cudaSuccess ? e : result;
}

cudaError_t cudaMemset(void* p, int value, std::size_t bytes) {
  if (const cudaError_t e = check_not_capturing("cudaMemset")) return e;
  return fill(p, value, bytes, "cudaMemset");
}

cudaError_t cudaMemsetAsync(void* p, int value, std::size_t bytes, cudaStream_t s) {
  cudaError_t result = cudaSuccess;
  const bool now = !is_capturing(s);
  const cudaError_t e = enqueue(s, cudaGraphNodeTypeMemset, "cudaMemsetAsync", [=, &result] {
    const cudaError_t r = fill(p, value, bytes, "cudaMemsetAsync");
    if (now)
      result = r;
    else
      set_last_error(r);
  });
  return e != cudaSuccess ? e : result;
}

cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  constexpr std::size_t kTotal = std::size_t{16} << 30;
  std::size_t used = 0;
  {
    const std::lock_guard<std::mutex> l(g_mutex);
    for (const auto& [u, a] : allocs()) used += a.bytes;
  }
  if (free_bytes) *free_bytes = used < kTotal ? kTotal - used : 0;
  if (total_bytes) *total_bytes = kTotal;
  return cudaSuccess;
}
