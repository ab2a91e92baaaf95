// `xrdid library build|info`: simulate a reference library from CIFs, or describe one.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/command.hpp"
#include "common/atomic_file.hpp"
#include "identify/same_phase.hpp"
#include "xrd/crystal.hpp"
#include "xrd/library.hpp"
#include "xrd/library_groups.hpp"
#include "xrd/symmetry.hpp"
#include "xrd/wavelengths.hpp"

namespace xrdid::cli {
namespace {

struct LibraryArgs {
  std::vector<std::string> inputs;
  std::string out, wavelength = "CuKa", range = "0,120", info_path;
  double step = 0.02, sigma = 0.07, symprec = 0;
  int threads = 0;
  bool group_duplicates = false;
  double min_cosine = 0.98, max_shift = 0.1;
};

std::pair<double, double> parse_range(const std::string& text) {
  auto comma = text.find(',');
  if (comma == std::string::npos) throw std::runtime_error("--range: expected START,STOP, got '" + text + "'");
  try {
    return {std::stod(text.substr(0, comma)), std::stod(text.substr(comma + 1))};
  } catch (const std::exception&) {
    throw std::runtime_error("--range: expected START,STOP, got '" + text + "'");
  }
}

int run_build(const LibraryArgs& a) {
  if (a.out.empty()) throw std::runtime_error("library build: -o LIB is required");
  const auto cifs = xrd::collect_cifs(a.inputs);
  if (cifs.empty()) throw std::runtime_error("library build: no .cif files found");
  common::require_output_folder(a.out, "-o");
  std::vector<std::string> files;
  for (auto& [path, id] : cifs) files.push_back(path);
  common::refuse_output_over_input(a.out, files, "-o");
  xrd::LibraryBuildOptions opt;
  opt.wavelength = xrd::parse_wavelength(a.wavelength);
  auto [start, stop] = parse_range(a.range);
  opt.two_theta_start = start;
  opt.two_theta_stop = stop;
  opt.two_theta_step = a.step;
  opt.profile.sigma = a.sigma;
  opt.threads = a.threads;
  opt.symmetry_tolerance = a.symprec;
  const bool tty = ::isatty(2);
  opt.progress = [tty](std::size_t done, std::size_t total) {
    if (tty && (done % 16 == 0 || done == total)) {
      const int width = 40, fill = static_cast<int>(width * done / total);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(fill, '=').c_str(), std::string(width - fill, ' ').c_str(),
                   done, total);
      if (done == total) std::fputc('\n', stderr);
    }
  };
  std::vector<xrd::LibrarySkip> skipped;
  const xrd::Library lib = xrd::build_library(cifs, opt, &skipped);
  if (lib.size() == 0) throw std::runtime_error("library build: every CIF was refused");
  xrd::save_library(lib, a.out);
  std::fprintf(stderr, "library: %zu entries, %zu points each, written to %s; %zu CIFs skipped\n", lib.size(),
               lib.n_points, a.out.c_str(), skipped.size());
  for (const auto& s : skipped) std::fprintf(stderr, "  skipped %s\n", s.reason.c_str());
  // Built, but probably wrong: a cell its atoms would fill less than half of means the CIF lacks
  // atoms or symmetry operations, and its simulated pattern has the wrong intensities.
  std::size_t light = 0;
  for (const auto& e : lib.entries) light += e.incomplete();
  if (light) {
    std::fprintf(stderr, "warning: %zu entries hold atoms that would fill less than %.1f of their cells: their CIFs "
                         "probably lack atoms or symmetry operations, so their simulated intensities are wrong:\n",
                 light, xrd::kMinPlausibleFill);
    std::size_t shown = 0;
    for (const auto& e : lib.entries)
      if (e.incomplete() && shown++ < 10)
        std::fprintf(stderr, "  %s: %s, %s%s, fill %.2f, %.2f g/cm3\n", e.source.c_str(), e.formula.c_str(),
                     e.spacegroup.c_str(),
                     e.declared_spacegroup_number != e.spacegroup_number
                         ? (" (declared " + (e.declared_spacegroup.empty() ? std::string("none") : e.declared_spacegroup) + ")").c_str()
                         : "",
                     e.fill, e.density);
    if (light > 10) std::fprintf(stderr, "  ... and %zu more\n", light - 10);
  }
  return 0;
}

// `--group-duplicates`: number of identities, then the largest groups (size, formula, space group, ids).
void print_groups(const xrd::Library& lib, double min_cosine, double max_shift) {
  const std::vector<int> group = xrd::group_duplicates(lib, min_cosine, max_shift);
  const int n_groups = group.empty() ? 0 : *std::max_element(group.begin(), group.end()) + 1;
  std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(n_groups));
  for (std::size_t i = 0; i < group.size(); ++i) members[static_cast<std::size_t>(group[i])].push_back(i);
  std::printf("identities  %d (from %zu entries; same formula + space group, cosine >= %g, shift <= %g deg)\n",
              n_groups, lib.size(), min_cosine, max_shift);
  std::vector<std::size_t> order(members.size());
  for (std::size_t g = 0; g < order.size(); ++g) order[g] = g;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return members[x].size() > members[y].size(); });
  if (order.empty() || members[order[0]].size() < 2) std::printf("  no duplicates\n");
  const std::size_t show = std::min<std::size_t>(order.size(), 10);
  for (std::size_t k = 0; k < show && members[order[k]].size() > 1; ++k) {
    const auto& m = members[order[k]];
    const auto& e = lib.entries[m[0]];
    std::printf("  group %-5zu %4zu x %-16s %-12s", order[k], m.size(), e.reduced_formula.c_str(), e.spacegroup.c_str());
    const std::size_t ids = std::min<std::size_t>(m.size(), 4);
    for (std::size_t t = 0; t < ids; ++t) std::printf(" %s", lib.entries[m[t]].id.c_str());
    if (m.size() > ids) std::printf(" ...");
    std::printf("\n");
  }
}

