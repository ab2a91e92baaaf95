// How a pattern row becomes a model input, shared by training (`--augment measured`) and
// identification (library references, queries), so both present patterns the same way.
#pragma once
#include <cmath>
#include <cstddef>

namespace xrdid::denoise {

// v^exponent for v > 0 (exponent < 1 compresses intensities as the profile search does).
inline double compress_input(double v, double exponent) { return exponent == 1.0 || v <= 0 ? v : std::pow(v, exponent); }

// In place on row[0..n): the measured window [lo, hi) is kept — through the clean-up before
// matching when `clean` (denoise/cleanup.hpp) — scaled to maximum 1 and compressed; the rest
// is zero. A window with no positive value becomes all zeros.
void model_input_row(float* row, std::size_t n, std::size_t lo, std::size_t hi, double step_deg, bool clean,
                     double exponent);

}  // namespace xrdid::denoise
