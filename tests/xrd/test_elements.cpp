// Element table, scattering factors (docs/method.md §3.3 rows and worked LiF values) and wavelengths.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "xrd/elements.hpp"
#include "xrd/wavelengths.hpp"

using namespace xrdid::xrd;

TEST_CASE("scattering table rows and worked values") {
  CHECK(atomic_number("Li") == 3);
  CHECK(atomic_number("Cf") == 98);
  CHECK(atomic_number("D") == 1);
  CHECK(atomic_number("Xx") == 0);
  CHECK(element_symbol(26) == "Fe");
  const ScatteringCoeffs& li = scattering_coeffs(3);
  CHECK(li.a[0] == 1.611);
  CHECK(li.b[0] == 107.638);
  CHECK(li.a[3] == 0.099);
  CHECK(li.b[3] == 0.495);
  const ScatteringCoeffs& o = scattering_coeffs(8);
  CHECK(o.a[1] == 0.917);
  CHECK(o.b[2] == 2.144);
  // LiF (200), a = 4.027 Å: s = 1/(2d) = 0.24832 Å⁻¹ → f_Li = 1.62196, f_F = 5.86744 (§3.3).
  const double s = 1.0 / (2.0 * 4.027 / 2.0);
  CHECK(scattering_factor(3, s * s) == doctest::Approx(1.62196).epsilon(2e-6));
  CHECK(scattering_factor(9, s * s) == doctest::Approx(5.86744).epsilon(2e-6));
  CHECK(scattering_factor(26, 0.0) == 26.0);
  CHECK_THROWS_AS(scattering_coeffs(99), std::out_of_range);
  CHECK(electronegativity(9) == doctest::Approx(3.98));
  CHECK(std::isnan(electronegativity(2)));
}

TEST_CASE("element symbols from CIF type symbols and labels") {
  CHECK(parse_element_symbol("Fe3+") == "Fe");
  CHECK(parse_element_symbol("O2-") == "O");
  CHECK(parse_element_symbol("O1") == "O");
  CHECK(parse_element_symbol("CA1") == "Ca");
  CHECK(parse_element_symbol("Os4") == "Os");
  CHECK(parse_element_symbol("D") == "H");
  CHECK(parse_element_symbol("D12") == "H");
  CHECK(parse_element_symbol("Dy1") == "Dy");
  CHECK(parse_element_symbol("Ow") == "O");
  CHECK(parse_element_symbol("Wat") == "O");
  CHECK(parse_element_symbol("Wat10") == "O");
  CHECK(parse_element_symbol("W1") == "W");
  CHECK(parse_element_symbol("O-H2") == "O");
  CHECK(parse_element_symbol("Qx") == "");
  CHECK(parse_element_symbol("1A") == "");
  CHECK(parse_element_symbol("") == "");
}

TEST_CASE("wavelengths by name or number") {
  CHECK(parse_wavelength("CuKa").alpha1 == 1.54184);
  CHECK(parse_wavelength("cuka1").alpha1 == 1.540598);
  CHECK(parse_wavelength("CuKa2").alpha1 == 1.544426);
  Wavelength d = parse_wavelength("CuKa12");
  CHECK(d.alpha1 == 1.540598);
  CHECK(d.alpha2 == 1.544426);
  CHECK(d.ratio21 == 0.5);
  CHECK(parse_wavelength("MoKa").alpha1 == 0.71073);
  CHECK(parse_wavelength("CoKa").alpha1 == 1.79026);
  CHECK(parse_wavelength("FeKa").alpha1 == 1.93735);
  CHECK(parse_wavelength("CrKa").alpha1 == 2.29100);
  CHECK(parse_wavelength("AgKa").alpha1 == 0.560885);
  CHECK(parse_wavelength(" 1.5406 ").alpha1 == 1.5406);
  CHECK(parse_wavelength("CuKa").alpha2 == 0.0);
  CHECK_THROWS_AS(parse_wavelength("ZzKa"), std::invalid_argument);
  CHECK_THROWS_AS(parse_wavelength("-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_wavelength("1.5x"), std::invalid_argument);
}
