// OpProfile: times the ops of eager runs with CUDA events for the CUDA backend's `profile` option
// (kernels/cuda_backend.hpp). mark(label) records an event on the stream; finish() waits for the
// run and adds the time between each mark and the next to that mark's label (from the second run
// on: the first loads modules and sets up cuBLAS). report() prints one
// row per label (time per run, share of the run), the longest first, then the sums per direction
// and kind (the label's first two words). Host-only header.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace xrdid::cuda {

class OpProfile {
 public:
  OpProfile() = default;
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  void mark(const std::string& label, cudaStream_t stream);
  void finish(cudaStream_t stream);
  std::string report() const;

 private:
  struct Row {
    double ms = 0;
    long count = 0;
  };
  std::vector<std::pair<std::string, cudaEvent_t>> pending_;
  std::vector<cudaEvent_t> pool_;
  std::map<std::string, Row> rows_;
  long runs_ = 0;
  bool warmed_ = false;
};

}  // namespace xrdid::cuda
