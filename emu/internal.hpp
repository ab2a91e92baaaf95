// Internal interfaces between the parts of the emulated CUDA device (emu/*.cpp). Not included by
// kernels or tests.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <functional>
#include <memory>

namespace xrdid::emu {

// ---- report.cpp: errors a GPU would not forgive ----
// Prints "xrdid emulated device: <message>" to stderr and counts it (report_count()).
void report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void set_last_error(cudaError_t e);

// ---- memory.cpp: device memory = host memory between two guard zones ----
// Allocates `bytes` of device memory: 256-byte aligned, every byte 0xFF (reads of never-written
// memory give NaN), guard zones before and after. nullptr when the host is out of memory.
void* device_alloc(std::size_t bytes);
// Checks the allocation's guards and frees it; false when p is not a live allocation.
bool device_free(void* p, const char* api);
// Whether [p, p + bytes) lies inside one live device allocation.
bool is_device_range(const void* p, std::size_t bytes);
// Whether p lies inside (or at the end of) one live device allocation.
bool is_device_pointer(const void* p);
// Checks the guard zones of every live allocation; a damaged one is reported naming `after`
// (the kernel or call that ran last) and repaired. Returns false when one was damaged.
bool check_guards(const char* after);
bool is_pinned_host(const void* p);

// ---- stream.cpp: streams execute in order at the call; a capturing stream records instead ----
// Runs `fn` now, or appends it to the graph being captured on `s`.
cudaError_t enqueue(cudaStream_t s, cudaGraphNodeType type, const char* name, std::function<void()> fn);
bool is_capturing(cudaStream_t s);
// A call that is illegal while this thread captures (synchronous copies, cudaMalloc, device
// synchronisation): invalidates the capture and returns cudaErrorStreamCaptureUnsupported.
cudaError_t check_not_capturing(const char* api);

// ---- graph.cpp ----
struct Graph;
Graph* graph_new();
void graph_add(Graph* g, cudaGraphNodeType type, const char* name, std::function<void()> fn);
// Device memory allocated while capturing into g: owned by g (and its instantiations).
void graph_own(Graph* g, void* p);
Graph* graph_of(cudaGraph_t g);

// ---- block.cpp: one block's threads as fibers on the calling CPU thread ----
// Runs block `block` of the launch; false after a reported error (divergent barrier).
bool run_block(const LaunchConfig& cfg, uint3 block, void* args, void (*thunk)(void*));

}  // namespace xrdid::emu
