// Mass and linear attenuation coefficients of crystals from the element table (Elam, Ravel &
// Sieber 2002) against an independent published tabulation: Chantler's FFAST tables (J. Phys.
// Chem. Ref. Data 29 (2000) 597), total attenuation, combined by mass fraction here:
//   μ/ρ (cm²/g)   Cu Kα (1.54184 Å)   Mo Kα (0.71073 Å)   Co Kα (1.79026 Å)
//   Si                62.44               6.39               94.89
//   NaCl              74.60               7.94              113.36
//   Al2O3             30.76               3.17               47.49
//   TiO2 (rutile)    123.29              14.16              183.70
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "xrd/absorption.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/elements.hpp"

using namespace xrdid;

namespace {
const std::string kTestCif = XRDID_TEST_DATA "/cif/";
const std::string kPhases = XRDID_SOURCE_DIR "/data/phases/";
}  // namespace

TEST_CASE("absorption: μ/ρ of compounds within 5 % of Chantler's FFAST tables at Cu, Mo and Co Kα") {
  struct Case {
    std::string cif;
    double cu, mo, co;
  };
  const Case cases[] = {{kTestCif + "Si.cif", 62.44, 6.39, 94.89},
                        {kTestCif + "NaCl.cif", 74.60, 7.94, 113.36},
                        {kPhases + "Al2O3_corundum.cif", 30.76, 3.17, 47.49},
                        {kPhases + "TiO2_rutile.cif", 123.29, 14.16, 183.70}};
  for (const Case& c : cases) {
    const xrd::Crystal cr = xrd::read_cif(c.cif);
    const double cu = xrd::mass_attenuation(cr, 1.54184), mo = xrd::mass_attenuation(cr, 0.71073),
                 co = xrd::mass_attenuation(cr, 1.79026);
    MESSAGE(c.cif << ": μ/ρ " << cu << " / " << mo << " / " << co << " cm²/g (FFAST " << c.cu << " / " << c.mo << " / "
                  << c.co << "), μ " << xrd::linear_attenuation(cr, 1.54184) << " /cm at Cu Kα");
    CHECK(std::abs(cu / c.cu - 1) < 0.05);
    CHECK(std::abs(mo / c.mo - 1) < 0.05);
    CHECK(std::abs(co / c.co - 1) < 0.05);
  }
  // Linear: Si (2.33 g/cm³) at Cu Kα, 2.329 × 62.44 = 145.4 cm⁻¹ by FFAST.
  const xrd::Crystal si = xrd::read_cif(kTestCif + "Si.cif");
  CHECK(xrd::density_g_cm3(si) == doctest::Approx(2.329).epsilon(0.005));
  CHECK(std::abs(xrd::linear_attenuation(si, 1.54184) / 145.4 - 1) < 0.05);
  // A refined cell 1 % longer: density and μ down by 1.01³.
  CHECK(xrd::linear_attenuation(si, 1.54184, si.volume() * std::pow(1.01, 3)) ==
        doctest::Approx(xrd::linear_attenuation(si, 1.54184) / std::pow(1.01, 3)).epsilon(1e-12));
}

TEST_CASE("absorption: Kα1, Kα2 and Kα of an anode share its row; other wavelengths are refused by name") {
  CHECK(xrd::attenuation_line(1.540598) == "CuKa");
  CHECK(xrd::attenuation_line(1.544426) == "CuKa");
  CHECK(xrd::attenuation_line(0.70930) == "MoKa");
  CHECK(xrd::attenuation_line(1.78896) == "CoKa");
  CHECK(xrd::attenuation_line(1.39222).empty());  // Cu Kβ
  CHECK(xrd::attenuation_line(1.0).empty());
  const int fe = xrd::atomic_number("Fe");
  // Fe fluoresces under Cu Kα (above its K edge), not under Co Kα (below it).
  CHECK(xrd::element_mass_attenuation(fe, 1.54184) > 4 * xrd::element_mass_attenuation(fe, 1.79026));
  CHECK_THROWS_WITH_AS(xrd::element_mass_attenuation(fe, 1.0), doctest::Contains("CuKa 1.5418"), std::invalid_argument);
  CHECK_THROWS_AS(xrd::element_mass_attenuation(0, 1.54184), std::invalid_argument);
}
