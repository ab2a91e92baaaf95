// Pattern: intensities on a 2θ grid (uniform or not), the seam between simulation, file
// readers, denoising, augmentation and identification.
#pragma once
#include <string>
#include <vector>

namespace xrdid::xrd {

// Wavelength(s) of the radiation that made a pattern. alpha2 = 0 means a single line.
struct Wavelength {
  double alpha1 = 0.0;       // Å; 0 = unknown
  double alpha2 = 0.0;       // Å; 0 = none
  double ratio21 = 0.5;      // I(Kα2)/I(Kα1)
  bool known() const { return alpha1 > 0.0; }
};

struct Pattern {
  std::vector<double> two_theta;  // degrees, strictly increasing
  std::vector<float> intensity;   // same length as two_theta
  Wavelength wavelength;
  std::string source;             // file path or a description of where it came from
  std::size_t size() const { return two_theta.size(); }
};

}  // namespace xrdid::xrd
