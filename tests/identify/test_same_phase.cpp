// One row per phase: entries of one phase from several sources merge; different phases, space
// groups or cells do not.
#include <doctest/doctest.h>

#include <cmath>

#include "identify/same_phase.hpp"

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
