// Reference library build (OpenMP over CIFs), save and load; format in docs/library-format.md.
#include "xrd/library.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "common/json_value.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/crystal.hpp"
#include "xrd/export.hpp"
#include "xrd/symmetry.hpp"

namespace xrdid::xrd {

static_assert(std::endian::native == std::endian::little, "the library format is little-endian");

namespace {

constexpr char kMagic[8] = {'X', 'R', 'D', 'I', 'D', 'L', 'I', 'B'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kHeaderBytes = 128;

// Fixed 128-byte header; see docs/library-format.md.
struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint64_t n_entries;
  std::uint64_t n_points;
  double two_theta_start;
  double two_theta_step;
  double wavelength_alpha1;
  double wavelength_alpha2;
  double wavelength_ratio21;
  std::uint64_t metadata_offset;
  std::uint64_t metadata_bytes;
  std::uint64_t patterns_offset;
  std::uint64_t patterns_bytes;
  std::uint8_t reserved[24];
};
static_assert(sizeof(Header) == kHeaderBytes);

std::uint64_t align64(std::uint64_t x) { return (x + 63) / 64 * 64; }

// True when the relative path p, joined to any folder, stays inside that folder.
bool stays_inside(const std::filesystem::path& p) {
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory()) return false;
  const std::filesystem::path n = p.lexically_normal();
  return n.empty() || *n.begin() != "..";
}

// The paths a library records come from files that may have come from anywhere: an id (shown
// in reports, the name of the CIF relative to the input folder) may not be absolute or climb
// out with "..", and neither it nor a source may hold control characters.
void check_entry_paths(const LibraryEntry& e) {
  auto control = [](const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  if (control(e.id) || !stays_inside(std::filesystem::path(e.id)))
    throw std::runtime_error("entry id '" + e.id + "' is absolute, climbs out with '..' or holds control characters");
  if (control(e.source)) throw std::runtime_error("entry '" + e.id + "' has a source path with control characters");
}

}  // namespace

bool LibraryEntry::incomplete() const { return lacks_atoms(fill); }

std::vector<double> Library::grid() const {
  std::vector<double> g(n_points);
  for (std::size_t i = 0; i < n_points; ++i) g[i] = two_theta_start + static_cast<double>(i) * two_theta_step;
  return g;
}

std::vector<std::pair<std::string, std::string>> collect_cifs(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const std::string& in : inputs) {
    const fs::path p(in);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        if (e.is_regular_file() && ext == ".cif") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) {
        fs::path rel = fs::relative(f, p);
        rel.replace_extension();
        if (seen.insert(f.string()).second) out.emplace_back(f.string(), rel.generic_string());
      }
    } else if (fs::exists(p, ec)) {
      if (seen.insert(p.string()).second) out.emplace_back(p.string(), p.stem().string());
    } else {
      throw std::runtime_error(in + ": no such file or directory");
    }
  }
  return out;
}

