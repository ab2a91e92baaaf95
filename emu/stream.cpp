// Streams, events, stream capture and device queries of the emulated device. Every stream
// executes its work in order at the call (a synchronous device: a copy or a kernel is complete
// when the call returns), so cross-stream ordering always holds and events only keep time. A
// stream being captured records its work into a graph instead (graph.cpp); while a thread captures,
// the calls CUDA forbids during capture (synchronous copies and fills, cudaMalloc, cudaFree,
// device and stream synchronisation) invalidate the capture and fail, as on a GPU.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "emu/internal.hpp"

struct CUstream_st {
  unsigned flags = 0;
  bool capturing = false;
  bool invalidated = false;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id thread;
  xrdid::emu::Graph* graph = nullptr;
};

struct CUevent_st {
  std::chrono::steady_clock::time_point t;
  bool recorded = false;
};

namespace xrdid::emu {

namespace {

std::mutex g_mutex;
CUstream_st g_legacy;
std::set<CUstream_st*>& streams() {
  static auto* s = new std::set<CUstream_st*>;
  return *s;
}

// nullptr (the legacy stream) or a live stream; nullptr for an unknown handle.
CUstream_st* resolve(cudaStream_t s) {
  if (!s) return &g_legacy;
  const std::lock_guard<std::mutex> l(g_mutex);
  return streams().count(s) ? s : nullptr;
}

}  // namespace

bool is_capturing(cudaStream_t s) {
  CUstream_st* st = resolve(s);
  return st && st->capturing;
}

cudaError_t check_not_capturing(const char* api) {
  const std::lock_guard<std::mutex> l(g_mutex);
  bool bad = false;
  for (CUstream_st* st : streams()) {
    if (!st->capturing || st->mode == cudaStreamCaptureModeRelaxed) continue;
    if (st->mode == cudaStreamCaptureModeThreadLocal && st->thread != std::this_thread::get_id()) continue;
    st->invalidated = true;
    bad = true;
  }
  return bad ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}

cudaError_t enqueue(cudaStream_t s, cudaGraphNodeType type, const char* name, std::function<void()> fn) {
  CUstream_st* st = resolve(s);
  if (!st) return cudaErrorInvalidResourceHandle;
  if (st->capturing) {
    if (st->invalidated) return cudaErrorStreamCaptureInvalidated;
    graph_add(st->graph, type, name, std::move(fn));
    return cudaSuccess;
  }
  fn();
  return cudaSuccess;
}

int sm_count() {
  static const int n = [] {
    const char* e = std::getenv("XRDID_EMU_SM_COUNT");
    const int v = e ? std::atoi(e) : 0;
    return v >= 1 ? v : 2;
  }();
  return n;
}

}  // namespace xrdid::emu

using namespace xrdid::emu;

// ---- device ----
cudaError_t cudaGetDeviceCount(int* n) {
  if (!n) return cudaErrorInvalidValue;
  *n = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* dev) {
  if (!dev) return cudaErrorInvalidValue;
  *dev = 0;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int dev) { return dev == 0 ? cudaSuccess : cudaErrorInvalidDevice; }

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int dev) {
  if (!value || dev != 0) return cudaErrorInvalidValue;
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      return cudaSuccess;
    case cudaDevAttrMaxBlockDimX:
      *value = 1024;
      return cudaSuccess;
    case cudaDevAttrMaxGridDimX:
      *value = 2147483647;
      return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlock:
      *value = 48 << 10;
      return cudaSuccess;
    case cudaDevAttrWarpSize:
      *value = 32;
      return cudaSuccess;
    case cudaDevAttrMultiProcessorCount:
      *value = sm_count();
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor:
      *value = 9;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor:
      *value = 0;
      return cudaSuccess;
  }
  return cudaErrorInvalidValue;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int dev) {
  if (!p || dev != 0) return cudaErrorInvalidValue;
  *p = cudaDeviceProp{};
  std::strncpy(p->name, "xrdid emulated CUDA device", sizeof p->name - 1);
  cudaMemGetInfo(nullptr, &p->totalGlobalMem);
  p->sharedMemPerBlock = 48 << 10;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 2147483647;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = sm_count();
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  if (const cudaError_t e = check_not_capturing("cudaDeviceSynchronize")) return e;
  return check_guards("cudaDeviceSynchronize") ? cudaSuccess : cudaErrorIllegalAddress;
}

// ---- streams ----
cudaError_t cudaStreamCreate(cudaStream_t* s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int flags) {
  if (!s) return cudaErrorInvalidValue;
  auto* st = new CUstream_st;
  st->flags = flags;
  const std::lock_guard<std::mutex> l(g_mutex);
  streams().insert(st);
  *s = st;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t s) {
  if (!s) return cudaErrorInvalidResourceHandle;
  {
    const std::lock_guard<std::mutex> l(g_mutex);
    if (!streams().erase(s)) return cudaErrorInvalidResourceHandle;
  }
  if (s->capturing) report("cudaStreamDestroy of a stream that is being captured");
  delete s;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  CUstream_st* st = resolve(s);
  if (!st) return cudaErrorInvalidResourceHandle;
  if (st->capturing) {
    st->invalidated = true;
    return cudaErrorStreamCaptureUnsupported;
  }
  if (!s) {
    if (const cudaError_t e = check_not_capturing("cudaStreamSynchronize(legacy stream)")) return e;
  }
  return check_guards("cudaStreamSynchronize") ? cudaSuccess : cudaErrorIllegalAddress;
}

