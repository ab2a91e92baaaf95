// Library build / save / load round trip, skipped CIFs, and corrupt-file refusal.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "xrd/library.hpp"

using namespace xrdid::xrd;
namespace fs = std::filesystem;

TEST_CASE("library round trip keeps metadata and patterns; bad CIFs are listed") {
  const std::string d = std::string(XRDID_TEST_DATA) + "/cif/";
  auto cifs = collect_cifs({d + "LiF.cif", d + "Si.cif", d + "bad_no_cell.cif", d + "partial_occupancy.cif"});
  REQUIRE(cifs.size() == 4);
  CHECK(cifs[0].second == "LiF");
  LibraryBuildOptions opt;
  opt.threads = 2;
  std::size_t calls = 0;
  opt.progress = [&](std::size_t done, std::size_t total) {
    ++calls;
    CHECK(done <= total);
  };
  std::vector<LibrarySkip> skipped;
  Library lib = build_library(cifs, opt, &skipped);
  CHECK(calls == 4);
  REQUIRE(lib.size() == 3);
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].reason.find("no cell") != std::string::npos);
  CHECK(lib.n_points == 6000);
  CHECK(lib.entries[0].reduced_formula == "LiF");
  CHECK(lib.entries[2].reduced_formula == "LiNiO2");
  // Row 0 is LiF's seed spectrum: max 100 at index 2251.
  const float* row = lib.pattern(0);
  CHECK(std::max_element(row, row + lib.n_points) - row == 2251);

  const fs::path dir = fs::temp_directory_path() / "xrdid_test_library";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "lib.xrdlib").string();
  save_library(lib, path);
  Library back = load_library(path);
  REQUIRE(back.size() == 3);
  CHECK(back.entries[1].id == "Si");
  CHECK(back.entries[1].spacegroup_number == 227);
  CHECK(back.entries[1].cell[0] == 5.43088);
  CHECK(back.wavelength.alpha1 == 1.54184);
  CHECK(back.grid()[5999] == doctest::Approx(119.98));
  CHECK(back.patterns == lib.patterns);
  Library meta_only = load_library(path, false);
  CHECK(meta_only.patterns.empty());
  CHECK(meta_only.size() == 3);
  // The pattern block starts on a 64-byte boundary right after header + metadata.
  CHECK(fs::file_size(path) % 4 == 0);

  // Truncated and foreign files are refused with the file name.
  fs::resize_file(path, fs::file_size(path) - 100);
  CHECK_THROWS_WITH_AS(load_library(path), doctest::Contains("truncated"), std::runtime_error);
  std::ofstream(path) << "not a library at all, but long enough to hold a header of 128 bytes ..........................................";
  CHECK_THROWS_WITH_AS(load_library(path), doctest::Contains("not an xrdid library (build one with"),
                       std::runtime_error);
  // A CIF given where a library belongs says so; a missing file and a folder say why.
  CHECK_THROWS_WITH_AS(load_library(XRDID_TEST_DATA "/cif/NaCl.cif"), doctest::Contains("but a CIF"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(load_library((dir / "missing.xrdlib").string()), doctest::Contains("No such file"), std::runtime_error);
  CHECK_THROWS_WITH_AS(load_library(dir.string()), doctest::Contains("is a folder"), std::runtime_error);
  fs::remove_all(dir);
}

TEST_CASE("library entries carry the declared and the detected space group; older files read") {
  const std::string d = std::string(XRDID_TEST_DATA) + "/cif/";
  LibraryBuildOptions opt;
  opt.threads = 2;
  opt.two_theta_stop = 60.0;
  const Library lib = build_library(collect_cifs({d + "NaCl_P1.cif", d + "NaCl_Pm-3m.cif"}), opt);
  REQUIRE(lib.size() == 2);
  const fs::path dir = fs::temp_directory_path() / "xrdid_test_library_sg";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "sg.xrdlib").string();
  save_library(lib, path);
  const Library back = load_library(path, false);
  REQUIRE(back.size() == 2);
  const LibraryEntry& p1 = back.entries[0];  // declared P 1: the detected group is used
  CHECK(p1.id == "NaCl_P1");
  CHECK(p1.spacegroup_number == 225);
  CHECK(p1.spacegroup == "F m -3 m");
  CHECK(p1.declared_spacegroup_number == 1);
  CHECK(p1.declared_spacegroup == "P 1");
  CHECK(p1.detected_spacegroup_number == 225);
  const LibraryEntry& sub = back.entries[1];  // declared subgroup: kept
  CHECK(sub.spacegroup_number == 221);
  CHECK(sub.declared_spacegroup_number == 221);
  CHECK(sub.detected_spacegroup_number == 225);

  // A file written before these fields existed: blank them out (JSON whitespace, same length).
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (const std::string key : {"declared_spacegroup\"", "declared_spacegroup_number\"", "detected_spacegroup\"",
                                "detected_spacegroup_number\""}) {
    for (std::size_t at = bytes.find(",\"" + key); at != std::string::npos; at = bytes.find(",\"" + key, at)) {
      std::size_t end = at + 2 + key.size() + 1;  // past the ':'
      if (bytes[end] == '"') end = bytes.find('"', end + 1) + 1;
      else end = bytes.find_first_of(",}", end);
      std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(end), ' ');
    }
  }
  REQUIRE(bytes.find("detected_spacegroup") == std::string::npos);
  std::ofstream(path, std::ios::binary) << bytes;
  const Library old = load_library(path, false);
  REQUIRE(old.size() == 2);
  CHECK(old.entries[0].spacegroup_number == 225);
  CHECK(old.entries[0].declared_spacegroup_number == 225);  // an old file's group counts as declared
  CHECK(old.entries[0].detected_spacegroup_number == 0);
  CHECK(old.entries[1].declared_spacegroup == old.entries[1].spacegroup);
  fs::remove_all(dir);
}
