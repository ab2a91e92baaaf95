// One row per phase: entries of one phase from several sources merge; different phases, space
// groups or cells do not.
#include <doctest/doctest.h>

#include <cmath>

#include "identify/same_phase.hpp"
#include "xrd/symmetry.hpp"

using namespace xrdid;

namespace {

xrd::LibraryEntry entry(const std::string& id, const std::string& formula, int sg, double a, double c = 0) {
  xrd::LibraryEntry e;
  e.id = id;
  e.reduced_formula = formula;
  e.spacegroup_number = sg;
  e.cell = {a, a, c > 0 ? c : a, 90, 90, 90};
  return e;
}

xrd::Library library() {
  xrd::Library lib;
  lib.entries = {entry("oc/Ag", "Ag", 225, 4.086), entry("cod/Ag", "Ag", 225, 4.0862), entry("Au", "Au", 225, 4.078),
                 entry("rruff/Ag_225", "Ag", 225, 4.0857), entry("Ag_hp", "Ag", 225, 3.80),
                 entry("Ag_hex", "Ag", 194, 2.89, 10.0), entry("TiN", "TiN", 225, 4.24), entry("Ti2N2", "Ti2N2", 225, 4.241)};
  return lib;  // no patterns: cells alone decide
}

}  // namespace

TEST_CASE("same_phase: formula (as composition), space group and cell") {
  const auto lib = library();
  CHECK(identify::same_phase(lib, 0, 1));
  CHECK(identify::same_phase(lib, 0, 3));
  CHECK_FALSE(identify::same_phase(lib, 0, 2));  // Au: another element, same structure
  CHECK_FALSE(identify::same_phase(lib, 0, 4));  // 7 % smaller cell
  CHECK_FALSE(identify::same_phase(lib, 0, 5));  // another space group
  CHECK(identify::same_phase(lib, 6, 7));        // TiN and Ti2N2 are one composition
  auto nan_cell = lib;
  nan_cell.entries[1].cell[0] = std::nan("");
  CHECK_FALSE(identify::same_phase(nan_cell, 0, 1));
}

TEST_CASE("same_phase: a primitive cell of a centred lattice matches its conventional cell by the scaled patterns") {
  // Li2O (Fm-3m) in its conventional cell (a = 4.619) and in a primitive cell (a = 3.295, α = 60°)
  // of a 0.9 % larger lattice; the cells do not compare, the patterns do once scaled. A lattice
  // 6 % larger is another phase.
  xrd::Library lib;
  lib.two_theta_start = 10.0;
  lib.two_theta_step = 0.02;
  lib.n_points = 4001;
  lib.wavelength = xrd::Wavelength{1.54184, 0.0, 0.5};
  auto fcc = [&](double a) {
    std::vector<float> y(lib.n_points, 0.f);
    const int hkl[][3] = {{1, 1, 1}, {2, 0, 0}, {2, 2, 0}, {3, 1, 1}, {2, 2, 2}, {4, 0, 0}, {3, 3, 1}, {4, 2, 0}};
    double w = 100;
    for (const auto& h : hkl) {
      const double d = a / std::sqrt(h[0] * h[0] + h[1] * h[1] + h[2] * h[2]);
      const double tt = 2.0 * std::asin(lib.wavelength.alpha1 / (2 * d)) * 180.0 / M_PI;
      for (std::size_t i = 0; i < lib.n_points; ++i) {
        const double x = lib.two_theta_start + lib.two_theta_step * static_cast<double>(i) - tt;
        y[i] += static_cast<float>(w * std::exp(-0.5 * x * x / (0.05 * 0.05)));
      }
      w *= 0.7;
    }
    lib.patterns.insert(lib.patterns.end(), y.begin(), y.end());
  };
  lib.entries = {entry("conventional", "Li2O", 225, 4.619), entry("primitive", "Li2O", 225, 3.295),
                 entry("primitive_large", "Li2O", 225, 3.464)};
  for (int k : {1, 2}) lib.entries[k].cell[3] = lib.entries[k].cell[4] = lib.entries[k].cell[5] = 60.0;
  fcc(4.619);
  fcc(4.619 * 1.009);
  fcc(4.619 * 1.06);
  CHECK(identify::same_phase(lib, 0, 1));
  CHECK(identify::same_phase(lib, 1, 0));
  CHECK_FALSE(identify::same_phase(lib, 0, 2));
  identify::SamePhaseTolerance tight;
  tight.cell_rel = 0.004;  // the scale search reaches ±0.4 % only
  CHECK_FALSE(identify::same_phase(lib, 0, 1, tight));
}