cudaError_t cudaStreamQuery(cudaStream_t s) {
  CUstream_st* st = resolve(s);
  if (!st) return cudaErrorInvalidResourceHandle;
  return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int) {
  if (!resolve(s) || !e) return cudaErrorInvalidResourceHandle;
  return cudaSuccess;  // everything before the event has already run
}

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode) {
  if (!s) return cudaErrorStreamCaptureUnsupported;  // the legacy stream cannot be captured
  CUstream_st* st = resolve(s);
  if (!st) return cudaErrorInvalidResourceHandle;
  if (st->capturing) return cudaErrorIllegalState;
  st->capturing = true;
  st->invalidated = false;
  st->mode = mode;
  st->thread = std::this_thread::get_id();
  st->graph = graph_new();
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph) {
  CUstream_st* st = resolve(s);
  if (!st || !graph) return cudaErrorInvalidValue;
  if (!st->capturing) return cudaErrorIllegalState;
  if (st->mode != cudaStreamCaptureModeRelaxed && st->thread != std::this_thread::get_id())
    return cudaErrorStreamCaptureWrongThread;
  st->capturing = false;
  auto* g = reinterpret_cast<cudaGraph_t>(st->graph);
  st->graph = nullptr;
  if (st->invalidated) {
    st->invalidated = false;
    cudaGraphDestroy(g);
    *graph = nullptr;
    return cudaErrorStreamCaptureInvalidated;
  }
  *graph = g;
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus* status) {
  CUstream_st* st = resolve(s);
  if (!st || !status) return cudaErrorInvalidValue;
  *status = !st->capturing ? cudaStreamCaptureStatusNone
                           : (st->invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive);
  return cudaSuccess;
}

// ---- stream-ordered allocation: while capturing, the graph owns the memory ----
cudaError_t cudaMallocAsync(void** p, std::size_t bytes, cudaStream_t s) {
  CUstream_st* st = resolve(s);
  if (!st || !p) return cudaErrorInvalidValue;
  *p = device_alloc(bytes);
  if (!*p) return cudaErrorMemoryAllocation;
  if (st->capturing) {
    if (st->invalidated) return cudaErrorStreamCaptureInvalidated;
    graph_own(st->graph, *p);
    void* q = *p;
    // Each replay starts from never-written (NaN) contents.
    graph_add(st->graph, cudaGraphNodeTypeMemAlloc, "cudaMallocAsync", [q, bytes] { std::memset(q, 0xFF, bytes); });
  }
  return cudaSuccess;
}

cudaError_t cudaFreeAsync(void* p, cudaStream_t s) {
  CUstream_st* st = resolve(s);
  if (!st) return cudaErrorInvalidResourceHandle;
  if (!p) return cudaSuccess;
  if (st->capturing) {
    if (st->invalidated) return cudaErrorStreamCaptureInvalidated;
    if (!is_device_pointer(p)) {
      report("cudaFreeAsync(%p) during capture: not a live device allocation", p);
      return cudaErrorInvalidValue;
    }
    graph_own(st->graph, p);  // freed with the graph; the node frees nothing
    graph_add(st->graph, cudaGraphNodeTypeMemFree, "cudaFreeAsync", [] {});
    return cudaSuccess;
  }
  if (device_free(p, "cudaFreeAsync")) return cudaSuccess;
  report("cudaFreeAsync(%p): not a live device allocation (freed twice, or never allocated)", p);
  return cudaErrorInvalidValue;
}

// ---- events ----
cudaError_t cudaEventCreate(cudaEvent_t* e) { return cudaEventCreateWithFlags(e, cudaEventDefault); }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned int) {
  if (!e) return cudaErrorInvalidValue;
  *e = new CUevent_st;
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  if (!e) return cudaErrorInvalidResourceHandle;
  delete e;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  if (!e) return cudaErrorInvalidResourceHandle;
  return enqueue(s, cudaGraphNodeTypeEventRecord, "cudaEventRecord", [e] {
    e->t = std::chrono::steady_clock::now();
    e->recorded = true;
  });
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) { return e ? cudaSuccess : cudaErrorInvalidResourceHandle; }

cudaError_t cudaEventQuery(cudaEvent_t e) { return e ? cudaSuccess : cudaErrorInvalidResourceHandle; }

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!ms || !start || !end) return cudaErrorInvalidValue;
  if (!start->recorded || !end->recorded) return cudaErrorInvalidResourceHandle;
  *ms = std::chrono::duration<float, std::milli>(end->t - start->t).count();
  return cudaSuccess;
}
