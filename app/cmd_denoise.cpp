// `xrdid denoise`: remove the baseline of a measured pattern with BEADS (default) or SNIP and
// write the peak signal (and optionally the baseline, an SVG plot) on the input's 2θ grid.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>

#include "denoise/beads.hpp"
#include "denoise/snip.hpp"
#include "io/pattern_io.hpp"
#include "io/svg_plot.hpp"
#include "app/command.hpp"
#include "io/pattern_formats.hpp"

namespace {

// BEADS options left unset take beads_xrd_defaults(step of the input grid).
struct DenoiseArgs {
  std::string in, out, baseline_out, plot;
  std::string method = "beads";
  std::optional<int> d, iterations;
  std::optional<double> fc, period_deg, r, lam0, lam1, lam2, extend_sigma, eps;
  int time_runs = 0;
  std::string penalty = "l1v2";
  bool no_extend = false;
  xrdid::denoise::SnipParams snip;
  bool no_lls = false;
};

}  // namespace

std::function<int()> xrdid::cli::setup_denoise(CLI::App* sub) {
  auto a = std::make_shared<DenoiseArgs>();
  const auto def = xrdid::denoise::beads_xrd_defaults(0.01);
  sub->add_option("IN", a->in, "input pattern (" + xrdid::io::pattern_extension_list() + ")")->required();
  sub->add_option("-o,--output", a->out, "output .xy: the peak signal x on the input 2θ grid")->required();
  sub->add_option("--baseline-out", a->baseline_out, "also write the baseline f as .xy");
  sub->add_option("--method", a->method, "beads | snip")->capture_default_str()->check(CLI::IsMember({"beads", "snip"}));
  sub->add_option("--plot", a->plot, "write an SVG plot of the input, baseline and peak signal");
  sub->add_option("--d", a->d, "BEADS filter order 2d: 1 (default, recommended) or 2")->check(CLI::IsMember({1, 2}));
  sub->add_option("--fc", a->fc, "BEADS high-pass cut-off in cycles/sample (default: 2θ step / 8°)")->check(xrdid::cli::kFinite)->check(CLI::Range(1e-6, 0.499));
  sub->add_option("--period", a->period_deg, "BEADS baseline period in degrees 2θ, sets fc = step/period (default 8)")
      ->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber)->excludes("--fc");
  sub->add_option("--r", a->r, "BEADS asymmetry ratio (default " + std::to_string(def.r) + ")")->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--lam0", a->lam0, "BEADS λ0 on x, for the pattern scaled to max 100 (default 0.2)")->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--lam1", a->lam1, "BEADS λ1 on the 1st derivative (default 2)")->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--lam2", a->lam2, "BEADS λ2 on the 2nd derivative (default 2)")->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--iterations", a->iterations, "BEADS MM iterations (default 15)")->check(xrdid::cli::kFinite)->check(CLI::Range(1, 1000));
  sub->add_option("--penalty", a->penalty, "BEADS derivative penalty: l1v1 | l1v2")->capture_default_str()->check(CLI::IsMember({"l1v1", "l1v2"}));
  sub->add_flag("--no-extend", a->no_extend, "BEADS: no sigmoid edge extension");
  sub->add_option("--extend-sigma", a->extend_sigma, "BEADS edge extension: sigmoid scale in samples, 10σ per side (default 100)")
      ->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--eps", a->eps, "BEADS ε0 = ε1 smoothing constants (default 1e-3; docs/method.md §6.4 gives 1e-6, too small to reproduce on XRD data)")
      ->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_option("--time-runs", a->time_runs, "also time the baseline step: best CPU time of this many runs, printed to stderr")
      ->check(xrdid::cli::kFinite)->check(CLI::Range(0, 100000));
  sub->add_option("--snip-iterations", a->snip.iterations, "SNIP largest half-window in samples")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(1, 100000));
  sub->add_flag("--no-lls", a->no_lls, "SNIP: no log-log-sqrt transform");
  return std::function<int()>([a] {
    namespace io = xrdid::io;
    namespace dn = xrdid::denoise;
    io::ReadReport rep;
    const io::Pattern p = io::read_pattern(a->in, &rep);
    for (const auto& s : rep.repairs) std::fprintf(stderr, "xrdid: note: %s: %s\n", a->in.c_str(), s.c_str());
    for (const auto& s : rep.warnings) std::fprintf(stderr, "xrdid: warning: %s: %s\n", a->in.c_str(), s.c_str());
    std::vector<double> y(p.intensity.begin(), p.intensity.end());
    std::vector<double> x, f;
    auto time_it = [&](auto&& fn, const char* what, int iterations) {
      if (a->time_runs <= 0) return;
      double best = 1e300;
      for (int k = 0; k < a->time_runs; ++k) {
        const std::clock_t t0 = std::clock();
        fn();
        best = std::min(best, 1e3 * static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC);
      }
      std::fprintf(stderr, "xrdid: timing: %s N=%zu %d iterations: best of %d: %.2f ms CPU\n", what, y.size(),
                   iterations, a->time_runs, best);
    };
    if (a->method == "snip") {
      a->snip.lls = !a->no_lls;
      f = dn::snip(y, a->snip);
      time_it([&] { dn::snip(y, a->snip); }, "SNIP", a->snip.iterations);
      x.resize(y.size());
      for (std::size_t i = 0; i < y.size(); ++i) x[i] = y[i] - f[i];
    } else {
      const double step = io::median_step(p);
      dn::BeadsParams bp = dn::beads_xrd_defaults(step);
      if (a->d) bp.d = *a->d;
      if (a->fc) bp.fc = *a->fc;
      if (a->period_deg) {
        bp.fc = step / *a->period_deg;
        if (!(bp.fc > 0.0 && bp.fc < 0.5))
          throw std::runtime_error(a->in + ": --period " + std::to_string(*a->period_deg) +
                                   " gives fc outside (0, 0.5) for a 2θ step of " + std::to_string(step));
      }
      if (a->r) bp.r = *a->r;
      if (a->lam0) bp.lam0 = *a->lam0;
      if (a->lam1) bp.lam1 = *a->lam1;
      if (a->lam2) bp.lam2 = *a->lam2;
      if (a->iterations) bp.iterations = *a->iterations;
      if (a->extend_sigma) bp.extend_sigma = *a->extend_sigma;
      if (a->eps) bp.eps0 = bp.eps1 = *a->eps;
      bp.penalty = dn::parse_penalty(a->penalty);
      if (a->no_extend) bp.extend = false;
      dn::BeadsResult r = dn::beads_xrd(y, bp);
      x = std::move(r.x);
      f = std::move(r.f);
      time_it([&] { dn::beads_xrd(y, bp); }, "BEADS", bp.iterations);
    }
    io::Pattern px = p, pf = p;
    for (std::size_t i = 0; i < y.size(); ++i) {
      px.intensity[i] = static_cast<float>(x[i]);
      pf.intensity[i] = static_cast<float>(f[i]);
    }
    px.source = "peak signal (" + a->method + ") of " + a->in;
    pf.source = "baseline (" + a->method + ") of " + a->in;
    io::write_xy(a->out, px);
    if (!a->baseline_out.empty()) io::write_xy(a->baseline_out, pf);
    if (!a->plot.empty()) {
      io::PlotOptions opt;
      opt.title = a->in + " (" + a->method + ")";
      io::write_svg_plot(a->plot, {{"measured", p.two_theta, y, "#7f7f7f"}, {"baseline", p.two_theta, f, "#d62728"},
                                   {"peak signal", p.two_theta, x, "#1f77b4"}}, opt);
    }
    return 0;
  });
}
