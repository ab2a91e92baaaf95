#include "identify/axis_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/check.hpp"
#include "identify/fit_model.hpp"

namespace xrdid::identify {
namespace {

constexpr double kDeg = 3.14159265358979323846 / 180.0;

// The reference lines drawn on a uniform grid of true 2θ, square-root intensities.
struct Drawn {
  double start = 0.0, step = 0.005;
  std::vector<double> y;
  double at(double t) const {
    const double u = (t - start) / step;
    if (!(u >= 0.0)) return 0.0;
    const auto i = static_cast<std::size_t>(u);
    if (i + 1 >= y.size()) return 0.0;
    const double f = u - static_cast<double>(i);
    return y[i] + f * (y[i + 1] - y[i]);
  }
};

void add_line(Drawn& d, double two_theta, double area, double fwhm) {
  const double sigma = fwhm / 2.354820045;
  const double height = area / (sigma * 2.506628275);
  const double lo = two_theta - 4.0 * sigma, hi = two_theta + 4.0 * sigma;
  const auto n = static_cast<std::ptrdiff_t>(d.y.size());
  for (std::ptrdiff_t i = std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(std::ceil((lo - d.start) / d.step)));
       i < n; ++i) {
    const double t = d.start + static_cast<double>(i) * d.step;
    if (t > hi) break;
    const double z = (t - two_theta) / sigma;
    d.y[static_cast<std::size_t>(i)] += height * std::exp(-0.5 * z * z);
  }
}

Drawn draw_reference_lines(const MixtureFit& fit, const xrd::Wavelength& wl, double t_lo, double t_hi) {
  Drawn d;
  d.start = t_lo;
  d.y.assign(static_cast<std::size_t>((t_hi - t_lo) / d.step) + 2, 0.0);
  for (const PhaseShare& ph : fit.phases) {
    if (!(ph.cell_start[0] > 0.0)) continue;
    const fit_detail::Metric g = fit_detail::metric_of_cell(ph.cell_start);
    for (const FitReflection& r : ph.reflections) {
      const double h = r.hkl[0], k = r.hkl[1], l = r.hkl[2];
      const double q = g[0] * h * h + g[1] * k * k + g[2] * l * l + 2.0 * (g[3] * k * l + g[4] * h * l + g[5] * h * k);
      if (!(q > 0.0) || !(r.intensity > 0.0)) continue;
      const double dsp = 1.0 / std::sqrt(q);
      const struct {
        double lambda, weight;
      } lines[2] = {{wl.alpha1, 1.0}, {wl.alpha2, wl.alpha2 > 0.0 ? wl.ratio21 : 0.0}};
      for (const auto& line : lines) {
        const double s = line.lambda / (2.0 * dsp);
        if (!(line.weight > 0.0) || !(s < 1.0)) continue;
        const double theta = std::asin(s);
        const double tn = std::tan(theta);
        const double fwhm2 = fit.U * tn * tn + fit.V * tn + ph.fwhm_w;
        add_line(d, 2.0 * theta / kDeg, r.intensity * line.weight, std::sqrt(std::max(fwhm2, 0.02 * 0.02)));
      }
    }
  }
  for (double& v : d.y) v = std::sqrt(std::max(v, 0.0));
  return d;
}

// 2θ in degrees of the angle whose half has sine s (NaN for s >= 1).
double angle_of_half_sine(double s) { return s < 1.0 ? 2.0 * std::asin(s) / kDeg : std::numeric_limits<double>::quiet_NaN(); }

// Where the file's 2θ x falls among the lines drawn on the file's wavelength: slope · x + offset
// (a linear axis), or, with the wavelength × d_scale, the angle of the same d-spacing,
// sin θ_drawn = sin((x + offset) / 2) / d_scale (NaN beyond 180°).
double drawn_angle(double x, double p, double offset, bool wavelength) {
  if (!wavelength) return p * x + offset;
  return angle_of_half_sine(std::sin(0.5 * (x + offset) * kDeg) / p);
}

// Cosine of the measured peaks a with the drawn lines at the angles angle(i) of the file's points.
template <class Angle>
double cosine_at(std::size_t n, const std::vector<double>& a, double a_norm, const Drawn& d, Angle angle) {
  double dot = 0.0, cc = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double c = d.at(angle(i));
    dot += a[i] * c;
    cc += c * c;
  }
  return cc > 0.0 ? dot / (a_norm * std::sqrt(cc)) : 0.0;
}

