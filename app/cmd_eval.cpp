// `xrdid eval`: top-1/5/10 identification accuracy on measured patterns with known identity.
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "app/choice_option.hpp"
#include "app/command.hpp"
#include "common/atomic_file.hpp"
#include "app/search_options.hpp"
#include "identify/evaluation.hpp"
#include "identify/fit.hpp"

namespace {

struct EvalArgs {
  std::string dir, cif_dir, library, model, perturb, ranks, candidates, write_perturbed;
  std::vector<xrdid::identify::Method> methods{xrdid::identify::Method::Profile};
  bool verbose = false;
  xrdid::identify::IdentifyOptions opt;
  xrdid::compute::DeviceOptions dev;
};

// One pattern's rows for --candidates.
std::string candidates_line(const xrdid::xrd::Library& lib, const xrdid::identify::EvalScore::Rank& r,
                            xrdid::identify::Method m) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [hit, c] : r.rows) {
    const auto& e = lib.entries[c.entry];
    nlohmann::json row{{"hit", hit},
                       {"id", e.id},
                       {"reduced_formula", e.reduced_formula},
                       {"spacegroup_number", e.spacegroup_number},
                       {"score", c.score},
                       {"shift", c.shift_deg},
                       {"lattice_scale", c.scale},
                       {"probability", c.probability},
                       {"chance", c.chance}};
    if (c.fit) row["fit"] = xrdid::identify::fit_to_json(*c.fit, false);
    rows.push_back(std::move(row));
  }
  return nlohmann::json{{"name", r.name}, {"method", name(m)}, {"rank", r.rank}, {"rows", std::move(rows)}}.dump();
}

}  // namespace