Library build_library(const std::vector<std::pair<std::string, std::string>>& cifs, const LibraryBuildOptions& opt,
                      std::vector<LibrarySkip>* skipped) {
  const std::vector<double> grid = uniform_grid(opt.two_theta_start, opt.two_theta_stop, opt.two_theta_step);
  const std::size_t n = cifs.size(), np = grid.size();
  std::vector<LibraryEntry> entries(n);
  std::vector<std::string> errors(n);
  std::vector<char> ok(n, 0);
  std::vector<float> rows(n * np, 0.0f);
  std::mutex progress_mutex;
  std::size_t done = 0;
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) {
    try {
      CifReadOptions cif_opt;
      cif_opt.symmetry_tolerance = opt.symmetry_tolerance;
      const Crystal c = read_cif(cifs[i].first, cif_opt);
      const Pattern p = simulate_pattern(c, opt.wavelength, grid, opt.profile, opt.powder);
      std::copy(p.intensity.begin(), p.intensity.end(), rows.begin() + i * np);
      LibraryEntry& e = entries[i];
      e.id = cifs[i].second;
      e.source = cifs[i].first;
      e.formula = cell_formula(c);
      e.reduced_formula = reduced_formula(c);
      e.elements = elements_of(c);
      e.spacegroup = c.spacegroup_symbol;
      e.spacegroup_number = c.spacegroup_number;
      e.declared_spacegroup = c.declared_spacegroup_symbol;
      e.declared_spacegroup_number = c.declared_spacegroup_number;
      e.detected_spacegroup = c.detected_spacegroup_symbol;
      e.detected_spacegroup_number = c.detected_spacegroup_number;
      e.cell = {c.a, c.b, c.c, c.alpha, c.beta, c.gamma};
      e.n_sites = static_cast<int>(c.sites.size());
      e.density = density_g_cm3(c);
      e.fill = atom_volume_fill(c);
      ok[i] = 1;
    } catch (const std::exception& ex) {
      errors[i] = ex.what();
    }
    if (opt.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      opt.progress(++done, n);
    }
  }
  Library lib;
  lib.two_theta_start = opt.two_theta_start;
  lib.two_theta_step = opt.two_theta_step;
  lib.n_points = np;
  lib.wavelength = opt.wavelength;
  nlohmann::json settings = {
      {"two_theta_start", opt.two_theta_start},
      {"two_theta_stop", opt.two_theta_stop},
      {"two_theta_step", opt.two_theta_step},
      {"profile", opt.profile.kind == ProfileKind::Gaussian ? "gaussian" : "pvoigt"},
      {"sigma", opt.profile.sigma},
      {"caglioti", opt.profile.use_caglioti ? nlohmann::json{opt.profile.U, opt.profile.V, opt.profile.W} : nlohmann::json()},
      {"size_nm", opt.profile.size_nm},
      {"zero_shift", opt.profile.zero_shift},
      {"b_by_element", opt.powder.b_by_element},
      {"use_site_b", opt.powder.use_site_b},
      {"symprec", opt.symmetry_tolerance > 0 ? opt.symmetry_tolerance : kSymmetryTolerance},
      // where relative CIF sources were given from, so a library moved or used from another
      // directory can still find its CIFs (train/structures.cpp)
      {"build_dir", std::filesystem::current_path().string()}};
  lib.settings_json = settings.dump();
  for (std::size_t i = 0; i < n; ++i) {
    if (!ok[i]) {
      if (skipped) skipped->push_back({cifs[i].first, errors[i]});
      continue;
    }
    lib.entries.push_back(std::move(entries[i]));
    lib.patterns.insert(lib.patterns.end(), rows.begin() + i * np, rows.begin() + (i + 1) * np);
  }
  return lib;
}

void save_library(const Library& lib, const std::string& path) {
  if (lib.patterns.size() != lib.entries.size() * lib.n_points)
    throw std::invalid_argument(path + ": library patterns do not match entries × points");
  nlohmann::json meta;
  meta["format"] = "xrdid-library";
  meta["version"] = kVersion;
  meta["settings"] = lib.settings_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(lib.settings_json);
  nlohmann::json arr = nlohmann::json::array();
  for (const LibraryEntry& e : lib.entries)
    arr.push_back({{"id", e.id},
                   {"source", e.source},
                   {"formula", e.formula},
                   {"reduced_formula", e.reduced_formula},
                   {"elements", e.elements},
                   {"spacegroup", e.spacegroup},
                   {"spacegroup_number", e.spacegroup_number},
                   {"declared_spacegroup", e.declared_spacegroup},
                   {"declared_spacegroup_number", e.declared_spacegroup_number},
                   {"detected_spacegroup", e.detected_spacegroup},
                   {"detected_spacegroup_number", e.detected_spacegroup_number},
                   {"cell", e.cell},
                   {"n_sites", e.n_sites},
                   {"density", std::round(e.density * 1e4) / 1e4},
                   {"fill", std::round(e.fill * 1e4) / 1e4}});
  meta["entries"] = arr;
  const std::string meta_text = meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.header_bytes = kHeaderBytes;
  h.n_entries = lib.entries.size();
  h.n_points = lib.n_points;
  h.two_theta_start = lib.two_theta_start;
  h.two_theta_step = lib.two_theta_step;
  h.wavelength_alpha1 = lib.wavelength.alpha1;
  h.wavelength_alpha2 = lib.wavelength.alpha2;
  h.wavelength_ratio21 = lib.wavelength.ratio21;
  h.metadata_offset = kHeaderBytes;
  h.metadata_bytes = meta_text.size();
  h.patterns_offset = align64(kHeaderBytes + meta_text.size());
  h.patterns_bytes = lib.patterns.size() * sizeof(float);

  std::string blob(h.patterns_offset + h.patterns_bytes, '\0');
  std::memcpy(blob.data(), &h, sizeof h);
  std::memcpy(blob.data() + h.metadata_offset, meta_text.data(), meta_text.size());
  if (h.patterns_bytes) std::memcpy(blob.data() + h.patterns_offset, lib.patterns.data(), h.patterns_bytes);
  write_file_atomic(path, blob);
}

