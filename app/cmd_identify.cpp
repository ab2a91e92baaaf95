// `xrdid identify`: rank library entries against measured patterns.
#include <algorithm>
#include <iostream>

#include "io/pattern_io.hpp"
#include "app/bundled_library.hpp"
#include "app/choice_option.hpp"
#include "app/command.hpp"
#include "common/atomic_file.hpp"
#include "io/pattern_formats.hpp"
#include "app/search_options.hpp"
#include "identify/identify.hpp"
#include "identify/mixture.hpp"
#include "identify/report.hpp"
#include "xrd/elements.hpp"
#include "xrd/export.hpp"
#include "xrd/wavelengths.hpp"

namespace {

struct IdentifyArgs {
  std::vector<std::string> patterns;
  std::string library, model, json_out, report, wavelength, device = "cpu", mixture_first = "search", mixture_selection = "prune";
  int report_fits = 3;
  bool json = false, mixture = false;
  xrdid::identify::IdentifyOptions opt;
  xrdid::identify::MixtureOptions mopt;
};

}  // namespace

std::function<int()> xrdid::cli::setup_identify(CLI::App* sub) {
  auto a = std::make_shared<IdentifyArgs>();
  sub->add_option("patterns", a->patterns, "pattern files (" + xrdid::io::pattern_extension_list() + ", RRUFF)")->required();
  sub->add_option("-l,--library", a->library,
                  "library file from `xrdid library build` (default: the bundled library of common phases)");
  sub->add_option("-m,--model", a->model, "model file from `xrdid train` (needed by --method model|hybrid)");
  add_choice(sub, "--method", a->opt.method, "method", xrdid::identify::kMethodNames,
             "model | profile | hybrid ((1-w) profile + w model) | peaks (peak-list figure of merit)")
      ->default_str(std::string(name(a->opt.method)));
  sub->add_option("--top", a->opt.top, "candidates to list")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::PositiveNumber);
  auto* req = sub->add_option("--require", "elements that must be present, e.g. Li or Li,O");
  auto* exc = sub->add_option("--exclude", "elements that must be absent, e.g. Pb,Cd");
  auto* only = sub->add_option("--only", "elements allowed (nothing else), e.g. Li,Mn,O");
  xrdid::cli::add_search_options(sub, a->opt);
  sub->add_option("--min-probability", a->opt.min_probability,
                  "below this probability of the first row the answer is 'no confident match' "
                  "(default: the method's calibrated threshold)")
      ->default_str("0.25; peaks 0.45")->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
  sub->add_option("--wavelength", a->wavelength, "wavelength of the measurement when the file does not say "
                                                 "(name or Å; default: the library's)");
  sub->add_flag("--mixture", a->mixture, "also find every phase of a mixture and its weight fraction (joint "
                                         "whole-pattern fit; JSON: phases, rwp)");
  sub->add_option("--max-phases", a->mopt.max_phases, "--mixture: at most this many phases (1 to 8)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(1, 8));
  sub->add_option("--min-chi2-drop", a->mopt.min_chi2_drop,
                  "--mixture: a further phase must remove at least this share of the weighted misfit")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
  sub->add_option("--min-lines-chi2-drop", a->mopt.min_lines_chi2_drop,
                  "--mixture: a further phase must remove at least this share of the weighted misfit over its own "
                  "lines (where its peaks exceed 2 counting sigma)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
  sub->add_option("--min-weight-fraction", a->mopt.min_weight_fraction,
                  "--mixture: a further phase must make at least this weight fraction")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
  sub->add_option("--mixture-max-volume-change", a->mopt.max_volume_change,
                  "--mixture: a further phase's refined cell volume must lie within this many per cent of its "
                  "reference's (0: no limit)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 100.0));
  sub->add_option("--mixture-candidates", a->mopt.candidates,
                  "--mixture: rows of each search (the pattern's, then each residual's) that are fitted")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(1, 50));
  sub->add_option("--mixture-max-reflections", a->mopt.max_reflections,
                  "--mixture: a further phase with more reflections than this in the fit range is not tried; "
                  "the residual search's next rows within the limit take its place (0: no limit)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--mixture-substitutes", a->mopt.substitutes,
                  "--mixture: per phase found, fit this many of the best rows of its own pattern that share its "
                  "crystal family with nearly its cell (a fit can stretch one onto the other's peaks) in its place; "
                  "the best replaces it when it fits better by --mixture-substitute-drop (0: off)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0, 20));
  sub->add_flag("--mixture-incomplete", a->mopt.incomplete_references,
                "--mixture: let library entries whose CIF probably lacks atoms join a mixture as further phases "
                "(default: only as the first, the search's best row; their wrong intensities take up other "
                "phases' misfit)");
  sub->add_option("--mixture-substitute-drop", a->mopt.substitute_min_drop,
                  "--mixture: a substitute replaces a phase when it lowers the BIC by at least this share")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
  sub->add_option("--mixture-first", a->mixture_first,
                  "--mixture: the first phase: 'fit' (the lowest BIC of the search's best rows fitted alone) or "
                  "'search' (the search's best row, as without --mixture)")
      ->capture_default_str()->check(CLI::IsMember({"fit", "search"}));
  sub->add_option("--mixture-selection", a->mixture_selection,
                  "--mixture: 'prune' (add phases while the fit improves, up to --max-phases, then remove those "
                  "that make it worse and, at once, every later phase below a threshold) or 'stepwise' (stop at "
                  "the first phase below a threshold)")
      ->capture_default_str()->check(CLI::IsMember({"prune", "stepwise"}));
  sub->add_option("--mixture-common-prior", a->mopt.common_prior,
                  "--mixture, with --library: a phase outside the bundled library's common phases (formula and "
                  "space group) is taken only when its fit's BIC is lower than the best common candidate's by "
                  "more than this share (0: no preference)")
      ->capture_default_str()
      ->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 1.0));
  sub->add_option("--mixture-common-candidates", a->mopt.common_candidates,
                  "--mixture, with --library: each residual is searched again over the bundled library's common "
                  "phases alone, and its best this many rows are fitted beside the search's best rows (0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0, 20));
  sub->add_option("--mixture-texture-range", a->mopt.fit.mixture_po_range,
                  "--mixture: each phase's March–Dollase r stays within [1/R, R]")
      ->capture_default_str()
      ->check(xrdid::cli::kFinite)->check(CLI::Range(1.0, 10.0));
  sub->add_option("--mixture-axis-check", a->mopt.axis_volume_change,
                  "--mixture: when the first phase's cell volume, or the median over the phases found, moved by more "
                  "than this many per cent, search again on the axis calibrated against the phases found and with the "
                  "wavelength scaled to bring it back (a 2θ-axis error common to every phase) and keep the best fit "
                  "(0: never)")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.0, 100.0));
  sub->add_flag("--mixture-axis-calibration,!--no-mixture-axis-calibration", a->mopt.axis_calibrate,
                "--mixture: the axis check also searches on the file's axis calibrated against the phases found "
                "(drawn at their reference cells; a linear 2θ axis or a wavelength error, whichever fits the peaks), "
                "and probes the axis with the common phases when the best of them matches only beyond the lattice "
                "scales searched")
      ->capture_default_str();
  sub->add_option("--mixture-judge-first", a->mopt.judge_first,
                  "--mixture, prune: the first phase (the search's best row) is judged by the thresholds as the "
                  "further phases are when at least this many other phases pass them (0: it always stays)")
      ->capture_default_str()
      ->check(CLI::Range(0, 7));
  sub->add_option("--mixture-texture-lines", a->mopt.fit.po_strong_lines,
                  "--mixture: March–Dollase is also tried along the normals of each phase's this many strongest "
                  "reflections, beside [001], [100], [010], [110], [101], [011], [111]")
      ->capture_default_str()
      ->check(CLI::Range(0, 20));
  sub->add_flag("--mixture-readmit,!--no-mixture-readmit", a->mopt.readmit,
               "--mixture: after pruning, fit each pruned phase again beside the phases kept and take back the "
               "best that passes the thresholds, one at a time (default: on)");
  sub->add_option("--mixture-cell-bound", a->mopt.fit.cell_bound,
                  "--mixture: each phase's cell lengths within ± this fraction of its CIF cell")
      ->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::Range(0.001, 0.19));
  sub->add_flag("--mixture-texture,!--no-mixture-texture", a->mopt.fit.preferred_orientation,
                "--mixture: March–Dollase preferred orientation per phase in the joint fit (default: on)");
  sub->add_option("--brindley-size", a->mopt.quant.brindley_size_um,
                  "--mixture: correct the weight fractions for micro-absorption (Brindley 1945), grains of this "
                  "diameter (µm); needs a Cu, Mo, Co, Cr, Fe or Ag Kα pattern");
  sub->add_option("--standard", a->mopt.quant.standard,
                  "--mixture: an internal standard weighed into the sample (library id or formula, e.g. Si, "
                  "Al2O3): absolute fractions and the amorphous content");
  sub->add_option("--standard-fraction", a->mopt.quant.standard_fraction,
                  "--standard: its weighed-in mass fraction of the spiked sample, in (0, 1)");
  sub->add_flag("--json", a->json, "print JSON instead of the text table");
  sub->add_option("--report", a->report, "write a self-contained HTML report");
  sub->add_option("--report-fits", a->report_fits, "whole-pattern fits drawn in the report: the best N rows "
                                                   "(0: none)")->capture_default_str()->check(xrdid::cli::kFinite)->check(CLI::NonNegativeNumber);
  sub->add_option("--device", a->device, "where the model computes embeddings: cpu | cuda (the profile and "
                                         "peak searches run on the CPU)")->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
  return std::function<int()>([a, req, exc, only] {
    xrdid::compute::DeviceOptions dev;
    dev.device = a->device;
    xrdid::compute::require_device(dev);
    for (auto& s : req->results()) for (auto& e : xrdid::xrd::parse_element_list(s, "--require")) a->opt.require.push_back(e);
    for (auto& s : exc->results()) for (auto& e : xrdid::xrd::parse_element_list(s, "--exclude")) a->opt.exclude.push_back(e);
    for (auto& s : only->results()) for (auto& e : xrdid::xrd::parse_element_list(s, "--only")) a->opt.only.push_back(e);
    a->mopt.first_by_fit = a->mixture_first == "fit";
    a->mopt.prune = a->mixture_selection == "prune";
    if (a->mopt.quant.active() && !a->mixture)
      throw std::runtime_error("--brindley-size and --standard quantify a mixture: they need --mixture");
    xrdid::identify::check_quant_options(a->mopt.quant);
    if (uses_model(a->opt.method) && a->model.empty())
      throw std::runtime_error("--method " + std::string(name(a->opt.method)) + " needs --model FILE");
    if (!a->report.empty()) {
      a->opt.fit_rows = std::min(a->opt.top, a->report_fits);
      xrdid::common::require_output_folder(a->report, "--report");
      std::vector<std::string> inputs = a->patterns;
      if (!a->library.empty()) inputs.push_back(a->library);
      if (!a->model.empty()) inputs.push_back(a->model);
      xrdid::common::refuse_output_over_input(a->report, inputs, "--report");
    }
    xrdid::xrd::Library lib;
    std::string lib_path = a->library;
    if (a->library.empty()) {
      auto bundled = xrdid::app::load_bundled_library(std::cerr);
      lib = std::move(bundled.library);
      lib_path = bundled.path;
      std::cerr << "library: " << bundled.description << (lib_path.empty() ? "" : ", " + lib_path) << "\n";
    } else {
      lib = xrdid::xrd::load_library(a->library);
      // The common phases of the mixture search: the bundled library's, when it is there.
      if (a->mixture && (a->mopt.common_prior > 0 || a->mopt.common_candidates > 0)) {
        const std::string common_path = xrdid::app::bundled_library_path();
        if (!common_path.empty()) {
          a->mopt.common = xrdid::identify::phase_keys(xrdid::xrd::load_library(common_path));
          std::cerr << "common phases: " << a->mopt.common.size() << " (formula and space group) of " << common_path
                    << "\n";
        }
      }
    }
    xrdid::identify::Identifier id(lib);
    id.set_library_path(lib_path);
    id.set_device(dev);
    if (!a->model.empty()) id.attach_model(a->model);
    xrdid::xrd::Wavelength assumed;
    if (!a->wavelength.empty()) assumed = xrdid::xrd::parse_wavelength(a->wavelength);
    std::vector<xrdid::identify::IdentifyResult> results;
    int failed = 0;
    for (auto& f : a->patterns) {
      try {
        auto p = xrdid::io::read_pattern(f);
        const bool given = !p.wavelength.known() && assumed.known();
        if (given) p.wavelength = assumed;
        results.push_back(id.identify(p, a->opt));
        if (given) results.back().wavelength_from = "--wavelength option";
        if (a->mixture) {
          try {
            results.back().mixture =
                std::make_shared<const xrdid::identify::MixtureResult>(xrdid::identify::identify_mixture(id, p, a->opt, a->mopt));
          } catch (const std::exception& e) {  // the single-phase rows are still written; the exit says it failed
            results.back().mixture_error = xrdid::cli::error_text(e);
            std::cerr << "xrdid: error: " << f << ": --mixture: " << results.back().mixture_error << "\n";
            ++failed;
          }
        }
      } catch (const std::exception& e) {
        std::cerr << "xrdid: error: " << xrdid::cli::error_text(e) << "\n";
        ++failed;
      }
    }
    if (a->json) std::cout << xrdid::identify::results_to_json(results, lib).dump(2) << "\n";
    else xrdid::identify::print_results(results, lib, std::cout);
    if (!a->report.empty()) xrdid::xrd::write_file_atomic(a->report, xrdid::identify::results_to_html(results, lib));
    return failed ? 1 : 0;
  });
}
