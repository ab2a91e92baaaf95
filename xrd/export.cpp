// Pattern / sticks serialisation and atomic file writing.
#include "xrd/export.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace xrdid::xrd {

std::string format_xy(const Pattern& p) {
  std::string out;
  out.reserve(p.size() * 24);
  char buf[64];
  for (std::size_t i = 0; i < p.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.6f %.6g\n", p.two_theta[i], static_cast<double>(p.intensity[i]));
    out += buf;
  }
  return out;
}

namespace {
std::string spacegroup_of(const Crystal& c) {
  if (!c.spacegroup_symbol.empty()) return c.spacegroup_symbol;
  return c.spacegroup_number > 0 ? std::to_string(c.spacegroup_number) : "";
}
}  // namespace

nlohmann::json sticks_to_json(const Crystal& c, const Sticks& s) {
  nlohmann::json j;
  j["formula"] = reduced_formula(c);
  j["spacegroup"] = spacegroup_of(c);
  j["wavelength"] = s.wavelength;
  nlohmann::json arr = nlohmann::json::array();
  for (const Stick& st : s.sticks) {
    nlohmann::json hkl = nlohmann::json::array();
    for (const auto& m : st.hkl) hkl.push_back({m[0], m[1], m[2]});
    arr.push_back({{"two_theta", st.two_theta}, {"d", st.d}, {"intensity", st.intensity}, {"hkl", hkl},
                   {"multiplicity", st.multiplicity}});
  }
  j["sticks"] = arr;
  return j;
}

nlohmann::json pattern_to_json(const Crystal& c, const Pattern& p) {
  nlohmann::json j;
  j["formula"] = reduced_formula(c);
  j["spacegroup"] = spacegroup_of(c);
  j["wavelength"] = p.wavelength.alpha2 > 0 ? nlohmann::json{p.wavelength.alpha1, p.wavelength.alpha2}
                                            : nlohmann::json(p.wavelength.alpha1);
  j["two_theta"] = p.two_theta;
  j["intensity"] = p.intensity;
  return j;
}

std::string format_sticks(const Sticks& s) {
  std::string out = "# two_theta d intensity multiplicity h k l\n";
  char buf[128];
  for (const Stick& st : s.sticks) {
    std::snprintf(buf, sizeof buf, "%.6f %.6f %.6f %d %d %d %d\n", st.two_theta, st.d, st.intensity, st.multiplicity,
                  st.hkl[0][0], st.hkl[0][1], st.hkl[0][2]);
    out += buf;
  }
  return out;
}


}  // namespace xrdid::xrd
