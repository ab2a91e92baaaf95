// Reference library: simulated patterns of many CIFs on one grid, with per-entry metadata,
// in one little-endian, memory-map-friendly file (docs/library-format.md).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "xrd/pattern.hpp"
#include "xrd/powder.hpp"
#include "xrd/render.hpp"

namespace xrdid::xrd {

struct LibraryEntry {
  std::string id;               // path relative to the input folder, without ".cif" (or the file stem)
  std::string source;           // CIF path as given
  std::string formula;          // cell formula, e.g. "Li4 F4"
  std::string reduced_formula;  // e.g. "LiF"
  std::vector<std::string> elements;
  std::string spacegroup;       // H-M symbol of the group used (Crystal::spacegroup_number)
  int spacegroup_number = 0;    // the CIF's group, or spglib's where the CIF declares P 1 or none
  std::string declared_spacegroup;  // as the CIF declares it
  int declared_spacegroup_number = 0;
  std::string detected_spacegroup;  // spglib's from the full cell
  int detected_spacegroup_number = 0;  // 0: not found, or a library written before it was stored
  std::array<double, 6> cell{};  // a, b, c (Å), α, β, γ (°)
  int n_sites = 0;               // sites in the full cell
  double density = 0;            // g/cm³ (0: unknown, a library written before it was stored)
  double fill = 0;               // atom_volume_fill (xrd/crystal.hpp; 0: unknown, as density)
  // Whether the CIF probably lacks atoms (fill known and below kMinPlausibleFill).
  bool incomplete() const;
};

struct Library {
  std::vector<LibraryEntry> entries;
  double two_theta_start = 0.0, two_theta_step = 0.02;  // uniform grid
  std::size_t n_points = 0;
  Wavelength wavelength;
  std::string settings_json;     // how the patterns were made (profile, range, …), JSON text
  std::vector<float> patterns;   // entries.size() × n_points, row-major, each row max 100
  std::size_t size() const { return entries.size(); }
  const float* pattern(std::size_t i) const { return patterns.data() + i * n_points; }
  std::vector<double> grid() const;
};

struct LibraryBuildOptions {
  Wavelength wavelength{1.54184, 0.0, 0.5};
  double two_theta_start = 0.0, two_theta_stop = 120.0, two_theta_step = 0.02;
  ProfileOptions profile;
  PowderOptions powder;  // B factors etc.; wavelength and range are taken from above
  int threads = 0;       // 0 = OpenMP default
  double symmetry_tolerance = 0;  // Å, spglib's symprec for space-group detection; 0 = kSymmetryTolerance
  // Called after each CIF (from worker threads, serialised): (done, total).
  std::function<void(std::size_t, std::size_t)> progress;
};

struct LibrarySkip {
  std::string source;
  std::string reason;  // the exception message
};

// Every *.cif under each folder (recursive) and every file given directly; sorted, deduplicated.
// Pairs (path, id). Throws std::runtime_error for a path that does not exist.
std::vector<std::pair<std::string, std::string>> collect_cifs(const std::vector<std::string>& inputs);

// Simulates every CIF (parallel over files). Unreadable CIFs are skipped and listed in *skipped.
Library build_library(const std::vector<std::pair<std::string, std::string>>& cifs, const LibraryBuildOptions& opt,
                      std::vector<LibrarySkip>* skipped = nullptr);

void save_library(const Library& lib, const std::string& path);  // atomic (temp file + rename)
// Reads a library; with patterns = false only the header and metadata (for `library info`).
// Throws std::runtime_error naming the file for a bad magic, version or size, or an entry id
// that is absolute or climbs out with "..".
// Every size in the header is checked against the file and against kMaxGridPoints before any
// memory is taken.
Library load_library(const std::string& path, bool patterns = true);
// Same, from an open stream (positioned anywhere; it is read from its start); `name` stands in
// for the path in messages.
Library load_library(std::istream& in, const std::string& name, bool patterns = true);

// The CIF of entry i of a library loaded from `library_path`: its recorded source when that
// exists from here, else the source relative to the folder the library was built from, else
// relative to the library file's folder; the recorded source when none exists (so an error
// names the path the user knows). A relative source that climbs out with ".." is never looked
// up under those two folders. The path is only ever read as a CIF (read_cif refuses anything
// but a regular file); nothing in a library is executed or written to.
std::string entry_cif_path(const Library& lib, std::size_t i, const std::string& library_path);

}  // namespace xrdid::xrd
