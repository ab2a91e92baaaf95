// Net1D model configs (JSON files given to `xrdid train --model`, and model-file metadata).
#include "fuzz/fuzz_target.hpp"
#include "nn/net1d.hpp"

XRDID_FUZZ_TARGET({ (void)xrdid::nn::parse_net1d_config(input, "fuzz.json"); })
