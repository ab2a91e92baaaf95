// One row per phase: library entries that are the same phase (the same composition and space
// group — or its enantiomorph, which gives the same powder pattern — and the same cell within a
// tolerance or a near-identical pattern) are listed as one candidate with all its sources, so the
// top rows of a ranking are different answers. A CIF that records a phase only in part (an
// asymmetric unit written in P 1: partial_record) is the same phase as a structure of the same
// elements and the same cell.
#pragma once
#include <cstddef>
#include <vector>

#include "xrd/library.hpp"

namespace xrdid::identify {

struct SamePhaseTolerance {
  double cell_rel = 0.02;       // |Δa|/a, |Δb|/b, |Δc|/c at most this
  double angle_deg = 1.0;       // |Δα|, |Δβ|, |Δγ| at most this
  double min_cosine = 0.95;     // or: patterns this alike over a small zero-shift search, or with
                                // one pattern's d-spacings scaled by up to ±cell_rel (one lattice in
                                // another setting: a primitive cell of a centred one, rhombohedral
                                // axes of a hexagonal one)
  double max_shift_deg = 0.1;
};

// Whether an entry's CIF records a phase only in part: it declares P 1 (or no group) and either
// probably lacks atoms (LibraryEntry::incomplete), or its atoms show no symmetry (P 1 for spglib
// too) although its cell has two right angles — a triclinic structure's cell has none. Such a
// file is usually one asymmetric unit of a structure of higher symmetry, written without its
// symmetry operations.
bool partial_record(const xrd::LibraryEntry& e);

// True when entries a and b of `lib` are the same phase under `tol`.
bool same_phase(const xrd::Library& lib, std::size_t a, std::size_t b, const SamePhaseTolerance& tol = {});

struct PhaseRow {
  std::size_t position = 0;               // index into the ranked list of its best entry
  std::vector<std::size_t> also;          // positions of lower-ranked entries of the same phase
};

// Walks `ranked` (library entry indices, best first) and returns at most `rows` rows, each the
// best-ranked entry of a phase not yet listed; every later entry of a listed phase is added to
// that row's `also`, whether it ranks above or below the last row. A partial record joins the
// row of the complete structure it records; a complete structure ranked below a partial record
// of it keeps a row of its own.
std::vector<PhaseRow> rows_by_phase(const xrd::Library& lib, const std::vector<std::size_t>& ranked, std::size_t rows,
                                    const SamePhaseTolerance& tol = {});

}  // namespace xrdid::identify
