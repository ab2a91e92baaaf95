// Text / JSON forms of patterns and sticks, and atomic file writes (temp file + rename).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/atomic_file.hpp"

#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"
#include "xrd/powder.hpp"

namespace xrdid::xrd {

// Two columns "2θ intensity", one line per grid point.
std::string format_xy(const Pattern& p);
// {"formula","spacegroup","wavelength","sticks":[{"two_theta","d","intensity","hkl":[[h,k,l],…],"multiplicity"}]}
nlohmann::json sticks_to_json(const Crystal& c, const Sticks& s);
// {"formula","spacegroup","wavelength","two_theta":[…],"intensity":[…]}
nlohmann::json pattern_to_json(const Crystal& c, const Pattern& p);
// Text table of sticks: "2θ d intensity multiplicity h k l" (hkl of the first merged point).
std::string format_sticks(const Sticks& s);

// Writes `content` to `path` atomically: a temporary file in the same directory, then
// rename(2). On failure the temporary is removed, `path` is untouched, and a
// std::runtime_error names the file.
using common::write_file_atomic;

}  // namespace xrdid::xrd