std::function<int()> xrdid::cli::setup_eval(CLI::App* sub) {
  auto a = std::make_shared<EvalArgs>();
  a->opt.top = 10;
  sub->add_option("patterns", a->dir, "folder of measured patterns")->required()->check(CLI::ExistingDirectory);
  sub->add_option("--cifs", a->cif_dir, "folder of the true NAME.cif (default: the pattern folder)");
  sub->add_option("-l,--library", a->library, "library file")->required();
  sub->add_option("-m,--model", a->model, "model file (for model and hybrid)");
  add_choice(sub, "--method", a->methods, "method", xrdid::identify::kMethodNames,
             "methods to score (several: one row each)")
      ->default_str(std::string(name(xrdid::identify::Method::Profile)));
  xrdid::cli::add_search_options(sub, a->opt);
  sub->add_option("--perturb", a->perturb,
                  "perturb every pattern first, e.g. strain=0.01,range=10:60,counts=300,shift=0.2,"
                  "displacement=0.2,hump=0.3,fluorescence=0.2,texture=2,impurity=0.2,noise=5,seed=1 "
                  "(robustness; augment/perturb.hpp)");
  sub->add_option("--write-perturbed", a->write_perturbed,
                  "also write every perturbed pattern to this folder as NAME.xy (created if needed; not the "
                  "pattern folder), to score other programs on the same degraded data")
      ->needs("--perturb");
  sub->add_flag("-v,--verbose", a->verbose, "list the misses");
  sub->add_option("--ranks", a->ranks, "write name,method,rank,score1,score2,probability,chance1,volume1,reference_fill per pattern "
                                       "(rank of the first hit, 0: not in the rows; the first two rows' scores; the "
                                       "first row's probability, chance level and cell volume change in %; how much of "
                                       "its cell the true CIF's atoms would fill, below 0.5: the CIF lacks atoms) to this CSV, for scripts/cv.py and scripts/calibrate.py");
  sub->add_option("--rows", a->opt.top, "rows ranked per pattern (at least 10)")->capture_default_str()
      ->check(xrdid::cli::kFinite)->check(CLI::Range(10, 1000));
  sub->add_option("--candidates", a->candidates,
                  "write every pattern's ranked rows (hit or not, scores, shift, lattice scale, and the fit "
                  "statistics of verified rows) to this file as JSON lines, for choosing a re-ranking by "
                  "cross-validation");
  sub->add_option("--fit-rows", a->opt.fit_rows,
                  "fit the best K rows to the measured pattern without reordering them (their fit statistics "
                  "in --candidates; --verify reorders)")
      ->check(xrdid::cli::kFinite)->check(CLI::Range(0, 50));
  sub->add_option("--device", a->dev.device, "where the model computes embeddings: cpu | cuda")->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
  return std::function<int()>([a] {
    const auto perturb = xrdid::augment::parse_perturbation(a->perturb);  // bad spec: error before any work
    xrdid::compute::require_device(a->dev);
    xrdid::common::require_output_folder(a->ranks, "--ranks");
    xrdid::common::refuse_output_over_input(a->ranks, {a->library, a->model}, "--ranks");
    xrdid::common::require_output_folder(a->candidates, "--candidates");
    xrdid::common::refuse_output_over_input(a->candidates, {a->library, a->model}, "--candidates");
    if (!a->write_perturbed.empty()) {
      namespace fs = std::filesystem;
      std::error_code ec;
      XRDID_CHECK(!fs::exists(a->write_perturbed, ec) || !fs::equivalent(a->write_perturbed, a->dir, ec),
                  "--write-perturbed " + a->write_perturbed + " is the pattern folder; give another folder");
      fs::create_directories(a->write_perturbed, ec);
      XRDID_CHECK(fs::is_directory(a->write_perturbed), "--write-perturbed: cannot create the folder " +
                                                            a->write_perturbed + (ec ? " (" + ec.message() + ")" : ""));
    }
    std::vector<std::string> skipped;
    auto set = xrdid::identify::labeled_patterns(a->dir, a->cif_dir, &skipped);
    for (auto& s : skipped) std::cerr << "skipped " << s << "\n";
    XRDID_CHECK(!set.empty(), a->dir + ": no pattern with a readable NAME.cif");
    auto lib = xrdid::xrd::load_library(a->library);
    xrdid::identify::Identifier id(lib);
    id.set_library_path(a->library);
    id.set_device(a->dev);
    if (!a->model.empty()) id.attach_model(a->model);
    std::cout << set.size() << " labelled patterns, library of " << lib.size() << " entries"
              << (perturb.empty() ? std::string() : ", perturbed: " + perturb.spec) << "\n";
    std::cout << "method    top-1    top-5   top-10   s/query\n";
    std::string ranks_csv = "name,method,rank,score1,score2,probability,chance1,volume1,reference_fill\n";
    std::string candidates_jsonl;
    for (std::size_t mi = 0; mi < a->methods.size(); ++mi) {
      const auto m = a->methods[mi];
      auto opt = a->opt;
      opt.method = m;
      // the same perturbed patterns for every method: written once
      auto s = xrdid::identify::evaluate_identification(id, set, opt, perturb, mi == 0 ? a->write_perturbed : "");
      XRDID_CHECK(s.n > 0, "no pattern could be scored (" + std::to_string(s.failed) + " failed; first: " +
                               s.first_error + ")");
      std::cout << std::left << std::setw(8) << name(m) << std::right << std::fixed << std::setprecision(1) << std::setw(7)
                << s.top1 << "% " << std::setw(7) << s.top5 << "% " << std::setw(7) << s.top10 << "% " << std::setw(9)
                << std::setprecision(3) << s.seconds_per_query << (s.failed ? "  (" + std::to_string(s.failed) + " failed, first: " + s.first_error + ")" : "")
                << "\n";
      if (s.n_complete < s.n)
        std::cout << "  (complete CIFs) " << std::setprecision(1) << s.complete_top1 << "% " << std::setw(7)
                  << s.complete_top5 << "% " << std::setw(7) << s.complete_top10 << "%   " << s.n_complete << " of " << s.n
                  << " patterns: the others' CIFs probably lack atoms (fill below " << xrdid::xrd::kMinPlausibleFill
                  << ")\n";
      if (a->verbose)
        for (auto& x : s.misses) std::cout << "  miss " << x << "\n";
      for (const auto& r : s.ranks) {
        char num[128];
        std::snprintf(num, sizeof num, ",%.6f,%.6f,%.6f,%.6f,%.6f,%.4f\n", r.score1, r.score2, r.probability, r.chance1,
                      r.volume1, r.reference_fill);
        ranks_csv += r.name + "," + std::string(xrdid::identify::name(m)) + "," + std::to_string(r.rank) + num;
        if (!a->candidates.empty()) candidates_jsonl += candidates_line(lib, r, m) + "\n";
      }
    }
    if (!a->ranks.empty()) xrdid::common::write_file_atomic(a->ranks, ranks_csv);
    if (!a->candidates.empty()) xrdid::common::write_file_atomic(a->candidates, candidates_jsonl);
    return 0;
  });
}