Library load_library(const std::string& path, bool patterns) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error(path + ": is a folder, not a library file (build one with `xrdid library build`)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open library (" + std::strerror(errno) + ")");
  return load_library(in, path, patterns);
}

Library load_library(std::istream& in, const std::string& path, bool patterns) {
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  in.seekg(0);
  if (end < 0 || !in) throw std::runtime_error(path + ": cannot read library (not a regular file?)");
  const auto file_size = static_cast<std::uint64_t>(end);
  Header h{};
  in.read(reinterpret_cast<char*>(&h), sizeof h);
  if (!in || std::memcmp(h.magic, kMagic, 8) != 0) {
    const std::string ext = std::filesystem::path(path).extension().string();
    const bool cif = ext == ".cif" || ext == ".CIF" || ext == ".mcif";
    throw std::runtime_error(path + ": not an xrdid library" +
                             (cif ? std::string(" but a CIF: build a library from CIFs with `xrdid library build " + path + " -o LIB`")
                                  : std::string(" (build one with `xrdid library build CIFS... -o LIB`)")));
  }
  if (h.version != kVersion) throw std::runtime_error(path + ": unsupported library version " + std::to_string(h.version));
  // Each size is checked against the file before anything is allocated; the sums and the
  // product are formed so that they cannot wrap around.
  const auto fits = [&](std::uint64_t offset, std::uint64_t bytes) {
    return offset <= file_size && bytes <= file_size - offset;
  };
  if (h.header_bytes != kHeaderBytes || !fits(h.metadata_offset, h.metadata_bytes) ||
      !fits(h.patterns_offset, h.patterns_bytes))
    throw std::runtime_error(path + ": truncated or inconsistent library file (a block lies past the end of its " +
                             std::to_string(file_size) + " bytes)");
  if (h.n_points > kMaxGridPoints)
    throw std::runtime_error(path + ": header claims " + std::to_string(h.n_points) + " grid points (at most " +
                             std::to_string(kMaxGridPoints) + ")");
  if (!(std::isfinite(h.two_theta_start) && std::isfinite(h.two_theta_step) && h.two_theta_step > 0.0))
    throw std::runtime_error(path + ": header has a non-finite 2θ start or a step that is not positive");
  if (h.n_points != 0 && h.n_entries > h.patterns_bytes / (h.n_points * sizeof(float)))
    throw std::runtime_error(path + ": header claims " + std::to_string(h.n_entries) + " entries × " +
                             std::to_string(h.n_points) + " points, more than its pattern block holds");
  if (h.patterns_bytes != h.n_entries * h.n_points * sizeof(float))
    throw std::runtime_error(path + ": truncated or inconsistent library file (pattern block size)");
  std::string meta_text(h.metadata_bytes, '\0');
  in.seekg(static_cast<std::streamoff>(h.metadata_offset));
  in.read(meta_text.data(), static_cast<std::streamsize>(meta_text.size()));
  if (!in) throw std::runtime_error(path + ": truncated metadata block");
  Library lib;
  lib.two_theta_start = h.two_theta_start;
  lib.two_theta_step = h.two_theta_step;
  lib.n_points = h.n_points;
  lib.wavelength = {h.wavelength_alpha1, h.wavelength_alpha2, h.wavelength_ratio21};
  try {
    const nlohmann::json meta = nlohmann::json::parse(meta_text);
    if (!meta.is_object()) throw std::runtime_error("not a JSON object");
    const auto settings = meta.value("settings", nlohmann::json::object());
    if (!settings.is_object()) throw std::runtime_error("\"settings\" is not an object");
    lib.settings_json = settings.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const auto it = meta.find("entries");
    if (it == meta.end() || !it->is_array()) throw std::runtime_error("no \"entries\" array");
    if (it->size() != h.n_entries)
      throw std::runtime_error("lists " + std::to_string(it->size()) + " entries, the header " + std::to_string(h.n_entries));
    lib.entries.reserve(it->size());
    for (const auto& j : *it) {
      if (!j.is_object()) throw std::runtime_error("an entry is not a JSON object");
      LibraryEntry e;
      e.id = j.value("id", "");
      e.source = j.value("source", "");
      e.formula = j.value("formula", "");
      e.reduced_formula = j.value("reduced_formula", "");
      e.elements = j.value("elements", std::vector<std::string>{});
      e.spacegroup = j.value("spacegroup", "");
      e.spacegroup_number = common::json_number_or<int>(j, "spacegroup_number", 0, "entry");
      // Libraries written before detection: the stored group is the declared one.
      e.declared_spacegroup = j.value("declared_spacegroup", e.spacegroup);
      e.declared_spacegroup_number = common::json_number_or<int>(j, "declared_spacegroup_number", e.spacegroup_number, "entry");
      e.detected_spacegroup = j.value("detected_spacegroup", "");
      e.detected_spacegroup_number = common::json_number_or<int>(j, "detected_spacegroup_number", 0, "entry");
      const std::vector<double> cell = common::json_numbers_or<double>(j, "cell", std::vector<double>(6, 0.0), "entry");
      if (cell.size() != 6) throw std::runtime_error("an entry's cell does not have 6 numbers");
      std::copy(cell.begin(), cell.end(), e.cell.begin());
      e.n_sites = common::json_number_or<int>(j, "n_sites", 0, "entry");
      e.density = common::json_number_or<double>(j, "density", 0.0, "entry");
      e.fill = common::json_number_or<double>(j, "fill", 0.0, "entry");
      check_entry_paths(e);
      lib.entries.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad library metadata: " + e.what());
  }
  if (patterns) {
    lib.patterns.resize(h.n_entries * h.n_points);
    in.seekg(static_cast<std::streamoff>(h.patterns_offset));
    in.read(reinterpret_cast<char*>(lib.patterns.data()), static_cast<std::streamsize>(h.patterns_bytes));
    if (!in) throw std::runtime_error(path + ": truncated pattern block");
  }
  return lib;
}

std::string entry_cif_path(const Library& lib, std::size_t i, const std::string& library_path) {
  namespace fs = std::filesystem;
  const std::string& source = lib.entries.at(i).source;
  const fs::path p(source);
  std::error_code ec;
  if (p.is_absolute() || fs::exists(p, ec)) return source;
  std::string build_dir;
  try {
    build_dir = nlohmann::json::parse(lib.settings_json).value("build_dir", "");
  } catch (const std::exception&) {
  }
  // A relative source is looked up under the build folder and the library's folder only when
  // it stays inside them: "../../x.cif" recorded in a library never reaches upwards from there.
  if (!stays_inside(p)) return source;
  for (const fs::path& base : {fs::path(build_dir), fs::path(library_path).parent_path()}) {
    if (base.empty()) continue;
    if (fs::exists(base / p, ec)) return (base / p).lexically_normal().string();
  }
  return source;
}

}  // namespace xrdid::xrd
