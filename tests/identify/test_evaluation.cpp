// Labelled pattern folders (`xrdid eval DIR`): structure CIFs beside the patterns are labels,
// never patterns; a powder CIF is a pattern, but not its own label.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "identify/evaluation.hpp"
#include "io/pattern_io.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"
#include "xrd/render.hpp"

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

TEST_CASE("a pattern labelled with an asymmetric unit in P 1 is found as the structure that file records") {
  // The label lists one Na and one Cl in NaCl's cell (a quarter of its atoms, no symmetry): its
  // simulated pattern is wrong, and the search ranks the complete NaCl first. That row is the
  // phase the label records (the same elements and cell), so it lists the label among its
  // sources and counts as right; each file its own row, the label's row comes later.
  const fs::path dir = fs::temp_directory_path() / ("xrdid_test_eval_asu_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cifs = XRDID_TEST_DATA "/cif/";
  std::ofstream(dir / "rec.cif") << "data_asu\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n"
                                    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                                    "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n"
                                    "_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n"
                                    "_atom_site_fract_z\nNa1 Na 0 0 0\nCl1 Cl 0.5 0.5 0.5\n";
  xrd::ProfileOptions prof;
  prof.sigma = 0.1;
  io::write_xy((dir / "rec.xy").string(), xrd::simulate_pattern(xrd::read_cif(cifs + "NaCl.cif"), {1.54184, 0, 0.5},
                                                                xrd::uniform_grid(10, 90, 0.01), prof));
  const xrd::Library lib = xrd::build_library(
      {{cifs + "NaCl.cif", "NaCl"}, {(dir / "rec.cif").string(), "rec"}, {cifs + "LiF.cif", "LiF"}, {cifs + "Si.cif", "Si"}},
      {});
  REQUIRE(lib.size() == 4);
  CHECK(lib.entries[1].incomplete());
  std::vector<std::string> skipped;
  const auto set = identify::labeled_patterns(dir.string(), "", &skipped);
  REQUIRE(set.size() == 1);
  CHECK(set[0].incomplete_reference());
  identify::Identifier id(lib);
  identify::IdentifyOptions opt;
  opt.top = 4;
  const auto s = identify::evaluate_identification(id, set, opt);
  REQUIRE(s.ranks.size() == 1);
  REQUIRE(!s.ranks[0].rows.empty());
  CHECK(lib.entries[s.ranks[0].rows[0].second.entry].id == "NaCl");
  CHECK(s.ranks[0].rows[0].second.same_phase == std::vector<std::size_t>{1});
  CHECK(s.ranks[0].rank == 1);
  CHECK(s.top1 == doctest::Approx(100.0));
  opt.one_row_per_phase = false;
  const auto every = identify::evaluate_identification(id, set, opt);
  REQUIRE(every.ranks.size() == 1);
  CHECK(every.ranks[0].rank > 1);
  CHECK(every.top1 == doctest::Approx(0.0));
  fs::remove_all(dir);
}
