// Hostile library files and CIFs: sizes are checked before memory is taken, recorded paths
// never reach upwards, and every input kept from fuzzing is accepted or refused cleanly.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"

using namespace xrdid::xrd;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Library small_library(const std::string& id = "NaCl", const std::string& source = "NaCl.cif") {
  Library lib;
  lib.n_points = 4;
  lib.two_theta_start = 10.0;
  lib.two_theta_step = 0.5;
  lib.wavelength = {1.5406, 0.0, 0.5};
  LibraryEntry e;
  e.id = id;
  e.source = source;
  e.reduced_formula = "NaCl";
  lib.entries.push_back(e);
  lib.patterns = {1, 100, 2, 0};
  return lib;
}

// The bytes of a valid one-entry library file.
std::string library_bytes(const Library& lib = small_library()) {
  const fs::path p = fs::temp_directory_path() / "xrdid_test_hostile_lib.xrdlib";
  save_library(lib, p.string());
  std::string b = read_bytes(p);
  fs::remove(p);
  return b;
}

void put_u64(std::string& b, std::size_t at, std::uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
std::uint64_t get_u64(const std::string& b, std::size_t at) {
  std::uint64_t v;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}
// Header field offsets (docs/library-format.md).
constexpr std::size_t kEntries = 16, kPoints = 24, kStep = 40, kMetaOff = 72, kMetaBytes = 80, kPatOff = 88,
                      kPatBytes = 96;

Library load_bytes(const std::string& b) {
  std::istringstream in(b, std::ios::binary);
  return load_library(in, "hostile.xrdlib");
}

}  // namespace

TEST_CASE("library header sizes are checked against the file before anything is allocated") {
  const std::string good = library_bytes();
  CHECK(load_bytes(good).size() == 1);
  CHECK(load_bytes(good).patterns == std::vector<float>{1, 100, 2, 0});

  // Metadata that claims 2^63 bytes, and an offset + size that wraps around to a small number.
  std::string b = good;
  put_u64(b, kMetaBytes, std::uint64_t{1} << 63);
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("past the end"), std::runtime_error);
  b = good;
  put_u64(b, kMetaOff, std::uint64_t{1} << 63);
  put_u64(b, kMetaBytes, std::uint64_t{1} << 63);
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("past the end"), std::runtime_error);
  b = good;
  put_u64(b, kPatBytes, ~std::uint64_t{0});
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("past the end"), std::runtime_error);

  // A 2θ grid of 10^9 points (with no entries, so no pattern bytes are needed).
  b = good;
  put_u64(b, kEntries, 0);
  put_u64(b, kPoints, 1'000'000'000);
  put_u64(b, kPatBytes, 0);
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("grid points"), std::runtime_error);

  // entries × points × 4 that wraps to the real pattern size: 2^62 entries × 4 points.
  b = good;
  put_u64(b, kEntries, std::uint64_t{1} << 62);
  put_u64(b, kPoints, 4);
  put_u64(b, kPatBytes, 0);
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("more than its pattern block holds"), std::runtime_error);

  // More entries in the header than in the metadata.
  b = good;
  put_u64(b, kEntries, 2);
  put_u64(b, kPoints, 2);
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("lists 1 entries, the header 2"), std::runtime_error);

  // A step that is not positive.
  b = good;
  const double zero = 0.0;
  std::memcpy(b.data() + kStep, &zero, 8);
  CHECK_THROWS_WITH_AS(load_bytes(b), doctest::Contains("step"), std::runtime_error);
  CHECK(get_u64(good, kPatOff) % 64 == 0);
}

TEST_CASE("library metadata with wrong types or out-of-range numbers is refused as bad metadata") {
  // good's metadata replaced by other JSON (header sizes adjusted, no pattern rows).
  const std::string good = library_bytes();
  auto with_meta = [&](const std::string& meta) {
    std::string b = good.substr(0, 128) + meta;
    b.resize((b.size() + 63) / 64 * 64, '\0');
    put_u64(b, kEntries, 1);
    put_u64(b, kPoints, 0);
    put_u64(b, kMetaBytes, meta.size());
    put_u64(b, kPatOff, b.size());
    put_u64(b, kPatBytes, 0);
    return b;
  };
  CHECK(load_bytes(with_meta(R"({"entries":[{"id":"a","n_sites":3}]})")).entries[0].n_sites == 3);
  for (const char* meta : {R"({"entries":[{"id":"a","n_sites":1e300}]})", R"({"entries":[{"id":"a","n_sites":-1e20}]})",
                           R"({"entries":[{"id":"a","spacegroup_number":4294967296}]})",
                           R"({"entries":[{"id":"a","cell":[1,2,3]}]})", R"({"entries":[{"id":7}]})",
                           R"({"entries":[3]})", R"({"entries":{}})", R"([1,2])", R"({"entries":[{"id":"a"}],"settings":5})",
                           R"({"entries":[{"id":"a","density":"x"}]})"}) {
    CAPTURE(meta);
    CHECK_THROWS_WITH_AS(load_bytes(with_meta(meta)), doctest::Contains("hostile.xrdlib: bad library metadata"),
                         std::runtime_error);
  }
}

