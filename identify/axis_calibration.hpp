// Calibration of a pattern's 2θ axis against the reference lines of the phases fitted to it.
//
// A goniometer whose 2θ reads off by a factor (a scale error of the step size or the encoder)
// moves every line by an amount that grows linearly with 2θ; a wrong wavelength, by one that
// grows as tan θ. A fit with the cells free absorbs either one into the cells and the zero
// shift only in part, so that weak lines stay off. Here the fitted phases are drawn at their
// reference cells (the CIF's, with each reflection's fitted intensity and the fitted widths),
// and the map from the file's axis to the true one is chosen where the measured peaks (observed
// less background, square-root intensities) best meet the drawn lines (the largest cosine), on a
// grid and then on a finer one around its best point, among two kinds: a linear axis,
// 2θ' = slope · 2θ + offset, and a wavelength λ' = d_scale · λ after a zero shift, 2θ' = 2θ +
// offset — the calibration an internal standard gives, with the identified phases as the standard.
#pragma once
#include "identify/mixture_fit.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::identify {

struct AxisMap {
  // True 2θ = slope · file's 2θ + offset (degrees), on the wavelength × d_scale (every d-spacing
  // read × d_scale); one of slope and d_scale is 1.
  double slope = 1.0, offset = 0.0, d_scale = 1.0;
  double cosine = 0.0;               // of the measured peaks with the reference lines at that map
  double identity_cosine = 0.0;      // the same at slope 1, offset 0
  bool found = false;                // a map was chosen (the fit had phases with reflections)
};

struct AxisCalibrationOptions {
  double max_slope_change = 0.04;  // slopes and d-spacing scales searched in [1 − m, 1 + m]
  double max_offset = 1.0;         // offsets in [−m, m] degrees
};

// `fit` is a joint fit of the pattern (any wavelength: the reflections are taken by hkl at each
// phase's reference cell); `wavelength` the pattern's true one. Needs at least one phase with
// reflections; otherwise found = false.
AxisMap calibrate_axis(const MixtureFit& fit, const xrd::Wavelength& wavelength, const AxisCalibrationOptions& opt = {});

// The true 2θ (degrees) of a line the file puts at `two_theta` under the map (NaN where the scaled
// wavelength puts it beyond 180°).
double mapped_two_theta(const AxisMap& map, double two_theta);

// The pattern on its calibrated axis: two_theta mapped, the wavelength (`wavelength` when the
// pattern has none) × d_scale, intensities kept. Throws (XRDID_CHECK) when the map is not
// increasing or the scale not positive.
xrd::Pattern with_axis(const xrd::Pattern& measured, const AxisMap& map, const xrd::Wavelength& wavelength);

}  // namespace xrdid::identify
