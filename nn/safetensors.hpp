// safetensors files (https://github.com/huggingface/safetensors format): 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}},
// then the raw little-endian data. Readable from Python with safetensors or numpy.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace xrdid::nn {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
  const Tensor& get(const std::string& name, const std::string& path) const;
};

// Writes atomically: a temporary file in the same directory, then rename. CPU tensors only
// (device tensors are copied to the host first).
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Validates everything (header length, JSON, dtypes, shapes vs byte ranges, ranges inside the
// file, no overlaps) and throws std::runtime_error naming the file and the problem.
// Every size (header length, shapes, byte ranges) is checked against the file before memory is
// taken for it; ranges are checked for overlaps before any tensor is read.
SafetensorsFile load_safetensors(const std::string& path);
// Same, from an open stream (read from its start); `name` stands in for the path in messages.
SafetensorsFile load_safetensors(std::istream& in, const std::string& name);

// The longest JSON header read (100 MB).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// Copies named tensors from `file` into `dst` (same names, shapes; converts F32<->F64).
// Missing or mismatched names throw with a message listing them.
void assign_tensors(const SafetensorsFile& file, const std::string& path,
                    const std::vector<std::pair<std::string, Tensor*>>& dst);

}  // namespace xrdid::nn
