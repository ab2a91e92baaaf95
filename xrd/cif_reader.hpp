// CIF → Crystal. The only gemmi user in the project (xrd/cif_reader.cpp).
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "xrd/crystal.hpp"

namespace xrdid::xrd {

// Why a CIF was refused. reason() is a short fixed code for statistics:
// "unreadable", "syntax", "no block", "no cell", "no atoms", "bad coordinates", "unknown element",
// "occupancy > 1", "no symmetry", "bad symmetry", "too many atoms".
class CifError : public std::runtime_error {
 public:
  CifError(const std::string& path, std::string reason, const std::string& detail);
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

struct CifReadOptions {
  // Data block to read; "" = the first block that lists atom sites (else the first block).
  std::string block;
  // Symmetry copies (and sites of different labels) closer than this periodic Cartesian
  // distance are one position. 0.02 Å absorbs the 4-digit rounding of special-position
  // coordinates in real CIFs (e.g. 0.3333 → 1/3 gives < 0.005 Å for a < 15 Å) while keeping
  // genuinely split disordered positions (≥ ~0.1 Å apart) separate. pymatgen instead uses
  // 1e-4 per fractional component after snapping ±1e-4 relative of 1/3, 2/3 (we snap too).
  double merge_distance = 0.02;
  // A position whose occupancies sum to more than 1 + this is refused (pymatgen refuses any
  // sum > 1 with its default occupancy_tolerance = 1.0; 1e-3 forgives 3-digit rounding).
  double occupancy_tolerance = 1e-3;
  // Find the space group of the expanded cell with spglib (xrd/symmetry.hpp) and use it where the
  // file declares P 1 or no recognisable group. A declared group other than P 1 is kept even
  // where spglib finds another (both are recorded in the Crystal).
  bool detect_symmetry = true;
  double symmetry_tolerance = 0;  // Å; 0 = kSymmetryTolerance
};

// The most sites a full cell may have before merging (asymmetric-unit sites × symmetry
// operations). Larger cells are refused ("too many atoms") before they are expanded: the
// duplicate check of each site's copies is quadratic in the operations. The largest COD cells
// hold a few 10⁴ sites.
inline constexpr std::size_t kMaxCellSites = 100'000;
// The most symmetry operations a CIF may list (8 × the 192 of F m -3 m); more are refused
// ("bad symmetry").
inline constexpr std::size_t kMaxSymmetryOps = 1536;

// Reads a CIF file. Throws CifError (a std::runtime_error) naming the file and the reason.
// Symmetry: the symop loop (_space_group_symop_operation_xyz / _symmetry_equiv_pos_as_xyz) if
// present, else the H-M name (several spellings tried), else the Hall symbol, else the IT number.
// Elements from _atom_site_type_symbol or the label ("Fe3+" → Fe, D → H). B_iso from U_iso,
// B_iso, or U_eq of the aniso U (B_iso = 8π²U). Sites with occupancy ≤ 0 are dropped.
Crystal read_cif(const std::string& path, const CifReadOptions& opt = {});
// Same, from CIF text; `name` stands in for the path in messages and Crystal::source.
Crystal read_cif_string(const std::string& text, const std::string& name, const CifReadOptions& opt = {});
// Names of the data blocks of a CIF file, in file order.
std::vector<std::string> cif_block_names(const std::string& path);

}  // namespace xrdid::xrd
