// Named X-ray wavelengths (pymatgen's WAVELENGTHS table; Cu Kα1/Kα2 from Hölzer 1997).
#include "xrd/wavelengths.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace xrdid::xrd {
namespace {

struct Named {
  const char* name;
  double a1, a2;
};

// Doublets use I(Kα2)/I(Kα1) = 0.5.
constexpr Named kNamed[] = {
    {"CuKa", 1.54184, 0},     {"CuKa1", 1.540598, 0}, {"CuKa2", 1.544426, 0}, {"CuKb1", 1.39222, 0},
    {"CuKa12", 1.540598, 1.544426}, {"CuKa1+Ka2", 1.540598, 1.544426}, {"CuKa-doublet", 1.540598, 1.544426},
    {"MoKa", 0.71073, 0},     {"MoKa1", 0.70930, 0},  {"MoKa2", 0.71359, 0},  {"MoKb1", 0.63229, 0},
    {"MoKa12", 0.70930, 0.71359},
    {"CrKa", 2.29100, 0},     {"CrKa1", 2.28970, 0},  {"CrKa2", 2.29361, 0},  {"CrKb1", 2.08487, 0},
    {"FeKa", 1.93735, 0},     {"FeKa1", 1.93604, 0},  {"FeKa2", 1.93998, 0},  {"FeKb1", 1.75661, 0},
    {"CoKa", 1.79026, 0},     {"CoKa1", 1.78896, 0},  {"CoKa2", 1.79285, 0},  {"CoKb1", 1.63079, 0},
    {"CoKa12", 1.78896, 1.79285},
    {"AgKa", 0.560885, 0},    {"AgKa1", 0.559421, 0}, {"AgKa2", 0.563813, 0}, {"AgKb1", 0.497082, 0},
};

bool iequal(std::string_view x, std::string_view y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(x[i])) != std::tolower(static_cast<unsigned char>(y[i]))) return false;
  return true;
}

}  // namespace

Wavelength parse_wavelength(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  for (const Named& n : kNamed)
    if (iequal(text, n.name)) {
      Wavelength w;
      w.alpha1 = n.a1;
      w.alpha2 = n.a2;
      w.ratio21 = 0.5;
      return w;
    }
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !(v > 0) || !std::isfinite(v))
    throw std::invalid_argument("unknown wavelength '" + std::string(text) +
                                "' (a name such as CuKa, CuKa1, CuKa12, MoKa, or a number in Å)");
  Wavelength w;
  w.alpha1 = v;
  return w;
}

std::vector<std::string> wavelength_names() {
  std::vector<std::string> out;
  for (const Named& n : kNamed) out.emplace_back(n.name);
  return out;
}

}  // namespace xrdid::xrd
