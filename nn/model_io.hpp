// Model files: one safetensors file holding the backbone (PyTorch state_dict names), the
// cosine head ("head.weight"), optionally the optimiser state ("optim.<state name>"), and in
// the metadata the format tag, the Net1D config (JSON) and any caller entries (class names...).
#pragma once
#include <map>
#include <string>

#include "nn/net1d.hpp"
#include "nn/optim.hpp"
#include "nn/safetensors.hpp"

namespace xrdid::nn {

inline constexpr const char* kModelFormat = "xrdid-model/1";

// Writes atomically. head and optim may be null.
void save_model(const std::string& path, Net1D& net, CosineHead* head, Optimizer* optim,
                std::map<std::string, std::string> metadata = {});

// A model file read once (format tag checked): callers that need its config, metadata and
// tensors take them all from this one read, so a file replaced meanwhile (renamed over) is seen
// whole, old or new, never mixed.
struct ModelFile {
  std::string path;
  SafetensorsFile file;
};
ModelFile read_model_file(const std::string& path);
// The Net1D config stored in the metadata (to construct the Net1D before load_model).
Net1DConfig model_config(const ModelFile& m);
// Loads into already-constructed objects; shapes and names must match (clear errors otherwise).
// optim may be null (its state in the file is then ignored); if given, the file must hold it.
void load_model(const ModelFile& m, Net1D& net, CosineHead* head, Optimizer* optim);

// The same, each reading the file anew.
Net1DConfig read_model_config(const std::string& path);
std::map<std::string, std::string> read_model_metadata(const std::string& path);
void load_model(const std::string& path, Net1D& net, CosineHead* head, Optimizer* optim);

}  // namespace xrdid::nn
