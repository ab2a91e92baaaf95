// `xrdid pattern info FILE...`: one summary line per pattern file (points, 2θ range, step,
// wavelength, intensity range, repairs); unreadable files are named and make the exit status 1.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "io/pattern_io.hpp"
#include "app/command.hpp"
#include "io/pattern_formats.hpp"

namespace {

struct PatternArgs {
  std::vector<std::string> files;
};

int pattern_info(const std::vector<std::string>& files) {
  std::vector<std::string> failed;
  for (const auto& f : files) {
    try {
      xrdid::io::ReadReport rep;
      const auto p = xrdid::io::read_pattern(f, &rep);
      const auto [lo, hi] = std::minmax_element(p.intensity.begin(), p.intensity.end());
      std::printf("%s: %zu points, 2θ %.4f–%.4f°, step %.5f°, ", f.c_str(), p.size(), p.two_theta.front(),
                  p.two_theta.back(), xrdid::io::median_step(p));
      if (p.wavelength.known()) {
        std::printf("λ %.6f Å", p.wavelength.alpha1);
        if (p.wavelength.alpha2 > 0) std::printf(" + Kα2 %.6f Å (ratio %.3g)", p.wavelength.alpha2, p.wavelength.ratio21);
      } else {
        std::printf("λ unknown");
      }
      std::printf(", intensity %g–%g [%s]", static_cast<double>(*lo), static_cast<double>(*hi), rep.format.c_str());
      for (const auto& s : rep.repairs) std::printf(" [repaired: %s]", s.c_str());
      for (const auto& s : rep.warnings) std::printf(" [warning: %s]", s.c_str());
      std::printf("\n");
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "xrdid: error: %s\n", xrdid::cli::error_text(e));
      failed.push_back(f);
    }
  }
  std::fflush(stdout);
  if (!failed.empty()) {
    std::string names;
    for (const auto& f : failed) names += (names.empty() ? "" : ", ") + f;
    throw std::runtime_error("could not read " + std::to_string(failed.size()) + " of " + std::to_string(files.size()) +
                             " pattern files: " + names);
  }
  return 0;
}

}  // namespace

std::function<int()> xrdid::cli::setup_pattern(CLI::App* sub) {
  auto a = std::make_shared<PatternArgs>();
  sub->require_subcommand(1);
  auto* info = sub->add_subcommand("info", "One line per file: points, 2θ range and step, wavelength, intensity range");
  info->add_option("FILE", a->files, "pattern files (" + xrdid::io::pattern_extension_list() + ")")->required();
  return std::function<int()>([a, info] {
    if (info->parsed()) return pattern_info(a->files);
    return 2;
  });
}