TEST_CASE("paths recorded in a library never reach upwards") {
  // Ids that are absolute or climb out are refused when the library is read.
  for (const char* id : {"../../etc/passwd", "/etc/passwd", "a/../../b", "x\ny"}) {
    CAPTURE(id);
    CHECK_THROWS_WITH_AS(load_bytes(library_bytes(small_library(id))), doctest::Contains("bad library metadata"),
                         std::runtime_error);
  }
  CHECK(load_bytes(library_bytes(small_library("sub/dir/NaCl"))).entries[0].id == "sub/dir/NaCl");

  // A relative source that climbs out of the library's folder is not looked up from there,
  // even though the file it names exists; one that stays inside is.
  const fs::path dir = fs::temp_directory_path() / "xrdid_test_hostile_paths";
  fs::remove_all(dir);
  fs::create_directories(dir / "libs" / "cifs");
  std::ofstream(dir / "outside.cif") << "data_x\n";
  std::ofstream(dir / "libs" / "cifs" / "inside.cif") << "data_y\n";
  const std::string lib_path = (dir / "libs" / "lib.xrdlib").string();
  Library up = small_library("outside", "../outside.cif");
  up.settings_json = "{\"build_dir\":\"" + (dir / "libs").string() + "\"}";
  CHECK(entry_cif_path(up, 0, lib_path) == "../outside.cif");
  Library in = small_library("inside", "cifs/inside.cif");
  CHECK(entry_cif_path(in, 0, lib_path) == (dir / "libs" / "cifs" / "inside.cif").string());
  fs::remove_all(dir);
}

TEST_CASE("a CIF whose cell would hold 10^7 atoms is refused before it is expanded") {
  // F m -3 m has 192 operations; 52,084 general positions × 192 ≈ 10^7 sites.
  std::string cif =
      "data_big\n_cell_length_a 500\n_cell_length_b 500\n_cell_length_c 500\n"
      "_symmetry_space_group_name_H-M 'F m -3 m'\n"
      "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n";
  const int n = 52'084;
  for (int i = 0; i < n; ++i) {
    const double x = 0.001 + 0.4 * i / n;
    cif += "C" + std::to_string(i) + " C " + std::to_string(x) + " " + std::to_string(x / 2 + 0.01) + " " +
           std::to_string(x / 3 + 0.02) + "\n";
  }
  try {
    (void)read_cif_string(cif, "big.cif");
    FAIL("a 10^7-site cell was accepted");
  } catch (const CifError& e) {
    CHECK(e.reason() == "too many atoms");
    CHECK(std::string(e.what()).find("big.cif") != std::string::npos);
  }
  // The same cell with three general positions reads: 3 × 192 sites.
  std::string small = cif.substr(0, cif.find("C0 ")) + "C0 C 0.01 0.02 0.03\nC1 C 0.11 0.05 0.07\nC2 C 0.21 0.09 0.13\n";
  CHECK(read_cif_string(small, "small.cif").sites.size() == 3 * 192);
}

TEST_CASE("a 2θ grid of 10^9 points is refused before memory is taken") {
  CHECK_THROWS_WITH_AS(uniform_grid(0.0, 100.0, 1e-7), doctest::Contains("at most"), std::invalid_argument);
  CHECK_THROWS_AS(uniform_grid(0.0, 1e300, 1e-300), std::invalid_argument);
  CHECK_THROWS_AS(uniform_grid(0.0, 10.0, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(uniform_grid(0.0, HUGE_VAL, 0.02), std::invalid_argument);
  CHECK(uniform_grid(0.0, 120.0, 0.02).size() == 6000);
  CHECK(uniform_grid(0.0, 200.0, 2e-5).size() == kMaxGridPoints);
}

TEST_CASE("every kept fuzz input for the CIF and library readers is accepted or refused cleanly") {
  std::size_t n = 0;
  for (const char* target : {"cif", "library"}) {
    const fs::path d = fs::path(XRDID_TEST_DATA) / "fuzz-regressions" / target;
    if (!fs::is_directory(d)) continue;
    for (const auto& f : fs::directory_iterator(d)) {
      CAPTURE(f.path().string());
      const std::string bytes = read_bytes(f.path());
      ++n;
      try {
        if (std::string(target) == "cif") (void)read_cif_string(bytes, f.path().filename().string());
        else (void)load_bytes(bytes);
      } catch (const std::runtime_error& e) {
        // Refused: one message that names the input.
        CHECK(std::string(e.what()).find(std::string(target) == "cif" ? f.path().filename().string() : "hostile.xrdlib") !=
              std::string::npos);
      }
    }
  }
  MESSAGE(n << " kept inputs replayed");
  CHECK(n > 0);
}
