// Top-k identification accuracy on labelled measured patterns.
#include "identify/evaluation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "augment/physics.hpp"
#include "identify/confidence.hpp"
#include "io/pattern_formats.hpp"
#include "io/pattern_io.hpp"
#include "xrd/cif_reader.hpp"

namespace xrdid::identify {

bool LabeledPattern::incomplete_reference() const { return xrd::lacks_atoms(fill); }

std::vector<LabeledPattern> labeled_patterns(const std::string& dir, const std::string& cif_dir_in,
                                             std::vector<std::string>* skipped) {
  namespace fs = std::filesystem;
  const std::string cif_dir = cif_dir_in.empty() ? dir : cif_dir_in;
  XRDID_CHECK(fs::is_directory(dir), dir + ": not a folder");
  std::vector<fs::path> files;
  // Structure CIFs (the labels, by default in the same folder) are not patterns; a powder CIF is.
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && io::is_pattern_file(e.path().string())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<LabeledPattern> out;
  for (auto& f : files) {
    LabeledPattern lp;
    lp.pattern_path = f.string();
    lp.name = f.stem().string();
    const fs::path cif = fs::path(cif_dir) / (lp.name + ".cif");
    std::error_code ec;
    if (fs::equivalent(cif, f, ec)) {  // a powder CIF named NAME.cif in the label folder
      if (skipped) skipped->push_back(lp.name + ": the pattern " + f.filename().string() +
                                      " is its own NAME.cif; give the true structures with --cifs DIR");
      continue;
    }
    try {
      xrd::Crystal c = xrd::read_cif(cif.string());
      lp.reduced_formula = xrd::reduced_formula(c);
      lp.spacegroup_number = c.spacegroup_number;
      lp.fill = xrd::atom_volume_fill(c);
      out.push_back(lp);
    } catch (const std::exception& e) {
      if (skipped) skipped->push_back(lp.name + ": " + e.what());
    }
  }
  return out;
}

namespace {

// The second phase of an `impurity` perturbation for query k: a library entry of another
// reduced formula, drawn from (seed, k), as a pattern on the library grid.
xrd::Pattern impurity_phase(const xrd::Library& lib, const std::string& formula, std::uint64_t seed, std::size_t k) {
  augment::Rng rng(augment::variant_seed(seed ^ 0x696d70757269ULL, k));
  std::uniform_int_distribution<std::size_t> pick(0, lib.entries.size() - 1);
  std::size_t e = pick(rng);
  for (int tries = 0; tries < 100 && lib.entries[e].reduced_formula == formula; ++tries) e = pick(rng);
  xrd::Pattern p;
  p.two_theta = lib.grid();
  p.intensity.assign(lib.pattern(e), lib.pattern(e) + lib.n_points);
  p.source = lib.entries[e].id;
  return p;
}

}  // namespace

EvalScore evaluate_identification(const Identifier& id, const std::vector<LabeledPattern>& set, IdentifyOptions opt,
                                  const augment::Perturbation& perturb, const std::string& perturbed_dir) {
  EvalScore s;
  s.method = opt.method;
  opt.top = std::max(opt.top, 10);
  const auto& lib = id.library();
  double h1 = 0, h5 = 0, h10 = 0, c1 = 0, c5 = 0, c10 = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::string write_error;
  for (std::size_t k = 0; k < set.size(); ++k) {
    const LabeledPattern& lp = set[k];
    IdentifyResult r;
    try {
      xrd::Pattern p = io::read_pattern(lp.pattern_path);
      if (perturb.impurity > 0) {
        const xrd::Pattern second = impurity_phase(lib, lp.reduced_formula, perturb.seed, k);
        augment::apply_perturbation(p, perturb, k, &second);
      } else if (!perturb.empty()) {
        augment::apply_perturbation(p, perturb, k);
      }
      if (!perturbed_dir.empty()) {
        p.source = lp.name + " perturbed: " + perturb.spec;
        try {
          io::write_xy(perturbed_dir + "/" + lp.name + ".xy", p);
        } catch (const std::exception& e) {
          write_error = e.what();  // ends the evaluation below, unlike a pattern that cannot be scored
        }
      }
      if (write_error.empty()) r = id.identify(p, opt);
    } catch (const std::exception& e) {
      if (s.failed++ == 0) s.first_error = e.what();
      continue;
    }
    XRDID_CHECK(write_error.empty(), write_error);
    ++s.n;
    auto entry_hit = [&](std::size_t k) {
      const auto& e = lib.entries[k];
      const std::string& eid = e.id;
      const bool same_file = eid == lp.name || (eid.size() > lp.name.size() &&
                                                eid.compare(eid.size() - lp.name.size() - 1, std::string::npos, "/" + lp.name) == 0);
      return same_file || (e.reduced_formula == lp.reduced_formula && e.spacegroup_number == lp.spacegroup_number);
    };
    // A row is right when any of its sources is: the row is one phase (identify/same_phase.hpp).
    auto hit = [&](const Candidate& c) {
      return entry_hit(c.entry) || std::any_of(c.same_phase.begin(), c.same_phase.end(), entry_hit);
    };
    int first = -1;
    for (std::size_t k = 0; k < r.candidates.size(); ++k)
      if (hit(r.candidates[k])) {
        first = static_cast<int>(k);
        break;
      }
    EvalScore::Rank row;
    row.name = lp.name;
    row.rank = first + 1;
    row.reference_fill = lp.fill;
    for (const Candidate& c : r.candidates) row.rows.emplace_back(hit(c), c);
    if (!r.candidates.empty())
      row.score1 = r.candidates[0].score, row.probability = r.candidates[0].probability, row.chance1 = r.candidates[0].chance,
      row.volume1 = std::abs(volume_change(r.candidates[0]));
    if (r.candidates.size() > 1) row.score2 = r.candidates[1].score;
    s.ranks.push_back(row);
    h1 += first == 0;
    h5 += first >= 0 && first < 5;
    h10 += first >= 0 && first < 10;
    if (!lp.incomplete_reference()) {
      ++s.n_complete;
      c1 += first == 0;
      c5 += first >= 0 && first < 5;
      c10 += first >= 0 && first < 10;
    }
    if (first != 0 && !r.candidates.empty()) {
      const auto& e = lib.entries[r.candidates[0].entry];
      s.misses.push_back(lp.name + ": got " + e.reduced_formula + " (" + std::to_string(e.spacegroup_number) +
                         "), true rank " + (first < 0 ? std::string(">10") : std::to_string(first + 1)));
    }
  }
  const double n = std::max<double>(1.0, static_cast<double>(s.n));
  s.top1 = 100.0 * h1 / n;
  s.top5 = 100.0 * h5 / n;
  s.top10 = 100.0 * h10 / n;
  const double nc = std::max<double>(1.0, static_cast<double>(s.n_complete));
  s.complete_top1 = 100.0 * c1 / nc;
  s.complete_top5 = 100.0 * c5 / nc;
  s.complete_top10 = 100.0 * c10 / nc;
  s.seconds_per_query = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n;
  return s;
}

}  // namespace xrdid::identify