// Declared against detected space groups (xrd/symmetry.hpp): how many entries declare P 1 or no
// group and what they became, and how often spglib agrees with a declared group.
void print_symmetry_summary(const xrd::Library& lib) {
  std::size_t p1 = 0, p1_replaced = 0, declared = 0, detected = 0, agree = 0, higher = 0, lower = 0, any = 0;
  for (const auto& e : lib.entries) {
    any += e.detected_spacegroup_number > 0;
    if (e.declared_spacegroup_number <= 1) {
      ++p1;
      p1_replaced += e.spacegroup_number > 1;
      continue;
    }
    ++declared;
    if (e.detected_spacegroup_number <= 0) continue;
    ++detected;
    agree += e.detected_spacegroup_number == e.declared_spacegroup_number;
    higher += e.detected_spacegroup_number > e.declared_spacegroup_number;
    lower += e.detected_spacegroup_number < e.declared_spacegroup_number;
  }
  if (any == 0) {
    std::printf("symmetry    no detected space groups (a library written before detection: rebuild it)\n");
    return;
  }
  std::printf("symmetry    %zu entries declare P 1 or no group, %zu of them use spglib's group; spglib finds the declared "
              "group for %zu of %zu others (%.1f %%; higher number %zu, lower %zu, none %zu)\n",
              p1, p1_replaced, agree, declared, declared ? 100.0 * static_cast<double>(agree) / static_cast<double>(declared) : 0.0,
              higher, lower, declared - detected);
}

