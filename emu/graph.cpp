// CUDA graphs on the emulated device: a captured stream's work is recorded as a list of nodes
// (kernel launches with copies of their arguments, copies, fills, stream-ordered allocations
// and frees, event records); an instantiated graph replays the nodes in capture order. Memory
// allocated during capture belongs to the graph and its instantiations and is freed with the
// last of them.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "emu/internal.hpp"

namespace xrdid::emu {

struct Node {
  cudaGraphNodeType type;
  std::string name;
  std::function<void()> fn;
};

struct GraphMemory {
  std::vector<void*> ptrs;
  ~GraphMemory() {
    for (void* p : ptrs) device_free(p, "graph destruction");  // already freed elsewhere: nothing to do
  }
};

struct Graph {
  std::vector<std::shared_ptr<Node>> nodes;
  std::shared_ptr<GraphMemory> memory = std::make_shared<GraphMemory>();
};

struct GraphExec {
  std::vector<std::shared_ptr<Node>> nodes;
  std::shared_ptr<GraphMemory> memory;
};

Graph* graph_new() { return new Graph; }

void graph_add(Graph* g, cudaGraphNodeType type, const char* name, std::function<void()> fn) {
  g->nodes.push_back(std::make_shared<Node>(Node{type, name, std::move(fn)}));
}

void graph_own(Graph* g, void* p) {
  for (void* q : g->memory->ptrs)
    if (q == p) return;
  g->memory->ptrs.push_back(p);
}

Graph* graph_of(cudaGraph_t g) { return reinterpret_cast<Graph*>(g); }

}  // namespace xrdid::emu

using namespace xrdid::emu;

namespace {
GraphExec* exec_of(cudaGraphExec_t e) { return reinterpret_cast<GraphExec*>(e); }
}  // namespace

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!exec || !graph) return cudaErrorInvalidValue;
  auto* e = new GraphExec{graph_of(graph)->nodes, graph_of(graph)->memory};
  *exec = reinterpret_cast<cudaGraphExec_t>(e);
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  if (!exec) return cudaErrorInvalidValue;
  if (is_capturing(s)) {
    report("cudaGraphLaunch into a stream that is being captured is not emulated");
    return cudaErrorStreamCaptureUnsupported;
  }
  // The stream executes in order at the call: the nodes run now, in capture order.
  // A failing node leaves its error for cudaGetLastError (and its report), as an asynchronous
  // fault would be seen later on a GPU.
  for (const auto& n : exec_of(exec)->nodes) n->fn();
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec_of(exec);
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph_of(graph);
  return cudaSuccess;
}

cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, std::size_t* count) {
  if (!graph || !count) return cudaErrorInvalidValue;
  const auto& v = graph_of(graph)->nodes;
  if (!nodes) {
    *count = v.size();
    return cudaSuccess;
  }
  const std::size_t n = std::min(*count, v.size());
  for (std::size_t i = 0; i < n; ++i) nodes[i] = reinterpret_cast<cudaGraphNode_t>(v[i].get());
  *count = n;
  return cudaSuccess;
}

cudaError_t cudaGraphNodeGetType(cudaGraphNode_t node, cudaGraphNodeType* type) {
  if (!node || !type) return cudaErrorInvalidValue;
  *type = reinterpret_cast<Node*>(node)->type;
  return cudaSuccess;
}
