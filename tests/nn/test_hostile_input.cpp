// Hostile safetensors files and model configs: sizes checked before memory is taken, overlapping
// or out-of-file tensor tables refused, out-of-range config numbers refused; every input kept
// from fuzzing is accepted or refused cleanly.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nn/net1d.hpp"
#include "nn/safetensors.hpp"

using namespace xrdid::nn;
namespace fs = std::filesystem;

namespace {

// 8-byte little-endian header length, the header, then `data_bytes` zero bytes.
std::string st_file(const std::string& header, std::size_t data_bytes, std::uint64_t claimed_len = 0) {
  const std::uint64_t len = claimed_len ? claimed_len : header.size();
  std::string b(8, '\0');
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  return b + header + std::string(data_bytes, '\0');
}

SafetensorsFile load_bytes(const std::string& b) {
  std::istringstream in(b, std::ios::binary);
  return load_safetensors(in, "hostile.safetensors");
}

}  // namespace

TEST_CASE("a safetensors header that claims 2^63 bytes is refused before it is read") {
  const std::string hdr = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(load_bytes(st_file(hdr, 8)).tensors.at("a").numel() == 2);
  for (std::uint64_t claim : {std::uint64_t{1} << 63, ~std::uint64_t{0}, std::uint64_t{200'000'000}, std::uint64_t{4096}}) {
    CAPTURE(claim);
    CHECK_THROWS_WITH_AS(load_bytes(st_file(hdr, 8, claim)), doctest::Contains("does not fit the file size"),
                         std::runtime_error);
  }
}

TEST_CASE("a tensor table whose ranges overlap or run past the file is refused before data is read") {
  // Overlap: b starts inside a.
  CHECK_THROWS_WITH_AS(load_bytes(st_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                          R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                                          24)),
                       doctest::Contains("overlap"), std::runtime_error);
  // Many tensors all claiming the same bytes would multiply the memory taken: refused as overlap.
  std::string many = "{";
  for (int i = 0; i < 1000; ++i) many += (i ? "," : "") + std::string("\"t") + std::to_string(i) +
                                         R"(":{"dtype":"F64","shape":[128],"data_offsets":[0,1024]})";
  many += "}";
  CHECK_THROWS_WITH_AS(load_bytes(st_file(many, 1024)), doctest::Contains("overlap"), std::runtime_error);
  // Past the end of the file.
  CHECK_THROWS_WITH_AS(load_bytes(st_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 16)),
                       doctest::Contains("past the end"), std::runtime_error);
  // A shape of 2^40 × 2^40 elements: refused from the arithmetic, nothing allocated.
  CHECK_THROWS_WITH_AS(
      load_bytes(st_file(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}})", 16)),
      doctest::Contains("needs more bytes than the file"), std::runtime_error);
  // Offsets near 2^64.
  CHECK_THROWS_AS(load_bytes(st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]}})", 16)),
                  std::runtime_error);
  // Dimensions that are not integers a shape can hold.
  for (const char* shape : {"[1e300]", "[-1]", "[2.5]", "[\"2\"]", "7", "[9223372036854775808]"}) {
    CAPTURE(shape);
    CHECK_THROWS_WITH_AS(load_bytes(st_file(std::string(R"({"a":{"dtype":"F32","shape":)") + shape +
                                                R"(,"data_offsets":[0,4]}})",
                                            4)),
                         doctest::Contains("hostile.safetensors"), std::runtime_error);
  }
  // Tensor::empty refuses a shape whose element count overflows.
  CHECK_THROWS_AS(Tensor::empty({std::int64_t{1} << 40, std::int64_t{1} << 40}), std::runtime_error);
}

TEST_CASE("model configs with wrong types or out-of-range numbers are refused with one message") {
  const std::string tiny =
      R"({"name":"t","base_filters":4,"filter_list":[4,8],"m_blocks_list":[2,2],"kernel_size":3,"groups_width":2,"input_length":24})";
  CHECK(parse_net1d_config(tiny, "tiny.json").filter_list == std::vector<int>{4, 8});
  for (const char* bad :
       {R"({"in_channels":1e300})", R"({"in_channels":-5})", R"({"ratio":1e300})", R"({"kernel_size":2147483648})",
        R"({"filter_list":[1e300],"m_blocks_list":[1]})", R"({"filter_list":[4,"8"],"m_blocks_list":[1,1]})",
        R"({"filter_list":[1048576],"m_blocks_list":[1]})", R"({"m_blocks_list":[100000,2,2,3,3,4,4]})",
        R"({"input_length":1000000000000})", R"({"dropout":"0.5"})", R"({"use_bn":1})", R"({"name":3})", "[1,2]", "{",
        R"({"filter_list":[],"m_blocks_list":[]})"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_net1d_config(bad, "bad.json"), doctest::Contains("config"), std::runtime_error);
  }
}

TEST_CASE("every kept fuzz input for the safetensors and model-config readers is accepted or refused cleanly") {
  std::size_t n = 0;
  for (const char* target : {"safetensors", "model_config"}) {
    const fs::path d = fs::path(XRDID_TEST_DATA) / "fuzz-regressions" / target;
    if (!fs::is_directory(d)) continue;
    for (const auto& f : fs::directory_iterator(d)) {
      CAPTURE(f.path().string());
      std::ifstream in(f.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      ++n;
      try {
        if (std::string(target) == "safetensors") {
          const SafetensorsFile sf = load_bytes(ss.str());
          if (auto it = sf.metadata.find("config"); it != sf.metadata.end()) (void)parse_net1d_config(it->second, "hostile");
        } else {
          (void)parse_net1d_config(ss.str(), "hostile.json");
        }
      } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("hostile") != std::string::npos);
      }
    }
  }
  MESSAGE(n << " kept inputs replayed");
  CHECK(n > 0);
}
