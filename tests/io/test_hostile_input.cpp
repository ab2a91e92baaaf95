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
}

TEST_CASE("every kept fuzz input for the measured-pattern readers is accepted or refused cleanly") {
  std::size_t n = 0;
  for (const char* target : {"pattern_text", "pattern_xrdml", "pattern_ras"}) {
    const fs::path d = fs::path(XRDID_TEST_DATA) / "fuzz-regressions" / target;
    if (!fs::is_directory(d)) continue;
    const std::string name = std::string("hostile.") + (std::string(target) == "pattern_xrdml" ? "xrdml"
                                                        : std::string(target) == "pattern_ras" ? "ras"
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
