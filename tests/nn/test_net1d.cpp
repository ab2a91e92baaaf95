// Net1D structure: parameter counts and lengths of docs/method.md §7.4, names, configs.
#include <doctest/doctest.h>

#include "nn/net1d.hpp"

using namespace xrdid::nn;

TEST_CASE("seed Net1D has exactly 30,654,000 backbone parameters and the published lengths") {
  Rng rng(0);
  Net1DConfig cfg = net1d_config("seed");
  Net1D net(cfg, rng);
  CHECK(net.num_parameters() == 30654000);
  auto rows = net.layer_table(6000);
  REQUIRE(rows.size() == 2 + 20 + 1);
  CHECK(rows[0].params == 1088);
  CHECK(rows[1].params == 128);
  CHECK(rows[2].params == 29344);    // S0B0
  CHECK(rows[4].params == 103888);   // S1B0
  CHECK(rows[8].params == 490120);   // S3B0
  CHECK(rows[14].params == 2778400); // S5B0
  CHECK(rows[21].params == 3418624); // S6B3
  std::vector<std::int64_t> outs;
  for (auto& r : rows) outs.push_back(r.length_out);
  CHECK(rows[0].length_out == 3000);
  // Stage ends: 1500 750 375 188 94 47 24.
  CHECK(rows[3].length_out == 1500);
  CHECK(rows[5].length_out == 750);
  CHECK(rows[7].length_out == 375);
  CHECK(rows[10].length_out == 188);
  CHECK(rows[13].length_out == 94);
  CHECK(rows[17].length_out == 47);
  CHECK(rows[21].length_out == 24);
  CHECK(rows[8].main_path.find("pad 7/8") != std::string::npos);  // S3B0: odd L=375
  CHECK(rows[18].main_path.find("pad 7/8") != std::string::npos);  // S6B0: odd L=47
  CHECK(rows[4].shortcut == "maxpool + pad 48/48");
}

TEST_CASE("parameter names follow the PyTorch state_dict layout") {
  Rng rng(0);
  Net1D net(net1d_config("tiny"), rng);
  auto params = net.named_parameters();
  REQUIRE(!params.empty());
  CHECK(params[0].first == "first_conv.conv.weight");
  CHECK(params[1].first == "first_conv.conv.bias");
  bool found = false;
  for (auto& [n, v] : params) found = found || n == "stage_list.1.block_list.0.conv2.conv.weight";
  CHECK(found);
  auto bufs = net.named_buffers();
  CHECK(bufs[0].first == "first_bn.running_mean");
  CHECK(bufs[2].first == "first_bn.num_batches_tracked");
}

TEST_CASE("bad configurations are refused with a reason") {
  CHECK_THROWS_WITH(net1d_config("nonexistent-config"), doctest::Contains("unknown model config"));
  Net1DConfig c = net1d_config("tiny");
  c.groups_width = 3;
  Rng rng(0);
  CHECK_THROWS_WITH(Net1D(c, rng), doctest::Contains("divisible by groups_width"));
}
