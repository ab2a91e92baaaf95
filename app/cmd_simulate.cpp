// `xrdid simulate FILE.cif`: powder pattern (or sticks) of one CIF, as .xy or JSON.
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/command.hpp"
#include "common/atomic_file.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/export.hpp"
#include "xrd/render.hpp"
#include "xrd/wavelengths.hpp"

namespace xrdid::cli {
namespace {

std::vector<double> parse_numbers(const std::string& text, std::size_t n, const char* what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::runtime_error(std::string(what) + ": not a number: '" + item + "'");
    }
  }
  if (out.size() != n)
    throw std::runtime_error(std::string(what) + ": expected " + std::to_string(n) + " comma-separated numbers, got '" +
                             text + "'");
  return out;
}

struct SimulateArgs {
  std::string file, wavelength = "CuKa", range = "0,120", profile = "gaussian", caglioti, block, out, b_factors;
  double step = 0.02, sigma = 0.07, size_nm = 0.0, zero_shift = 0.0;
  bool sticks = false, json = false, site_b = false;
};

int run_simulate(const SimulateArgs& a) {
  if (!a.out.empty() && a.out != "-") common::refuse_output_over_input(a.out, {a.file}, "-o");
  xrd::CifReadOptions ro;
  ro.block = a.block;
  const xrd::Crystal crystal = xrd::read_cif(a.file, ro);
  const xrd::Wavelength wl = xrd::parse_wavelength(a.wavelength);
  const std::vector<double> range = parse_numbers(a.range, 2, "--range");
  if (!(range[0] >= 0 && range[1] > range[0] && range[1] <= 180))
    throw std::runtime_error("--range: need 0 <= start < stop <= 180");

  xrd::PowderOptions po;
  po.use_site_b = a.site_b;
  if (!a.b_factors.empty()) {
    std::stringstream ss(a.b_factors);
    std::string item;
    while (std::getline(ss, item, ',')) {
      auto eq = item.find('=');
      if (eq == std::string::npos) throw std::runtime_error("--b-factors: expected EL=B, got '" + item + "'");
      po.b_by_element[item.substr(0, eq)] = parse_numbers(item.substr(eq + 1), 1, "--b-factors")[0];
    }
  }

  std::string content;
  if (a.sticks) {
    po.wavelength = wl.alpha1;  // a doublet reports its Kα1 sticks
    po.two_theta_min = range[0];
    po.two_theta_max = range[1];
    const xrd::Sticks st = xrd::compute_sticks(crystal, po);
    content = a.json ? xrd::sticks_to_json(crystal, st).dump() + "\n" : xrd::format_sticks(st);
  } else {
    xrd::ProfileOptions prof;
    if (a.profile == "gaussian") prof.kind = xrd::ProfileKind::Gaussian;
    else if (a.profile == "pvoigt") prof.kind = xrd::ProfileKind::PseudoVoigt;
    else throw std::runtime_error("--profile: expected gaussian or pvoigt, got '" + a.profile + "'");
    prof.sigma = a.sigma;
    if (!a.caglioti.empty()) {
      auto uvw = parse_numbers(a.caglioti, 3, "--caglioti");
      prof.use_caglioti = true;
      prof.U = uvw[0];
      prof.V = uvw[1];
      prof.W = uvw[2];
      if (prof.kind == xrd::ProfileKind::Gaussian)
        throw std::runtime_error("--caglioti needs --profile pvoigt");
    }
    prof.size_nm = a.size_nm;
    if (a.size_nm > 0 && prof.kind == xrd::ProfileKind::Gaussian) throw std::runtime_error("--size needs --profile pvoigt");
    prof.zero_shift = a.zero_shift;
    const std::vector<double> grid = xrd::uniform_grid(range[0], range[1], a.step);
    const xrd::Pattern p = xrd::simulate_pattern(crystal, wl, grid, prof, po);
    content = a.json ? xrd::pattern_to_json(crystal, p).dump() + "\n" : xrd::format_xy(p);
  }
  if (a.out.empty() || a.out == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write to stdout");
  } else {
    xrd::write_file_atomic(a.out, content);
  }
  return 0;
}

}  // namespace

std::function<int()> setup_simulate(CLI::App* sub) {
                 auto args = std::make_shared<SimulateArgs>();
                 sub->add_option("file", args->file, "CIF file")->required();
                 sub->add_option("--wavelength", args->wavelength,
                                 "CuKa, CuKa1, CuKa2, CuKa12 (Kα1+Kα2), MoKa, CoKa, FeKa, CrKa, AgKa, … or Å")
                     ->capture_default_str();
                 sub->add_option("--range", args->range, "2θ range START,STOP in degrees")->capture_default_str();
                 sub->add_option("--step", args->step, "2θ step in degrees")->capture_default_str();
                 sub->add_option("--profile", args->profile, "gaussian or pvoigt")->capture_default_str();
                 sub->add_option("--sigma", args->sigma, "Gaussian sigma in degrees")->capture_default_str();
                 sub->add_option("--caglioti", args->caglioti, "U,V,W (deg²) for the pseudo-Voigt Gaussian FWHM");
                 sub->add_option("--size", args->size_nm, "crystallite size in nm (Scherrer, pseudo-Voigt)");
                 sub->add_option("--zero-shift", args->zero_shift, "zero shift in degrees");
                 sub->add_option("--block", args->block, "CIF data block name");
                 sub->add_option("--b-factors", args->b_factors, "Debye-Waller B per element, e.g. Li=1.0,F=2.0");
                 sub->add_flag("--site-b", args->site_b, "use the CIF's B/U values for other elements");
                 sub->add_flag("--sticks", args->sticks, "write sticks instead of a profile");
                 sub->add_flag("--json", args->json, "write JSON");
                 sub->add_option("-o,--output", args->out, "output file (default stdout); written atomically");
                 return std::function<int()>([args] { return run_simulate(*args); });
}
}  // namespace xrdid::cli
