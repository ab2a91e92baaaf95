// Hostile measured-pattern files: a file too large to be a pattern is refused before it is read,
// and every input kept from fuzzing is accepted or refused cleanly.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/pattern_io.hpp"

using namespace xrdid::io;
namespace fs = std::filesystem;

TEST_CASE("a pattern file larger than any instrument export is refused before it is read") {
  const fs::path dir = fs::temp_directory_path() / "xrdid_test_hostile_pattern";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path big = dir / "huge.xy";
  std::ofstream(big) << "10 1\n20 2\n";
  // Sparse: takes no disk space, but a reader that read it all would take 1 GiB.
  fs::resize_file(big, 1ull << 30);
  CHECK_THROWS_WITH_AS(read_pattern(big.string()), doctest::Contains("larger than the 256 MiB"), std::runtime_error);
  fs::resize_file(big, 10);
  CHECK(read_pattern(big.string()).size() == 2);
  fs::remove_all(dir);
}

TEST_CASE("the from-memory reader chooses the format by the name's extension, else by content") {
  CHECK(read_pattern_buffer("a.xy", "10 1\n20 2\n").size() == 2);
  ReadReport r;
  (void)read_pattern_buffer("noext", "*RAS_INT_START\n10 1\n20 2\n*RAS_INT_END\n", &r);
  CHECK(r.format == "ras");
  CHECK_THROWS_WITH_AS(read_pattern_buffer("a.xrdml", "10 1\n20 2\n"), doctest::Contains("a.xrdml: malformed XML"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(read_pattern_buffer("a.cif", "10 1\n20 2\n"), doctest::Contains("a.cif: malformed CIF"),
                       std::runtime_error);
}

TEST_CASE("hostile powder CIFs: overflowing numbers, absurd ranges, huge names are refused in one short line") {
  const std::string long_name(100000, 'x');
  const std::pair<std::string, const char*> cases[] = {
      // A 2θ range whose point count overflows; a step of 1e-300 over ±1e308.
      {"data_h\n_pd_meas_2theta_range_min -1e308\n_pd_meas_2theta_range_max 1e308\n_pd_meas_2theta_range_inc "
       "1e-300\nloop_\n_pd_meas_counts_total\n1\n2\n",
       "give no point count but the intensity loop has 2"},
      // A grid that fits but runs to ±1e300: refused by the 2θ range check.
      {"data_h\n_pd_meas_2theta_range_min -1e300\n_pd_meas_2theta_range_max 1e300\n_pd_meas_2theta_range_inc "
       "1e300\nloop_\n_pd_meas_counts_total\n1\n2\n3\n",
       "absurd 2θ range"},
      {"data_h\nloop_\n_pd_meas_2theta_scan\n_pd_meas_counts_total\n10 1e39\n11 2\n", "exceeds the float range"},
      {"data_" + long_name + "\nloop_\n_pd_meas_counts_total\n1\n2\n", "but no 2θ for it"},
  };
  for (const auto& [text, reason] : cases) {
    const std::string expected = reason;
    CAPTURE(expected);
    try {
      (void)read_pattern_buffer("h.cif", text);
      FAIL("accepted");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(what.rfind("h.cif: ", 0) == 0);
      CHECK(what.find(reason) != std::string::npos);
      CHECK(what.size() < 400);
    }
  }
}

TEST_CASE("every kept fuzz input for the measured-pattern readers is accepted or refused cleanly") {
  std::size_t n = 0;
  for (const char* target : {"pattern_text", "pattern_xrdml", "pattern_ras", "pattern_pdcif"}) {
    const fs::path d = fs::path(XRDID_TEST_DATA) / "fuzz-regressions" / target;
    if (!fs::is_directory(d)) continue;
    const std::string name = std::string("hostile.") + (std::string(target) == "pattern_xrdml"   ? "xrdml"
                                                        : std::string(target) == "pattern_ras"   ? "ras"
                                                        : std::string(target) == "pattern_pdcif" ? "cif"
                                                                                                 : "xy");
    for (const auto& f : fs::directory_iterator(d)) {
      CAPTURE(f.path().string());
      std::ifstream in(f.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      ++n;
      try {
        (void)read_pattern_buffer(name, ss.str());
      } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).rfind(name + ": ", 0) == 0);
      }
    }
  }
  MESSAGE(n << " kept inputs replayed");
  CHECK(n > 0);
}
