// safetensors model files: header length, JSON header, tensor table, data; then the Net1D
// config a model file carries in its metadata.
#include <sstream>

#include "fuzz/fuzz_target.hpp"
#include "nn/net1d.hpp"
#include "nn/safetensors.hpp"

XRDID_FUZZ_TARGET({
  std::istringstream in(input, std::ios::binary);
  const xrdid::nn::SafetensorsFile f = xrdid::nn::load_safetensors(in, "fuzz.safetensors");
  if (auto it = f.metadata.find("config"); it != f.metadata.end())
    (void)xrdid::nn::parse_net1d_config(it->second, "fuzz.safetensors");
})
