// libxrdid: measured-pattern files and simulated powder patterns.
#include <cmath>
#include <string>

#include <xrdid/xrdid.h>

#include "capi/c_boundary.hpp"
#include "capi/handles.hpp"
#include "common/check.hpp"
#include "io/pattern_io.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/render.hpp"

using xrdid::capi::guarded;

namespace {

// The simulated pattern of `crystal` on the caller's grid, written to intensity.
void simulate_onto(const char* fn, const xrdid::xrd::Crystal& crystal, double wavelength, const double* two_theta,
                   std::size_t n, double* intensity) {
  const std::string f(fn);
  XRDID_CHECK(std::isfinite(wavelength) && wavelength > 0,
              f + ": the wavelength must be a positive number of Å, got " + xrdid::capi::number_text(wavelength));
  XRDID_CHECK(two_theta != nullptr && intensity != nullptr, f + ": two_theta or intensity is NULL");
  XRDID_CHECK(n >= 1 && n <= xrdid::xrd::kMaxGridPoints,
              f + ": the grid needs 1 to " + std::to_string(xrdid::xrd::kMaxGridPoints) + " points, got " + std::to_string(n));
  std::vector<double> grid(two_theta, two_theta + n);
  for (std::size_t i = 0; i < n; ++i) {
    XRDID_CHECK(std::isfinite(grid[i]) && grid[i] >= 0 && grid[i] <= 180,
                f + ": two_theta[" + std::to_string(i) + "] is not an angle in [0, 180]");
    XRDID_CHECK(i == 0 || grid[i] > grid[i - 1], f + ": two_theta must increase strictly (point " + std::to_string(i) + ")");
  }
  const xrdid::xrd::Pattern p = xrdid::xrd::simulate_pattern(crystal, {wavelength, 0.0, 0.5}, grid);
  for (std::size_t i = 0; i < n; ++i) intensity[i] = p.intensity[i];
}

}  // namespace

extern "C" {

xrdid_pattern* xrdid_pattern_read(const char* path) {
  return guarded<xrdid_pattern*>(nullptr, [&] {
    XRDID_CHECK(path != nullptr && *path != '\0', "xrdid_pattern_read: no path given");
    const xrdid::xrd::Pattern p = xrdid::io::read_pattern(path);
    auto out = std::make_unique<xrdid_pattern>();
    out->two_theta = p.two_theta;
    out->intensity.assign(p.intensity.begin(), p.intensity.end());
    out->wavelength = p.wavelength.alpha1;
    out->alpha2 = p.wavelength.alpha2;
    out->ratio21 = p.wavelength.ratio21;
    return out.release();
  });
}

void xrdid_pattern_close(xrdid_pattern* pattern) { delete pattern; }
size_t xrdid_pattern_size(const xrdid_pattern* pattern) { return pattern ? pattern->two_theta.size() : 0; }
const double* xrdid_pattern_two_theta(const xrdid_pattern* pattern) { return pattern ? pattern->two_theta.data() : nullptr; }
const double* xrdid_pattern_intensity(const xrdid_pattern* pattern) { return pattern ? pattern->intensity.data() : nullptr; }
double xrdid_pattern_wavelength(const xrdid_pattern* pattern) { return pattern ? pattern->wavelength : 0.0; }
double xrdid_pattern_alpha2(const xrdid_pattern* pattern, double* ratio) {
  if (ratio != nullptr) *ratio = pattern ? pattern->ratio21 : 0.5;
  return pattern ? pattern->alpha2 : 0.0;
}

int xrdid_simulate(const char* cif_path, double wavelength_angstrom, const double* two_theta, size_t n,
                   double* intensity) {
  return guarded<int>(-1, [&] {
    XRDID_CHECK(cif_path != nullptr && *cif_path != '\0', "xrdid_simulate: no CIF path given");
    simulate_onto("xrdid_simulate", xrdid::xrd::read_cif(cif_path), wavelength_angstrom, two_theta, n, intensity);
    return 0;
  });
}

int xrdid_simulate_cif_text(const char* cif_text, double wavelength_angstrom, const double* two_theta, size_t n,
                            double* intensity) {
  return guarded<int>(-1, [&] {
    XRDID_CHECK(cif_text != nullptr && *cif_text != '\0', "xrdid_simulate_cif_text: no CIF text given");
    simulate_onto("xrdid_simulate_cif_text", xrdid::xrd::read_cif_string(cif_text, "CIF text"), wavelength_angstrom,
                  two_theta, n, intensity);
    return 0;
  });
}

}  // extern "C"