TEST_CASE("same_phase: either hand of a chiral group, any order of the axes") {
  xrd::Library lib;
  lib.entries = {entry("quartz_154", "SiO2", 154, 4.913, 5.405), entry("quartz_152", "SiO2", 152, 4.916, 5.409),
                 entry("berlinite_152", "AlPO4", 152, 4.94, 10.95), entry("P3121_other", "SiO2", 151, 4.913, 5.405),
                 entry("pnma", "Mg2SiO4", 62, 10.19, 0), entry("pbnm", "Mg2SiO4", 62, 4.75, 0)};
  for (auto& e : lib.entries) e.cell[5] = 120;
  lib.entries[4].cell = {10.19, 5.98, 4.75, 90, 90, 90};
  lib.entries[5].cell = {4.75, 10.19, 5.98, 90, 90, 90};
  CHECK(identify::same_phase(lib, 0, 1));        // P 32 21 and P 31 21: one powder pattern
  CHECK_FALSE(identify::same_phase(lib, 1, 2));  // another composition
  CHECK_FALSE(identify::same_phase(lib, 0, 3));  // 151 is 153's enantiomorph, not 154's
  CHECK(identify::same_phase(lib, 4, 5));        // Pnma and Pbnm cells of one structure
  lib.entries[5].cell[1] = 10.9;
  CHECK_FALSE(identify::same_phase(lib, 4, 5));  // no order of the axes matches
  CHECK(xrd::enantiomorph(152) == 154);
  CHECK(xrd::enantiomorph(154) == 152);
  CHECK(xrd::enantiomorph(212) == 213);
  CHECK(xrd::enantiomorph(225) == 0);
  CHECK(xrd::enantiomorph(0) == 0);
}

TEST_CASE("same_phase: an asymmetric unit written in P 1 is the structure it was cut from") {
  // Monticellite, CaMgSiO4 in Pnma, and a file of the same mineral holding one formula unit
  // without its symmetry operations (a quarter of the atoms; reduced formula and axes differ).
  xrd::Library lib;
  lib.entries = {entry("monticellite_62", "CaMgSiO4", 62, 11.105), entry("record_1", "CaMgSiO3", 1, 4.8295),
                 entry("olivine_62", "Mg2SiO4", 62, 11.105), entry("triclinic_1", "CaMgSiO3", 1, 4.8295)};
  lib.entries[0].cell = {11.105, 6.381, 4.821, 90, 90, 90};
  lib.entries[1].cell = {4.8295, 6.3872, 11.1083, 90, 90, 90};
  lib.entries[2].cell = lib.entries[0].cell;
  lib.entries[3].cell = {4.8295, 6.3872, 11.1083, 92.1, 97.3, 90};
  lib.entries[0].elements = lib.entries[1].elements = lib.entries[3].elements = {"Ca", "Mg", "O", "Si"};
  lib.entries[2].elements = {"Mg", "O", "Si"};
  for (auto& e : lib.entries) e.fill = 2.0;
  lib.entries[1].fill = lib.entries[3].fill = 0.51;
  CHECK(identify::partial_record(lib.entries[1]));   // P 1 in an orthorhombic cell
  CHECK_FALSE(identify::partial_record(lib.entries[0]));
  CHECK_FALSE(identify::partial_record(lib.entries[3]));  // a triclinic cell: it may be complete
  CHECK(identify::same_phase(lib, 0, 1));
  CHECK(identify::same_phase(lib, 1, 0));
  CHECK_FALSE(identify::same_phase(lib, 2, 1));  // other elements
  lib.entries[3].fill = 0.3;                      // lacks atoms: a record of the structure too
  CHECK(identify::partial_record(lib.entries[3]));
  CHECK_FALSE(identify::same_phase(lib, 0, 3));  // but not of this cell
  // In a ranking: the record joins the complete structure's row; ranked first, it leads a row
  // of its own and the structure keeps its own.
  const auto joined = identify::rows_by_phase(lib, {0, 2, 1}, 5);
  REQUIRE(joined.size() == 2);
  CHECK(joined[0].also == std::vector<std::size_t>{2});
  const auto apart = identify::rows_by_phase(lib, {1, 0, 2}, 5);
  REQUIRE(apart.size() == 3);
  CHECK(apart[0].also.empty());
  CHECK(apart[1].position == 1);
  lib.entries[1].cell[0] = std::nan("");
  CHECK_FALSE(identify::same_phase(lib, 0, 1));
}

TEST_CASE("rows_by_phase: five rows are five phases, every source listed") {
  const auto lib = library();
  const std::vector<std::size_t> ranked{0, 1, 2, 3, 4, 5, 6, 7};
  const auto rows = identify::rows_by_phase(lib, ranked, 3);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].position == 0);
  CHECK(rows[0].also == std::vector<std::size_t>{1, 3});
  CHECK(rows[1].position == 2);  // Au
  CHECK(rows[2].position == 4);  // the compressed Ag cell
  const auto all = identify::rows_by_phase(lib, ranked, 10);
  REQUIRE(all.size() == 5);
  CHECK(all[4].position == 6);
  CHECK(all[4].also == std::vector<std::size_t>{7});
  CHECK(identify::rows_by_phase(lib, {}, 5).empty());
}
