// Model files: one safetensors file holding the backbone (PyTorch state_dict names), the
// cosine head ("head.weight"), optionally the optimiser state ("optim.<state name>"), and in
// the metadata the format tag, the Net1D config (JSON) and any caller entries (class names...).
#pragma once
#include <map>
#include <string>

#include "nn/net1d.hpp"
#include "nn/optim.hpp"

namespace xrdid::nn {

inline constexpr const char* kModelFormat = "xrdid-model/1";

// Writes atomically. head and optim may be null.
void save_model(const std::string& path, Net1D& net, CosineHead* head, Optimizer* optim,
                std::map<std::string, std::string> metadata = {});

// Reads the config stored in a model file (to construct the Net1D before load_model).
Net1DConfig read_model_config(const std::string& path);
std::map<std::string, std::string> read_model_metadata(const std::string& path);

// Loads into already-constructed objects; shapes and names must match (clear errors otherwise).
// optim may be null (its state in the file is then ignored); if given, the file must hold it.
void load_model(const std::string& path, Net1D& net, CosineHead* head, Optimizer* optim);

}  // namespace xrdid::nn