// The cosine at every point (p0 + dp·i, o0 + dz·j) of a grid of maps (p: slope or d_scale), row
// by row in p: the offsets are shared among the threads, and with the wavelength scaled each
// offset's sin((x + offset) / 2) is taken once for all p.
std::vector<double> cosine_grid(const std::vector<double>& x, const std::vector<double>& a, double a_norm, const Drawn& d,
                                bool wavelength, double p0, int np, double dp, double o0, int no, double dz) {
  const std::size_t n = x.size();
  std::vector<double> c(static_cast<std::size_t>(np + 1) * static_cast<std::size_t>(no + 1));
#pragma omp parallel for schedule(static)
  for (int j = 0; j <= no; ++j) {
    const double o = o0 + dz * j;
    std::vector<double> half_sin;
    if (wavelength) {
      half_sin.resize(n);
      for (std::size_t i = 0; i < n; ++i) half_sin[i] = std::sin(0.5 * (x[i] + o) * kDeg);
    }
    for (int i = 0; i <= np; ++i) {
      const double p = p0 + dp * i;
      double& out = c[static_cast<std::size_t>(i) * static_cast<std::size_t>(no + 1) + static_cast<std::size_t>(j)];
      if (wavelength)
        out = cosine_at(n, a, a_norm, d, [&](std::size_t k) { return angle_of_half_sine(half_sin[k] / p); });
      else
        out = cosine_at(n, a, a_norm, d, [&](std::size_t k) { return p * x[k] + o; });
    }
  }
  return c;
}

}  // namespace

AxisMap calibrate_axis(const MixtureFit& fit, const xrd::Wavelength& wavelength, const AxisCalibrationOptions& opt) {
  XRDID_CHECK(wavelength.known(), "axis calibration: the pattern's wavelength is unknown");
  XRDID_CHECK(opt.max_slope_change > 0.0 && opt.max_slope_change < 0.5 && opt.max_offset >= 0.0,
              "axis calibration: the slope range must lie in (0, 0.5) and the offset range be >= 0");
  AxisMap map;
  const std::size_t n = fit.two_theta.size();
  if (n < 3 || fit.observed.size() != n || fit.background.size() != n) return map;
  std::vector<double> a(n);
  double a2 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = std::sqrt(std::max(fit.observed[i] - fit.background[i], 0.0));
    a2 += a[i] * a[i];
  }
  if (!(a2 > 0.0) || !std::isfinite(a2)) return map;
  const double a_norm = std::sqrt(a2);
  const double x_lo = fit.two_theta.front(), x_hi = fit.two_theta.back();
  const double m = opt.max_slope_change;
  const Drawn d = draw_reference_lines(fit, wavelength, std::max(0.0, x_lo * (1.0 - m) - opt.max_offset - 1.0),
                                       std::min(179.0, x_hi * (1.0 + m) + opt.max_offset + 1.0));
  // For each kind, a coarse grid (a step of the slope or the scale moves the far end of the scan
  // by a tenth of a degree at most), then a grid ten times finer around its best point.
  const double offset_step = 0.02;
  for (const bool wavelength : {false, true}) {
    const double far = wavelength ? 2.0 * std::tan(std::min(0.5 * x_hi, 80.0) * kDeg) / kDeg : x_hi;
    const double step = std::min(0.0005, 0.1 / std::max(far, 1.0));
    double best = -1.0, bp = 1.0, bo = 0.0;
    const auto scan = [&](double p0, double p1, double dp, double o0, double o1, double dz) {
      const int np = static_cast<int>(std::lround((p1 - p0) / dp)), no = static_cast<int>(std::lround((o1 - o0) / dz));
      const std::vector<double> c = cosine_grid(fit.two_theta, a, a_norm, d, wavelength, p0, np, dp, o0, no, dz);
      for (int i = 0; i <= np; ++i)
        for (int j = 0; j <= no; ++j) {
          const double cij = c[static_cast<std::size_t>(i) * static_cast<std::size_t>(no + 1) + static_cast<std::size_t>(j)];
          if (cij > best) best = cij, bp = p0 + dp * i, bo = o0 + dz * j;
        }
    };
    scan(1.0 - m, 1.0 + m, step, -opt.max_offset, opt.max_offset, offset_step);
    const double p_mid = bp, o_mid = bo;
    scan(p_mid - step, p_mid + step, step / 10.0, o_mid - offset_step, o_mid + offset_step, offset_step / 10.0);
    if (!(best > map.cosine)) continue;
    map.cosine = best;
    map.slope = wavelength ? 1.0 : bp;
    map.d_scale = wavelength ? bp : 1.0;
    map.offset = bo;
    map.found = true;
  }
  map.identity_cosine = cosine_at(n, a, a_norm, d, [&](std::size_t k) { return fit.two_theta[k]; });
  return map;
}

double mapped_two_theta(const AxisMap& map, double two_theta) {
  return map.d_scale != 1.0 ? drawn_angle(two_theta, map.d_scale, map.offset, true)
                            : drawn_angle(two_theta, map.slope, map.offset, false);
}

xrd::Pattern with_axis(const xrd::Pattern& measured, const AxisMap& map, const xrd::Wavelength& wavelength) {
  XRDID_CHECK(map.slope > 0.0 && std::isfinite(map.slope) && std::isfinite(map.offset),
              "axis calibration: the 2θ map must be increasing");
  XRDID_CHECK(map.d_scale > 0.0 && std::isfinite(map.d_scale), "axis calibration: the d-spacing scale must be positive");
  xrd::Pattern p = measured;
  for (double& t : p.two_theta) t = map.slope * t + map.offset;
  if (map.d_scale != 1.0) {
    if (!p.wavelength.known()) p.wavelength = wavelength;
    p.wavelength.alpha1 *= map.d_scale;
    p.wavelength.alpha2 *= map.d_scale;
  }
  return p;
}

}  // namespace xrdid::identify
