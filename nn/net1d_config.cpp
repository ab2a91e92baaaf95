// Net1D configurations: the named ones, JSON (de)serialisation and validation. Kept apart from
// the network so that the config reader can be built and tested on its own.
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/json_value.hpp"
#include "nn/net1d.hpp"

namespace xrdid::nn {

// ---- configurations -----------------------------------------------------------------------
void to_json(nlohmann::json& j, const Net1DConfig& c) {
  j = nlohmann::json{{"name", c.name},           {"in_channels", c.in_channels},
                     {"base_filters", c.base_filters}, {"ratio", c.ratio},
                     {"filter_list", c.filter_list},   {"m_blocks_list", c.m_blocks_list},
                     {"kernel_size", c.kernel_size},   {"stride", c.stride},
                     {"groups_width", c.groups_width}, {"use_bn", c.use_bn},
                     {"use_do", c.use_do},             {"dropout", c.dropout},
                     {"input_length", c.input_length}};
}

void from_json(const nlohmann::json& j, Net1DConfig& c) {
  if (!j.is_object()) throw std::runtime_error("Net1D config is not a JSON object");
  Net1DConfig d;
  using common::json_number_or;
  using common::json_numbers_or;
  const std::string what = "Net1D config field";
  const auto flag = [&](const char* key, bool def) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_boolean()) throw std::runtime_error(what + " '" + key + "' is not true or false");
    return it->get<bool>();
  };
  const auto name = j.find("name");
  if (name != j.end() && !name->is_string()) throw std::runtime_error(what + " 'name' is not a string");
  c.name = name != j.end() ? name->get<std::string>() : std::string("custom");
  c.in_channels = json_number_or(j, "in_channels", d.in_channels, what);
  c.base_filters = json_number_or(j, "base_filters", d.base_filters, what);
  c.ratio = json_number_or(j, "ratio", d.ratio, what);
  c.filter_list = json_numbers_or(j, "filter_list", d.filter_list, what);
  c.m_blocks_list = json_numbers_or(j, "m_blocks_list", d.m_blocks_list, what);
  c.kernel_size = json_number_or(j, "kernel_size", d.kernel_size, what);
  c.stride = json_number_or(j, "stride", d.stride, what);
  c.groups_width = json_number_or(j, "groups_width", d.groups_width, what);
  c.use_bn = flag("use_bn", d.use_bn);
  c.use_do = flag("use_do", d.use_do);
  c.dropout = json_number_or(j, "dropout", d.dropout, what);
  c.input_length = json_number_or(j, "input_length", d.input_length, what);
}

void validate_net1d_config(const Net1DConfig& c) {
  const std::string who = "Net1D config '" + c.name + "': ";
  // Bounds far above any trained network; they keep a hostile config from asking for
  // absurd allocations or overflowing the channel arithmetic.
  XRDID_CHECK(!c.filter_list.empty() && c.filter_list.size() == c.m_blocks_list.size() && c.filter_list.size() <= 64,
              who + "filter_list and m_blocks_list must be non-empty, of equal length, at most 64 stages");
  XRDID_CHECK(c.kernel_size >= 1 && c.stride >= 1 && c.groups_width >= 1 && c.base_filters >= 1,
              who + "kernel_size, stride, groups_width, base_filters must be >= 1");
  XRDID_CHECK(c.in_channels >= 1 && c.in_channels <= 64, who + "in_channels must lie in 1..64");
  XRDID_CHECK(c.kernel_size <= 1024 && c.stride <= 64 && c.base_filters <= 8192 && c.groups_width <= 8192,
              who + "kernel_size <= 1024, stride <= 64, base_filters and groups_width <= 8192");
  XRDID_CHECK(std::isfinite(c.ratio) && c.ratio > 0 && c.ratio <= 16, who + "ratio must lie in (0, 16]");
  XRDID_CHECK(c.input_length >= 1 && c.input_length <= 10'000'000, who + "input_length must lie in 1..10^7");
  for (std::size_t i = 0; i < c.filter_list.size(); ++i) {
    XRDID_CHECK(c.filter_list[i] >= 1 && c.filter_list[i] <= 8192, who + "stage widths must lie in 1..8192");
    XRDID_CHECK(c.m_blocks_list[i] >= 1 && c.m_blocks_list[i] <= 64, who + "every stage needs 1..64 blocks");
    int mid = static_cast<int>(c.filter_list[i] * c.ratio);
    XRDID_CHECK(mid % c.groups_width == 0 && c.filter_list[i] % 2 == 0,
                who + "stage " + std::to_string(i) + " width " + std::to_string(c.filter_list[i]) +
                    " must be even and divisible by groups_width " + std::to_string(c.groups_width));
    int prev = i ? c.filter_list[i - 1] : c.base_filters;
    XRDID_CHECK(c.filter_list[i] >= prev, who + "widths may not shrink (shortcut pads channels)");
  }
  XRDID_CHECK(std::isfinite(c.dropout) && c.dropout >= 0 && c.dropout < 1, who + "dropout must be in [0, 1)");
}

Net1DConfig parse_net1d_config(const std::string& text, const std::string& name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error("xrdid: model config " + name + ": invalid JSON: " + e.what());
  }
  try {
    Net1DConfig c = j.get<Net1DConfig>();
    validate_net1d_config(c);
    return c;
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (why.rfind("xrdid: ", 0) == 0) why.erase(0, 7);
    throw std::runtime_error("xrdid: model config " + name + ": " + why);
  }
}

Net1DConfig net1d_config(const std::string& name_or_path) {
  Net1DConfig c;
  if (name_or_path == "seed") {
    c.name = "seed";
  } else if (name_or_path == "compact") {
    // Small enough to train on 2 CPU cores in minutes; same block design as the seed.
    c.name = "compact";
    c.base_filters = 16;
    c.filter_list = {16, 32, 32, 64, 64, 128, 128};
    c.m_blocks_list = {1, 1, 1, 1, 1, 1, 1};
    c.kernel_size = 16;
    c.groups_width = 8;
    c.dropout = 0.1;
  } else if (name_or_path == "tiny") {
    // Gradient checks and fast tests: every block kind (first block, downsample, channel pad).
    c.name = "tiny";
    c.base_filters = 4;
    c.filter_list = {4, 8};
    c.m_blocks_list = {2, 2};
    c.kernel_size = 3;
    c.groups_width = 2;
    c.input_length = 24;
    c.dropout = 0.1;
  } else {
    std::ifstream in(name_or_path);
    XRDID_CHECK(in.good(), "unknown model config '" + name_or_path +
                               "' (use seed, compact, tiny or a path to a JSON config file)");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_net1d_config(text.str(), name_or_path);
  }
  validate_net1d_config(c);
  return c;
}

}  // namespace xrdid::nn
