// Pattern / sticks serialisation and the atomic file writer.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "xrd/cif_reader.hpp"
#include "xrd/export.hpp"
#include "xrd/render.hpp"

using namespace xrdid::xrd;
namespace fs = std::filesystem;

TEST_CASE("sticks JSON has the documented fields") {
  Crystal lif = read_cif(std::string(XRDID_TEST_DATA) + "/cif/LiF.cif");
  nlohmann::json j = sticks_to_json(lif, compute_sticks(lif));
  CHECK(j["formula"] == "LiF");
  CHECK(j["spacegroup"] == "F m -3 m");
  CHECK(j["wavelength"] == 1.54184);
  REQUIRE(j["sticks"].size() == 8);
  const auto& s = j["sticks"][1];
  CHECK(s["two_theta"].get<double>() == doctest::Approx(45.0238).epsilon(1e-6));
  CHECK(s["d"].get<double>() == doctest::Approx(2.0135));
  CHECK(s["intensity"].get<double>() == 100.0);
  CHECK(s["multiplicity"] == 6);
  CHECK(s["hkl"].size() == 6);
  CHECK(s["hkl"][0] == nlohmann::json::array({2, 0, 0}));
}

TEST_CASE("xy text round-trips the grid") {
  Pattern p;
  p.two_theta = {10.0, 10.02, 10.04};
  p.intensity = {0.0f, 50.5f, 100.0f};
  std::istringstream in(format_xy(p));
  double x, y;
  int n = 0;
  while (in >> x >> y) {
    CHECK(x == doctest::Approx(p.two_theta[n]));
    CHECK(y == doctest::Approx(p.intensity[n]));
    ++n;
  }
  CHECK(n == 3);
}

TEST_CASE("write_file_atomic replaces the file and leaves no temporaries") {
  const fs::path dir = fs::temp_directory_path() / "xrdid_test_export";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "out.xy").string();
  write_file_atomic(path, "old\n");
  write_file_atomic(path, "new content\n");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "new content");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  // A missing directory fails with the path in the message and creates nothing.
  const std::string bad = (dir / "no_such_dir" / "x.xy").string();
  CHECK_THROWS_WITH_AS(write_file_atomic(bad, "x"), doctest::Contains("no_such_dir"), std::runtime_error);
  CHECK(!fs::exists(bad));
  fs::remove_all(dir);
}

TEST_CASE("atomic writes remove temporaries of dead writers and abandon their own cleanly") {
  const fs::path dir = fs::temp_directory_path() / "xrdid_test_atomic_stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "out.xy").string();
  auto touch = [&](const std::string& name) { std::ofstream(dir / name) << "partial"; };
  // 2147483647 is above any pid_max: that writer is gone. This process's own temporary (another
  // thread could be writing it) and files of other shapes stay.
  touch(".out.xy.tmp-2147483647-AbCdEf");
  const std::string own = ".out.xy.tmp-" + std::to_string(::getpid()) + "-AbCdEf";
  touch(own);
  touch(".out.xy.tmp-notapid-AbCdEf");
  touch(".other.xy.tmp-2147483647-AbCdEf");
  write_file_atomic(path, "new\n");
  CHECK(!fs::exists(dir / ".out.xy.tmp-2147483647-AbCdEf"));
  CHECK(fs::exists(dir / own));
  CHECK(fs::exists(dir / ".out.xy.tmp-notapid-AbCdEf"));
  CHECK(fs::exists(dir / ".other.xy.tmp-2147483647-AbCdEf"));
  fs::remove(dir / own);
  fs::remove(dir / ".out.xy.tmp-notapid-AbCdEf");
  fs::remove(dir / ".other.xy.tmp-2147483647-AbCdEf");
  {
    xrdid::common::AtomicFile f(path);  // abandoned (no commit): target kept, temporary removed
    f.write("half of a new file");
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "new");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  // A missing folder is named as such.
  CHECK_THROWS_WITH_AS(write_file_atomic((dir / "gone" / "x.xy").string(), "x"), doctest::Contains("does not exist"),
                       std::runtime_error);
  fs::remove_all(dir);
}
