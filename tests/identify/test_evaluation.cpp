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
  CHECK(set[0].fill == doctest::Approx(1.52).epsilon(0.02));  // a complete NaCl cell
  CHECK_FALSE(set[0].incomplete_reference());
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

  // A label that lists only part of its cell's atoms is flagged: its simulated intensities are wrong.
  std::ofstream(labels / "mix.cif", std::ios::trunc)
      << "data_asu\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n"
         "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
         "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
         "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 Na 0 0 0\nCl1 Cl 0.5 0.5 0.5\n";
  const auto set3 = identify::labeled_patterns(dir.string(), labels.string(), &skipped);
  REQUIRE(set3.size() == 1);
  CHECK(set3[0].fill == doctest::Approx(set[0].fill / 4).epsilon(0.01));
  CHECK(set3[0].incomplete_reference());
  fs::remove_all(dir);
}
