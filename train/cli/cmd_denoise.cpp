// `xrdid denoise`: remove the baseline of a measured pattern with BEADS (default) or SNIP and
// write the peak signal (and optionally the baseline, an SVG plot) on the input's 2θ grid.
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "denoise/beads.hpp"
#include "denoise/snip.hpp"
#include "io/pattern_io.hpp"
#include "io/svg_plot.hpp"
#include "train/cli/registry.hpp"

namespace {

struct DenoiseArgs {
  std::string in, out, baseline_out, plot;
  std::string method = "beads";
  std::string penalty = "l1v2";
  xrdid::denoise::BeadsParams beads = xrdid::denoise::beads_xrd_defaults();
  double period_deg = 0.0;  // if > 0: fc = 2θ step / period
  bool no_extend = false;
  xrdid::denoise::SnipParams snip;
  bool no_lls = false;
};

xrdid::cli::Registrar reg{{"denoise", [](CLI::App& app) {
  auto a = std::make_shared<DenoiseArgs>();
  auto* sub = app.add_subcommand("denoise", "Remove the baseline of a pattern (BEADS or SNIP); write the peak signal as .xy");
  sub->add_option("IN", a->in, "input pattern (.xy .xye .csv .txt .dat .xrdml .ras)")->required();
  sub->add_option("-o,--output", a->out, "output .xy: the peak signal x on the input 2θ grid")->required();
  sub->add_option("--baseline-out", a->baseline_out, "also write the baseline f as .xy");
  sub->add_option("--method", a->method, "beads | snip")->capture_default_str()->check(CLI::IsMember({"beads", "snip"}));
  sub->add_option("--plot", a->plot, "write an SVG plot of the input, baseline and peak signal");
  auto& b = a->beads;
  sub->add_option("--d", b.d, "BEADS filter order 2d (1 or 2; 1 recommended)")->capture_default_str()->check(CLI::IsMember({1, 2}));
  sub->add_option("--fc", b.fc, "BEADS high-pass cut-off, cycles/sample")->capture_default_str()->check(CLI::Range(1e-6, 0.499));
  sub->add_option("--period", a->period_deg, "BEADS baseline period in degrees 2θ (sets fc = step/period; overrides --fc)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--r", b.r, "BEADS asymmetry ratio")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--lam0", b.lam0, "BEADS λ0 (signal), for the pattern scaled to max 100")->capture_default_str()->check(CLI::NonNegativeNumber);
  sub->add_option("--lam1", b.lam1, "BEADS λ1 (1st derivative)")->capture_default_str()->check(CLI::NonNegativeNumber);
  sub->add_option("--lam2", b.lam2, "BEADS λ2 (2nd derivative)")->capture_default_str()->check(CLI::NonNegativeNumber);
  sub->add_option("--iterations", b.iterations, "BEADS MM iterations")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--penalty", a->penalty, "BEADS derivative penalty: l1v1 | l1v2")->capture_default_str()->check(CLI::IsMember({"l1v1", "l1v2"}));
  sub->add_flag("--no-extend", a->no_extend, "BEADS: no sigmoid edge extension");
  sub->add_option("--snip-iterations", a->snip.iterations, "SNIP largest half-window in samples")->capture_default_str()->check(CLI::Range(1, 100000));
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
    if (a->method == "snip") {
      a->snip.lls = !a->no_lls;
      f = dn::snip(y, a->snip);
      x.resize(y.size());
      for (std::size_t i = 0; i < y.size(); ++i) x[i] = y[i] - f[i];
    } else {
      dn::BeadsParams bp = a->beads;
      bp.penalty = dn::parse_penalty(a->penalty);
      if (a->no_extend) bp.extend = false;
      if (a->period_deg > 0.0) {
        bp.fc = io::median_step(p) / a->period_deg;
        if (!(bp.fc > 0.0 && bp.fc < 0.5))
          throw std::runtime_error("--period " + std::to_string(a->period_deg) + " gives fc outside (0, 0.5) for this 2θ step");
      }
      dn::BeadsResult r = dn::beads_xrd(y, bp);
      x = std::move(r.x);
      f = std::move(r.f);
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
}}};

}  // namespace
