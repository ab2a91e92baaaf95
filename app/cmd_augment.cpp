// `xrdid augment IN.cif -n 8 -o DIR`: physics-informed training variants of one structure
// (augment/physics.hpp), written as DIR/variant_NNN.xy and optionally plotted in DIR/variants.svg.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/physics.hpp"
#include "io/pattern_io.hpp"
#include "io/svg_plot.hpp"
#include "app/command.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/render.hpp"

namespace {

struct AugmentArgs {
  std::string in, out_dir, range = "0,120";
  int n = 8;
  std::uint64_t seed = 1;
  double step = 0.02;
  bool plot = false;
};

std::pair<double, double> parse_range(const std::string& text) {
  std::stringstream ss(text);
  std::string lo, hi, extra;
  if (!std::getline(ss, lo, ',') || !std::getline(ss, hi, ',') || std::getline(ss, extra, ','))
    throw std::runtime_error("--range: expected START,STOP in degrees, got '" + text + "'");
  double a = 0, b = 0;
  try {
    std::size_t ua = 0, ub = 0;
    a = std::stod(lo, &ua);
    b = std::stod(hi, &ub);
    if (ua != lo.size() || ub != hi.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw std::runtime_error("--range: not a number in '" + text + "'");
  }
  if (!(a >= 0 && b > a && b <= 180)) throw std::runtime_error("--range: need 0 <= START < STOP <= 180");
  return {a, b};
}

int run_augment(const AugmentArgs& a) {
  namespace aug = xrdid::augment;
  namespace io = xrdid::io;
  const auto [lo, hi] = parse_range(a.range);
  if (!(a.step > 0) || (hi - lo) / a.step > 1e7) throw std::runtime_error("--step: need 0 < step and at most 1e7 points");
  const std::vector<double> grid = xrdid::xrd::uniform_grid(lo, hi, a.step);
  if (grid.size() < 2) throw std::runtime_error("--range/--step: fewer than two grid points");
  const xrdid::xrd::Crystal crystal = xrdid::xrd::read_cif(a.in);  // throws CifError: nothing written yet

  const aug::PhysicsAugmentOptions opt;
  std::vector<xrdid::xrd::Pattern> variants;
  xrdid::xrd::Pattern clean;
  try {
    variants = aug::make_variants(crystal, static_cast<std::size_t>(a.n), grid, opt, a.seed);
    if (a.plot) clean = aug::clean_pattern(crystal, grid, opt);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(a.in + ": " + e.what());
  }

  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec || !std::filesystem::is_directory(a.out_dir))
    throw std::runtime_error(a.out_dir + ": cannot create the output folder" + (ec ? " (" + ec.message() + ")" : ""));
  const std::filesystem::path dir(a.out_dir);
  for (std::size_t i = 0; i < variants.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "variant_%03zu.xy", i);
    variants[i].source = a.in + " physics variant " + std::to_string(i) + " (seed " + std::to_string(a.seed) + ")";
    io::write_xy((dir / name).string(), variants[i]);
  }
  if (a.plot) {
    // Clean pattern at the bottom, then each variant lifted by 1.1 (all are min-max normalised).
    std::vector<io::Curve> curves;
    curves.push_back({"clean", clean.two_theta, std::vector<double>(clean.intensity.begin(), clean.intensity.end()), "#000000"});
    for (std::size_t i = 0; i < variants.size(); ++i) {
      std::vector<double> y(variants[i].intensity.begin(), variants[i].intensity.end());
      for (double& v : y) v += 1.1 * static_cast<double>(i + 1);
      char name[32];
      std::snprintf(name, sizeof name, "variant %03zu", i);
      curves.push_back({name, variants[i].two_theta, std::move(y), ""});
    }
    io::PlotOptions po;
    po.title = a.in + ": clean pattern and " + std::to_string(variants.size()) + " physics variants (seed " +
               std::to_string(a.seed) + ")";
    po.y_label = "min-max intensity, offset by 1.1 per variant";
    po.height = std::max(500, 120 + 60 * static_cast<int>(variants.size()));
    io::write_svg_plot((dir / "variants.svg").string(), curves, po);
  }
  std::fprintf(stderr, "xrdid: wrote %zu variants of %s to %s\n", variants.size(), a.in.c_str(), a.out_dir.c_str());
  return 0;
}

}  // namespace

std::function<int()> xrdid::cli::setup_augment(CLI::App* sub) {
  auto a = std::make_shared<AugmentArgs>();
  sub->add_option("IN", a->in, "input CIF")->required();
  sub->add_option("-n,--count", a->n, "number of variants")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(1, 100000));
  sub->add_option("-o,--output", a->out_dir, "output folder (created): variant_000.xy, …")->required();
  sub->add_option("--seed", a->seed, "random seed (variant i uses a seed mixed from it and i)")->capture_default_str();
  sub->add_option("--range", a->range, "2θ range START,STOP in degrees (grid excludes STOP)")->capture_default_str();
  sub->add_option("--step", a->step, "2θ step in degrees")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  sub->add_flag("--plot", a->plot, "also write variants.svg: the clean pattern and the variants, offset");
  return std::function<int()>([a] { return run_augment(*a); });
}
