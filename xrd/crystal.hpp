// Crystal: a periodic structure expanded to the full unit cell (one entry per species per
// position), the seam between CIF reading and powder simulation. No gemmi types here.
#pragma once
#include <array>
#include <map>
#include <string>
#include <vector>

namespace xrdid::xrd {

// One crystallographic symmetry operation x' = R x + t in fractional coordinates.
struct SymOp {
  std::array<std::array<int, 3>, 3> rot{};  // integer rotation part
  std::array<double, 3> tran{};             // translation (fractions of a cell)
  std::array<double, 3> apply(const std::array<double, 3>& x) const;
};

// One (species, position) entry of the full cell. A mixed site is several entries sharing
// `fract` (and `position_group`).
struct Site {
  std::string label;              // CIF _atom_site_label
  std::string element;            // element symbol, e.g. "Fe" (D is stored as "H")
  int z = 0;                      // atomic number
  std::array<double, 3> fract{};  // fractional coordinates, wrapped into [0, 1)
  double occ = 1.0;               // chemical occupancy
  double b_iso = 0.0;             // isotropic B in Å² (B = 8π² U; U_eq from aniso U if needed)
  int position_group = 0;         // entries with the same value share one position
  int asu_index = 0;              // index of the asymmetric-unit site it came from
};

struct Crystal {
  double a = 0, b = 0, c = 0;               // Å
  double alpha = 90, beta = 90, gamma = 90;  // degrees
  std::vector<SymOp> ops;                    // full group, identity included
  std::vector<Site> sites;                   // full cell, merged (see cif_reader.hpp)
  // The space group used everywhere (library rows, same-phase rule, hit criteria): the declared
  // one, or the detected one where the file declares P 1 or nothing (see cif_reader.hpp).
  int spacegroup_number = 0;                 // 0 = unknown
  std::string spacegroup_symbol;             // H-M symbol
  int declared_spacegroup_number = 0;        // as the file gives it (gemmi's name, else the file's)
  std::string declared_spacegroup_symbol;
  int detected_spacegroup_number = 0;        // spglib's from the full cell (xrd/symmetry.hpp); 0 = not run
  std::string detected_spacegroup_symbol;
  std::string source;                        // file path
  std::string block_name;                    // CIF data block
  std::size_t asu_site_count = 0;            // sites listed in the file (after dropping occ<=0)

  double volume() const;  // Å³
  // Rows are the Cartesian lattice vectors a, b, c (a along x, b in the xy plane).
  std::array<std::array<double, 3>, 3> lattice_vectors() const;
};

// Volume (Å³) of the cell a, b, c (Å), α, β, γ (degrees), e.g. a refined one.
double cell_volume(const std::array<double, 6>& cell);

// Σ occupancy per element over the full cell, keyed by symbol.
std::map<std::string, double> cell_composition(const Crystal& c);
// Cell formula in pymatgen's style: elements ordered by Pauling electronegativity,
// "Li4 F4", amounts printed with up to 8 significant digits, "1" kept.
std::string cell_formula(const Crystal& c);
// Reduced formula: amounts divided by their greatest common divisor when all are
// (near-)integers, printed without "1", e.g. "LiF", "Li2O", "Li0.5Ni0.5O".
std::string reduced_formula(const Crystal& c);
// Density in g/cm³ from the full cell's occupancies and standard atomic weights.
double density_g_cm3(const Crystal& c);
// How much of the cell its atoms would fill at the volumes they take in their elemental solids:
// Σ occupancy × atomic_volume(Z) over the sites other than H / cell volume (H is left out: CIFs
// often omit it, and it adds little volume in compounds). Oxides and silicates lie near 2 (an
// oxygen takes less room than in solid O2), metals and alloys near 1. A CIF that lists only
// part of its cell's atoms (an asymmetric unit declared P 1, symmetry operations missing) fills
// less: SiO_1 of the development data, 1 Si and 1 O in quartz's cell, 0.43; quartz itself 2.1.
// 0 for a cell without volume.
double atom_volume_fill(const Crystal& c);
// Below this a structure's CIF almost surely lacks atoms, and its simulated intensities are
// wrong. Of the 2,761 development CIFs, 114 (4.1 %) fall below it, most of them
// P 1 files of the benchmark and RRUFF/opXRD collections with formulas such as "SiO", "Sb2S3" or "C"
// (docs/results.md, "References that lack atoms").
constexpr double kMinPlausibleFill = 0.5;
// Whether a fill says the CIF probably lacks atoms: known (> 0) and below kMinPlausibleFill.
constexpr bool lacks_atoms(double fill) { return fill > 0 && fill < kMinPlausibleFill; }
// Distinct element symbols, sorted alphabetically.
std::vector<std::string> elements_of(const Crystal& c);

}  // namespace xrdid::xrd