int run_info(const LibraryArgs& a) {
  const xrd::Library lib = xrd::load_library(a.info_path, /*patterns=*/a.group_duplicates);
  std::printf("library     %s\n", a.info_path.c_str());
  std::printf("entries     %zu\n", lib.size());
  std::printf("grid        %zu points from %g deg, step %g deg\n", lib.n_points, lib.two_theta_start, lib.two_theta_step);
  if (lib.wavelength.alpha2 > 0)
    std::printf("wavelength  %.6f + %.6f A (ratio %.3g)\n", lib.wavelength.alpha1, lib.wavelength.alpha2,
                lib.wavelength.ratio21);
  else
    std::printf("wavelength  %.6f A\n", lib.wavelength.alpha1);
  std::printf("settings    %s\n", lib.settings_json.c_str());
  std::map<int, int> by_sg;
  std::map<std::string, int> by_el;
  for (const auto& e : lib.entries) {
    ++by_sg[e.spacegroup_number];
    for (const auto& el : e.elements) ++by_el[el];
  }
  std::printf("space groups %zu distinct; elements %zu distinct\n", by_sg.size(), by_el.size());
  print_symmetry_summary(lib);
  std::size_t unknown = 0, incomplete = 0;
  for (const auto& e : lib.entries) unknown += e.fill <= 0, incomplete += e.incomplete();
  if (unknown == lib.size())
    std::printf("fill        not recorded (a library written before it was: rebuild it)\n");
  else
    std::printf("fill        %zu entries hold atoms that would fill less than %.1f of their cells (their CIFs probably "
                "lack atoms)\n", incomplete, xrd::kMinPlausibleFill);
  std::size_t partial = 0;
  for (const auto& e : lib.entries) partial += identify::partial_record(e);
  std::printf("records     %zu entries declare P 1 and record only part of a structure (atoms missing, or atoms "
              "without symmetry in a cell with two right angles); identify lists them in the row of that structure\n",
              partial);
  const std::size_t show = std::min<std::size_t>(lib.size(), 10);
  for (std::size_t i = 0; i < show; ++i)
    std::printf("  %-40s %-16s %s\n", lib.entries[i].id.c_str(), lib.entries[i].reduced_formula.c_str(),
                lib.entries[i].spacegroup.c_str());
  if (lib.size() > show) std::printf("  ... %zu more\n", lib.size() - show);
  if (a.group_duplicates) print_groups(lib, a.min_cosine, a.max_shift);
  return 0;
}

}  // namespace

std::function<int()> setup_library(CLI::App* sub) {
                 auto args = std::make_shared<LibraryArgs>();
                 sub->require_subcommand(1);
                 auto* build = sub->add_subcommand("build", "Simulate every CIF (folders are searched recursively)");
                 build->add_option("inputs", args->inputs, "CIF files or folders")->required();
                 build->add_option("-o,--output", args->out, "library file to write (atomically)")->required();
                 build->add_option("--threads", args->threads, "worker threads (0 = all cores)")->capture_default_str();
                 build->add_option("--wavelength", args->wavelength, "name (CuKa, CuKa12, MoKa, …) or Å")
                     ->capture_default_str();
                 build->add_option("--range", args->range, "2θ range START,STOP")->capture_default_str();
                 build->add_option("--step", args->step, "2θ step")->capture_default_str();
                 build->add_option("--sigma", args->sigma, "Gaussian sigma in degrees")->capture_default_str();
                 build->add_option("--symprec", args->symprec,
                                   "space-group detection tolerance in Å (0 = " + std::to_string(xrd::kSymmetryTolerance).substr(0, 4) + ")")
                     ->capture_default_str()
                     ->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
                 auto* info = sub->add_subcommand("info", "Describe a library file");
                 info->add_option("lib", args->info_path, "library file")->required();
                 auto* group = info->add_flag("--group-duplicates", args->group_duplicates,
                                              "count identities: same reduced formula + space group + near-identical pattern");
                 info->add_option("--min-cosine", args->min_cosine, "pattern cosine needed to group (with --group-duplicates)")
                     ->capture_default_str()
                     ->check(xrdid::cli::kFinite)->check(CLI::Range(-1.0, 1.0))
                     ->needs(group);
                 info->add_option("--max-shift", args->max_shift, "2θ zero-shift search in degrees (with --group-duplicates)")
                     ->capture_default_str()
                     ->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 90.0))
                     ->needs(group);
                 return std::function<int()>([args, build, info] {
                   if (build->parsed()) return run_build(*args);
                   if (info->parsed()) return run_info(*args);
                   return 2;
                 });
}
}  // namespace xrdid::cli
