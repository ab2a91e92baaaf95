// Scoring identification on measured patterns with known identity: a folder of NAME.<pattern>
// files each beside NAME.cif (a folder of measured patterns with their true structures).
// A hit is the same CIF (library id ending in NAME) or the same reduced formula + space group.
#pragma once
#include <string>
#include <vector>

#include "augment/perturb.hpp"
#include "identify/identify.hpp"
#include "common/check.hpp"

namespace xrdid::identify {

struct LabeledPattern {
  std::string pattern_path;
  std::string name;             // file stem
  std::string reduced_formula;  // of the true structure
  int spacegroup_number = 0;
  double fill = 0;              // xrd::atom_volume_fill of the true structure
  // Its CIF probably lacks atoms (below xrd::kMinPlausibleFill): the pattern's label is a
  // structure whose simulated intensities are wrong.
  bool incomplete_reference() const;
};

// Pairs every pattern file in `dir` (io::is_pattern_file: structure CIFs are not patterns) with
// `cif_dir`/NAME.cif (cif_dir defaults to dir). Patterns whose CIF is missing or unreadable, or
// is the pattern itself (a powder CIF), are listed in *skipped.
std::vector<LabeledPattern> labeled_patterns(const std::string& dir, const std::string& cif_dir,
                                             std::vector<std::string>* skipped);

struct EvalScore {
  Method method = Method::Profile;
  std::size_t n = 0, failed = 0;
  std::string first_error;          // message of the first pattern that could not be scored
  double top1 = 0, top5 = 0, top10 = 0;  // %
  // The same over the patterns whose true CIF is complete (LabeledPattern::incomplete_reference false).
  std::size_t n_complete = 0;
  double complete_top1 = 0, complete_top5 = 0, complete_top10 = 0;  // %
  double seconds_per_query = 0;
  std::vector<std::string> misses;  // "NAME: got FORMULA (SG)"
  // Per scored pattern: its name, the rank of the first hit (1 = top, 0 = not in the rows), the
  // scores of the first two rows (0 where absent), the first row's probability and chance level.
  struct Rank {
    std::string name;
    int rank = 0;
    double reference_fill = 0;  // LabeledPattern::fill
    double score1 = 0, score2 = 0, probability = 0, chance1 = 0;
    double volume1 = 0;  // the first row's volume_change (identify/confidence.hpp)
    // The first rows as ranked (every row when asked for): whether each is a hit, and the row.
    std::vector<std::pair<bool, Candidate>> rows;
  };
  std::vector<Rank> ranks;
};

// Scores `opt.method` on every pattern of `set`, each first perturbed by `perturb` (see
// augment/perturb.hpp; pattern k uses draws from (perturb.seed, k)). With `perturbed_dir`, every
// perturbed pattern is also written there as NAME.xy (the folder must exist), so that other
// programs can be scored on the same degraded data.
EvalScore evaluate_identification(const Identifier& id, const std::vector<LabeledPattern>& set, IdentifyOptions opt,
                                  const augment::Perturbation& perturb = {}, const std::string& perturbed_dir = {});

}  // namespace xrdid::identify
