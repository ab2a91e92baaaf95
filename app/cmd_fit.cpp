// `xrdid fit PATTERN --cif FILE.cif`: whole-pattern fit of one phase to a measured pattern
// (identify/fit.hpp); a summary table, or JSON with the curves and reflections.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "app/command.hpp"
#include "common/atomic_file.hpp"
#include "identify/fit.hpp"
#include "io/pattern_io.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/wavelengths.hpp"

namespace xrdid::cli {
namespace {

struct FitArgs {
  std::string pattern, cif, block, wavelength, out;
  double min = 0.0, max = 180.0, cell_bound = 0.03, displacement_sigma = identify::FitOptions{}.displacement_sigma;
  int background = 6;
  bool json = false, curves = false, po = false, no_displacement = false;
};

void print_summary(const identify::FitResult& r, std::ostream& os) {
  char line[256];
  os << "phase: " << r.phase << " (" << r.crystal_system << ")\n";
  std::snprintf(line, sizeof line, "status: %s%s%s\n", identify::to_string(r.status), r.message.empty() ? "" : " — ",
                r.message.c_str());
  os << line;
  std::snprintf(line, sizeof line, "Rwp %.4f  Rexp %.4f  GoF %.3f  BIC %.1f  N %d  P %d  %d iterations  %.1f ms\n", r.rwp,
                r.rexp, r.gof, r.bic, r.n_points, r.n_parameters, r.iterations, r.seconds * 1e3);
  os << line;
  os << "parameter            value          esd        start\n";
  for (const identify::FitParameter& p : r.parameters) {
    if (!p.refined) continue;
    std::snprintf(line, sizeof line, "%-14s %14.6g %12.3g %12.6g%s\n", p.name.c_str(), p.value, p.esd, p.start,
                  p.at_bound ? "  (bound)" : "");
    os << line;
  }
}

int run_fit(const FitArgs& a) {
  xrd::CifReadOptions ro;
  ro.block = a.block;
  if (!a.out.empty() && a.out != "-") {
    common::require_output_folder(a.out, "-o");
    common::refuse_output_over_input(a.out, {a.pattern, a.cif}, "-o");
  }
  const xrd::Crystal crystal = xrd::read_cif(a.cif, ro);
  xrd::Pattern p = io::read_pattern(a.pattern);
  identify::FitOptions opt;
  if (!a.wavelength.empty()) {
    opt.default_wavelength = xrd::parse_wavelength(a.wavelength);
    opt.force_wavelength = true;
  }
  opt.two_theta_min = a.min;
  opt.two_theta_max = a.max;
  opt.cell_bound = a.cell_bound;
  opt.background_terms = a.background;
  opt.preferred_orientation = a.po;
  opt.refine_displacement = !a.no_displacement;
  opt.displacement_sigma = a.displacement_sigma;
  const identify::FitResult r = identify::fit_phase(p, crystal, opt);
  if (a.json) {
    const std::string content = identify::fit_to_json(r, a.curves).dump(2) + "\n";
    if (a.out.empty() || a.out == "-") {
      std::fwrite(content.data(), 1, content.size(), stdout);
      if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write to stdout");
    } else {
      io::write_file_atomic(a.out, content);
    }
  } else {
    print_summary(r, std::cout);
  }
  return r.ok() ? 0 : 1;
}

}  // namespace

std::function<int()> setup_fit(CLI::App* sub) {
  auto args = std::make_shared<FitArgs>();
  sub->add_option("pattern", args->pattern, "measured pattern (.xy, .xrdml, .ras, …)")->required();
  sub->add_option("--cif", args->cif, "CIF of the phase to fit")->required();
  sub->add_option("--block", args->block, "CIF data block name");
  sub->add_option("--wavelength", args->wavelength,
                  "radiation (CuKa12, CuKa1, MoKa, … or Å); default: the file's, else Cu Kα1+Kα2");
  sub->add_option("--min", args->min, "lowest 2θ fitted (degrees)")->capture_default_str();
  sub->add_option("--max", args->max, "highest 2θ fitted (degrees)")->capture_default_str();
  sub->add_option("--cell-bound", args->cell_bound, "cell lengths within ± this fraction of the CIF cell")
      ->capture_default_str();
  sub->add_option("--background", args->background, "Chebyshev background terms (1–12)")->capture_default_str();
  sub->add_flag("--preferred-orientation", args->po, "try March–Dollase texture along low-index directions");
  sub->add_flag("--no-displacement", args->no_displacement, "keep the sample displacement at zero");
  sub->add_option("--displacement-sigma", args->displacement_sigma,
                  "prior width of the sample displacement's peak shift D cos θ, degrees (0: no prior)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 10.0));
  sub->add_flag("--json", args->json, "write JSON (parameters, agreement, reflections)");
  sub->add_flag("--curves", args->curves, "with --json: add the observed, calculated and background curves");
  sub->add_option("-o,--output", args->out, "JSON output file (default stdout); written atomically");
  return std::function<int()>([args] { return run_fit(*args); });
}

}  // namespace xrdid::cli
