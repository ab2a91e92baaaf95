// Labelled pattern folders (`xrdid eval DIR`): structure CIFs beside the patterns are labels,
// never patterns; a powder CIF is a pattern, but not its own label.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "identify/evaluation.hpp"

using namespace xrdid;
namespace fs = std::filesystem;

TEST_CASE("a labelled folder pairs patterns with their NAME.cif and takes no structure CIF as a pattern") {
  const fs::path dir = fs::temp_directory_path() / ("xrdid_test_eval_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cifs = XRDID_TEST_DATA "/cif/";
  fs::copy_file(cifs + "NaCl.cif", dir / "NaCl.cif");
  fs::copy_file(cifs + "Si.cif", dir / "Si.cif");  // a label without a pattern
  std::ofstream(dir / "NaCl.xy") << "10 1\n20 2\n";
  // A powder CIF: a pattern, whose NAME.cif is itself.
  std::ofstream(dir / "mix.cif") << "data_m\nloop_ _pd_meas_2theta_scan _pd_meas_counts_total\n10 1 11 2\n";

  std::vector<std::string> skipped;
  const auto set = identify::labeled_patterns(dir.string(), "", &skipped);
  REQUIRE(set.size() == 1);
  CHECK(set[0].name == "NaCl");
  CHECK(set[0].reduced_formula == "NaCl");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].rfind("mix: the pattern mix.cif is its own NAME.cif", 0) == 0);

  // With the labels elsewhere the powder CIF is paired like any pattern.
  const fs::path labels = dir / "labels";
  fs::create_directories(labels);
  fs::copy_file(cifs + "NaCl.cif", labels / "mix.cif");
  skipped.clear();
  const auto set2 = identify::labeled_patterns(dir.string(), labels.string(), &skipped);
  REQUIRE(set2.size() == 1);  // NaCl.xy has no label there
  CHECK(set2[0].name == "mix");
  CHECK(set2[0].pattern_path == (dir / "mix.cif").string());
  fs::remove_all(dir);
}
