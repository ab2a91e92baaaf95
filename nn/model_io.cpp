// Model save/load over safetensors.
#include "nn/model_io.hpp"

#include <nlohmann/json.hpp>

#include "nn/safetensors.hpp"

namespace xrdid::nn {

namespace {
std::vector<std::pair<std::string, Tensor*>> model_tensors(Net1D& net, CosineHead* head, Optimizer* optim) {
  std::vector<std::pair<std::string, Tensor*>> t;
  for (auto& [n, v] : net.named_parameters()) t.emplace_back(n, &v->value_mut());
  for (auto& [n, b] : net.named_buffers()) t.emplace_back(n, b);
  if (head)
    for (auto& [n, v] : head->named_parameters("head.")) t.emplace_back(n, &v->value_mut());
  if (optim)
    for (auto& [n, s] : optim->named_state()) t.emplace_back("optim." + n, s);
  return t;
}
}  // namespace

void save_model(const std::string& path, Net1D& net, CosineHead* head, Optimizer* optim,
                std::map<std::string, std::string> metadata) {
  metadata["format"] = kModelFormat;
  metadata["config"] = nlohmann::json(net.config()).dump();
  if (head) metadata["classes"] = std::to_string(head->weight.dim(0));
  std::vector<std::pair<std::string, const Tensor*>> out;
  for (auto& [n, t] : model_tensors(net, head, optim)) out.emplace_back(n, t);
  save_safetensors(path, out, metadata);
}

ModelFile read_model_file(const std::string& path) {
  ModelFile m{path, load_safetensors(path)};
  auto it = m.file.metadata.find("format");
  if (it == m.file.metadata.end() || it->second != kModelFormat)
    throw std::runtime_error("xrdid: " + path + ": not an xrdid model file (metadata format is '" +
                             (it == m.file.metadata.end() ? std::string("missing") : it->second) + "', expected " +
                             kModelFormat + ")");
  return m;
}

Net1DConfig model_config(const ModelFile& m) {
  auto it = m.file.metadata.find("config");
  if (it == m.file.metadata.end()) throw std::runtime_error("xrdid: " + m.path + ": model file has no config");
  try {
    return parse_net1d_config(it->second, "in " + m.path);
  } catch (const std::exception& e) {
    throw std::runtime_error("xrdid: " + m.path + ": bad config in model file: " + e.what());
  }
}

void load_model(const ModelFile& m, Net1D& net, CosineHead* head, Optimizer* optim) {
  assign_tensors(m.file, m.path, model_tensors(net, head, optim));
}

std::map<std::string, std::string> read_model_metadata(const std::string& path) {
  return read_model_file(path).file.metadata;
}

Net1DConfig read_model_config(const std::string& path) { return model_config(read_model_file(path)); }

void load_model(const std::string& path, Net1D& net, CosineHead* head, Optimizer* optim) {
  load_model(read_model_file(path), net, head, optim);
}

}  // namespace xrdid::nn
