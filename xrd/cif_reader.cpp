// CIF → Crystal with Debian's gemmi 0.5.7 (the project's only gemmi translation unit).
// gemmi parses the syntax and space-group tables; site expansion and merging are ours.
#include "xrd/cif_reader.hpp"

#include <gemmi/cif.hpp>
#include <gemmi/numb.hpp>
#include <gemmi/symmetry.hpp>
#include <gemmi/unitcell.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <map>
#include <filesystem>
#include <optional>

#include "xrd/elements.hpp"
#include "xrd/symmetry.hpp"

namespace xrdid::xrd {

CifError::CifError(const std::string& path, std::string reason, const std::string& detail)
    : std::runtime_error(path + ": " + reason + (detail.empty() ? "" : ": " + detail)),
      reason_(std::move(reason)) {}

namespace {

namespace cif = gemmi::cif;

std::optional<double> number_at(cif::Block& block, const char* tag) {
  const std::string* v = block.find_value(tag);
  if (!v || cif::is_null(*v)) return std::nullopt;
  double x = cif::as_number(*v);
  if (!std::isfinite(x)) return std::nullopt;
  return x;
}

std::string string_at(cif::Block& block, const char* tag) {
  const std::string* v = block.find_value(tag);
  if (!v || cif::is_null(*v)) return "";
  return cif::as_string(*v);
}

SymOp to_symop(const gemmi::Op& op) {
  SymOp s;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) s.rot[i][j] = op.rot[i][j] / gemmi::Op::DEN;
    s.tran[i] = static_cast<double>(op.tran[i]) / gemmi::Op::DEN;
  }
  return s;
}

// Parses one symmetry operation "x-y+1/2, -y, z+0.25" into a SymOp (our own parser: gemmi's
// parse_triplet accepts only denominators dividing 24, and real CIFs carry "472/943").
std::optional<SymOp> parse_symop(const std::string& text) {
  SymOp op;
  int row = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto skip = [&] {
    while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\'' || text[i] == '"')) ++i;
  };
  bool any_term = false;
  while (true) {
    skip();
    if (i >= n || text[i] == ',') {
      if (!any_term) return std::nullopt;
      if (++row == 3) break;
      if (i >= n) return std::nullopt;
      ++i;
      any_term = false;
      continue;
    }
    if (row >= 3) return std::nullopt;
    double sign = 1.0;
    if (text[i] == '+' || text[i] == '-') {
      sign = text[i] == '-' ? -1.0 : 1.0;
      ++i;
      skip();
    }
    double coef = 1.0;
    bool has_num = false;
    if (i < n && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      std::size_t used = 0;
      try {
        coef = std::stod(text.substr(i), &used);
      } catch (const std::exception&) {
        return std::nullopt;
      }
      i += used;
      has_num = true;
      skip();
      if (i < n && text[i] == '/') {
        ++i;
        skip();
        std::size_t used2 = 0;
        double den = 0;
        try {
          den = std::stod(text.substr(i), &used2);
        } catch (const std::exception&) {
          return std::nullopt;
        }
        if (den == 0) return std::nullopt;
        coef /= den;
        i += used2;
        skip();
      }
      if (i < n && text[i] == '*') {
        ++i;
        skip();
      }
    }
    int axis = -1;
    if (i < n) {
      char ch = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
      if (ch == 'x' || ch == 'y' || ch == 'z') {
        axis = ch - 'x';
        ++i;
      }
    }
    if (axis >= 0) {
      double r = sign * coef;
      // Rotation entries are small integers (|r| ≤ 100 also keeps the int sum from overflowing).
      if (!(std::abs(r) <= 100.0) || std::abs(r - std::round(r)) > 1e-9) return std::nullopt;
      op.rot[row][axis] += static_cast<int>(std::lround(r));
    } else if (has_num) {
      op.tran[row] += sign * coef;
      if (!std::isfinite(op.tran[row])) return std::nullopt;
    } else {
      return std::nullopt;
    }
    any_term = true;
  }
  skip();
  if (i != n) return std::nullopt;
  return op;
}

// Short H-M symbol from a full one: "F 4/m -3 2/m" → "F m -3 m", "P 21/b 21/c 21/a" → "P b c a",
// "P 42/m 21/n 2/m" → "P 42/m n m". Monoclinic "P 1 21/c 1" is left to gemmi.
std::string short_hm(const std::string& full) {
  std::vector<std::string> tok;
  std::string cur;
  for (char ch : full) {
    if (ch == ' ') {
      if (!cur.empty()) tok.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) tok.push_back(cur);
  if (tok.size() < 3) return full;
  const bool cubic = tok.size() >= 3 && (tok[2] == "3" || tok[2] == "-3");
  const bool main_axis = !cubic && !tok[1].empty() && (tok[1][0] == '4' || tok[1][0] == '6' || tok[1][0] == '3');
  std::string out = tok[0];
  for (std::size_t t = 1; t < tok.size(); ++t) {
    std::string x = tok[t];
    auto slash = x.find('/');
    if (slash != std::string::npos && !(t == 1 && main_axis)) x = x.substr(slash + 1);
    // Pre-1983 cubic symbols: "F m 3 m" = "F m -3 m" (a mirror or glide before the 3).
    if (t == 2 && x == "3" && tok[1].find_first_of("mnabcde") != std::string::npos) x = "-3";
    out += " " + x;
  }
  return out;
}

// Candidate spellings of an H-M symbol that gemmi 0.5.7 may not parse as written:
// "P2_1/c" → "P21/c", "R -3 2/c (hexagonal axes)" → "R -3 2/c", "P 1 21/c 1" as is.
std::vector<std::string> hm_variants(std::string name) {
  std::vector<std::string> out{name};
  std::string no_us;
  for (char ch : name)
    if (ch != '_') no_us += ch;
  out.push_back(no_us);
  std::string settings;
  if (auto p = no_us.find('('); p != std::string::npos) {
    std::string inside = no_us.substr(p);
    std::string lower;
    for (char ch : inside) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.find("hex") != std::string::npos) settings = ":H";
    if (lower.find("rhomb") != std::string::npos) settings = ":R";
    std::string origin = lower.find("origin choice 1") != std::string::npos ? ":1"
                         : lower.find("origin choice 2") != std::string::npos ? ":2" : "";
    std::string base = no_us.substr(0, p);
    while (!base.empty() && base.back() == ' ') base.pop_back();
    for (const std::string& b : {base, short_hm(base)}) {
      if (!settings.empty()) out.push_back(b + settings);
      if (!origin.empty()) out.push_back(b + origin);
      out.push_back(b);
    }
  }
  out.push_back(short_hm(no_us));
  // "R -3 m H" / "R -3 m R": the axes letter as a gemmi setting suffix.
  if (no_us.size() > 2 && (no_us.back() == 'H' || no_us.back() == 'R') && no_us[no_us.size() - 2] == ' ') {
    std::string base = no_us.substr(0, no_us.size() - 2);
    out.push_back(base + ":" + no_us.back());
  }
  // Strip trailing settings like ":2" or "S" forms gemmi does not know.
  if (auto p = no_us.find(':'); p != std::string::npos) out.push_back(no_us.substr(0, p));
  return out;
}

struct SymmetryInfo {
  std::vector<SymOp> ops;
  const gemmi::SpaceGroup* sg = nullptr;
  std::string file_hm;
  int file_number = 0;
};

SymmetryInfo read_symmetry(cif::Block& block, const std::string& path, double alpha, double gamma) {
  SymmetryInfo info;
  for (const char* tag : {"_space_group_name_H-M_alt", "_symmetry_space_group_name_H-M",
                          "_space_group.name_H-M_alt", "_space_group_name_H-M_full"}) {
    info.file_hm = string_at(block, tag);
    if (!info.file_hm.empty()) break;
  }
  for (const char* tag : {"_space_group_IT_number", "_symmetry_Int_Tables_number", "_space_group.IT_number"})
    if (auto n = number_at(block, tag)) {
      // Only the 230 space-group numbers mean anything (and a float outside int's range
      // cannot be converted).
      info.file_number = *n >= 1 && *n <= 230 ? static_cast<int>(*n) : 0;
      break;
    }

  // 1. The explicit list of operations.
  for (const char* tag : {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz",
                          "_space_group_symop.operation_xyz"}) {
    cif::Column col = block.find_values(tag);
    if (!col.item()) continue;
    std::vector<SymOp> ops;
    for (const std::string& v : col) {
      if (cif::is_null(v)) continue;
      std::optional<SymOp> op = parse_symop(cif::as_string(v));
      if (!op) throw CifError(path, "bad symmetry", std::string("cannot parse ") + tag + " '" + cif::as_string(v) + "'");
      ops.push_back(*op);
    }
    if (ops.empty()) continue;
    info.ops = ops;
    // Name the group when gemmi recognises the operations (metadata only).
    // gemmi 0.5.7's parse_triplet overflows (undefined behaviour) on long numbers such as
    // "x+99999999999999999999/3"; such operations are never a standard setting, so they are
    // not shown to it.
    auto gemmi_safe = [](const std::string& t) {
      std::size_t run = 0;
      for (char ch : t) {
        run = std::isdigit(static_cast<unsigned char>(ch)) ? run + 1 : 0;
        if (run > 6) return false;
      }
      return t.size() <= 64;
    };
    try {
      std::vector<gemmi::Op> gops;
      for (const std::string& v : col)
        if (!cif::is_null(v)) {
          const std::string t = cif::as_string(v);
          if (!gemmi_safe(t)) throw std::runtime_error("operation not in a standard form");
          gops.push_back(gemmi::parse_triplet(t));
        }
      info.sg = gemmi::find_spacegroup_by_ops(gemmi::split_centering_vectors(gops));
    } catch (const std::exception&) {
      info.sg = nullptr;  // non-standard setting or odd fractions: keep the listed operations
    }
    return info;
  }
  auto take = [&](const gemmi::SpaceGroup* sg) {
    info.sg = sg;
    for (gemmi::Op op : sg->operations()) info.ops.push_back(to_symop(op));
  };
  // 2. The H-M name.
  if (!info.file_hm.empty())
    for (const std::string& name : hm_variants(info.file_hm))
      if (const gemmi::SpaceGroup* sg = gemmi::find_spacegroup_by_name(name, alpha, gamma)) {
        take(sg);
        return info;
      }
  // 3. The Hall symbol.
  for (const char* tag : {"_space_group_name_Hall", "_symmetry_space_group_name_Hall"}) {
    std::string hall = string_at(block, tag);
    if (hall.empty()) continue;
    try {
      gemmi::GroupOps g = gemmi::symops_from_hall(hall.c_str());
      info.sg = gemmi::find_spacegroup_by_ops(g);
      for (gemmi::Op op : g) info.ops.push_back(to_symop(op));
      return info;
    } catch (const std::exception&) {
    }
  }
  // 4. The IT number (reference setting; rhombohedral groups follow the cell's angles).
  if (info.file_number >= 1 && info.file_number <= 230) {
    const gemmi::SpaceGroup* sg = gemmi::find_spacegroup_by_number(info.file_number);
    if (sg && sg->hm[0] == 'R') {
      bool rhombo_axes = std::abs(gamma - 120.0) > 1e-3 && std::abs(alpha - 90.0) > 1e-3;
      if (const gemmi::SpaceGroup* r =
              gemmi::find_spacegroup_by_name(std::string(sg->hm) + (rhombo_axes ? ":R" : ":H")))
        sg = r;
    }
    if (sg) {
      take(sg);
      return info;
    }
  }
  std::string what = info.file_hm.empty() ? "no symop loop, H-M name, Hall symbol or IT number"
                                          : "cannot interpret space group '" + info.file_hm + "'";
  throw CifError(path, "no symmetry", what);
}

// pymatgen rounds coordinates within 1e-4 (relative) of 1/3 or 2/3 to the exact value.
double snap_fraction(double x) {
  for (double f : {1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0, -2.0 / 3.0})
    if (std::abs(1.0 - x / f) < 1e-4) return f;
  return x;
}

double wrap01(double x) {
  double w = x - std::floor(x);
  return w >= 1.0 ? 0.0 : w;
}

struct RawSite {
  std::string label, element;
  int z = 0;
  std::array<double, 3> fract{};
  double occ = 1.0, u = 0.0;
  bool has_u = false;
};

Crystal read_block(cif::Block& block, const std::string& path, const CifReadOptions& opt) {
  Crystal cr;
  cr.source = path;
  cr.block_name = block.name;

  // Cell.
  auto a = number_at(block, "_cell_length_a"), b = number_at(block, "_cell_length_b"),
       c = number_at(block, "_cell_length_c");
  if (!a || !b || !c) throw CifError(path, "no cell", "missing _cell_length_a/b/c");
  cr.a = *a;
  cr.b = *b;
  cr.c = *c;
  cr.alpha = number_at(block, "_cell_angle_alpha").value_or(90.0);
  cr.beta = number_at(block, "_cell_angle_beta").value_or(90.0);
  cr.gamma = number_at(block, "_cell_angle_gamma").value_or(90.0);
  if (!(cr.a > 0 && cr.b > 0 && cr.c > 0) || !(cr.volume() > 1e-6))
    throw CifError(path, "no cell", "degenerate cell");
  // Lengths beyond 10⁵ Å or angles outside (0°, 180°) are no crystal (and overflow later).
  if (!(cr.a < 1e5 && cr.b < 1e5 && cr.c < 1e5) || !(cr.alpha > 0 && cr.alpha < 180) ||
      !(cr.beta > 0 && cr.beta < 180) || !(cr.gamma > 0 && cr.gamma < 180) || !std::isfinite(cr.volume()))
    throw CifError(path, "no cell", "cell lengths must lie below 10^5 Å and angles inside (0°, 180°)");
  gemmi::UnitCell cell(cr.a, cr.b, cr.c, cr.alpha, cr.beta, cr.gamma);

  // Asymmetric-unit sites.
  enum { kX, kY, kZ, kLabel, kSymbol, kUiso, kBiso, kOcc };
  cif::Table tab = block.find("_atom_site_", {"fract_x", "?fract_y", "?fract_z", "?label", "?type_symbol",
                                              "?U_iso_or_equiv", "?B_iso_or_equiv", "?occupancy"});
  if (!tab.ok() || tab.length() == 0)
    throw CifError(path, "no atoms",
                   block.find_values("_atom_site_label").item() ? "no _atom_site_fract_x" : "no _atom_site_ loop");
  if (!tab.has_column(kY) || !tab.has_column(kZ) || !(tab.has_column(kLabel) || tab.has_column(kSymbol)))
    throw CifError(path, "no atoms", "incomplete _atom_site_ loop (label/type and fract_x/y/z needed)");

  // Anisotropic displacements: U_eq per label (B_ij converted to U_ij).
  std::map<std::string, double> u_eq;
  {
    cif::Table an = block.find("_atom_site_aniso_", {"label", "?U_11", "?U_22", "?U_33", "?U_12", "?U_13", "?U_23",
                                                     "?B_11", "?B_22", "?B_33", "?B_12", "?B_13", "?B_23"});
    for (auto row : an) {
      double v[6];
      bool ok = true, is_b = !row.has2(1);
      for (int i = 0; i < 6; ++i) {
        int col = is_b ? 7 + i : 1 + i;
        v[i] = row.has2(col) ? cif::as_number(row[col]) : (i < 3 ? NAN : 0.0);
        if (is_b) v[i] /= 8.0 * M_PI * M_PI;
        if (!std::isfinite(v[i])) ok = false;
      }
      if (ok)
        u_eq[cif::as_string(row[0])] = cell.calculate_u_eq(gemmi::SMat33<double>{v[0], v[1], v[2], v[3], v[4], v[5]});
    }
  }

  std::vector<RawSite> raw;
  for (auto row : tab) {
    RawSite s;
    s.label = row.has2(kLabel) ? cif::as_string(row[kLabel]) : "";
    std::string sym = row.has2(kSymbol) ? cif::as_string(row[kSymbol]) : s.label;
    s.element = parse_element_symbol(sym);
    s.z = s.element.empty() ? 0 : atomic_number(s.element);
    if (s.z < 1 || s.z > kMaxZ)
      throw CifError(path, "unknown element", "site '" + s.label + "' type '" + sym + "'");
    s.occ = row.has2(kOcc) ? cif::as_number(row[kOcc], 1.0) : 1.0;
    if (!std::isfinite(s.occ)) s.occ = 1.0;
    if (s.occ <= 0.0) continue;  // as pymatgen: sites with zero occupancy are dropped
    for (int i = 0; i < 3; ++i) {
      double x = row.has2(kX + i) ? cif::as_number(row[kX + i]) : NAN;
      if (!std::isfinite(x))
        throw CifError(path, "bad coordinates", "site '" + s.label + "' has no fractional coordinates");
      s.fract[i] = snap_fraction(x);
    }
    if (row.has2(kUiso) && std::isfinite(cif::as_number(row[kUiso]))) {
      s.u = cif::as_number(row[kUiso]);
      s.has_u = true;
    } else if (row.has2(kBiso) && std::isfinite(cif::as_number(row[kBiso]))) {
      s.u = cif::as_number(row[kBiso]) / (8.0 * M_PI * M_PI);
      s.has_u = true;
    } else if (auto it = u_eq.find(s.label); it != u_eq.end()) {
      s.u = it->second;
      s.has_u = true;
    }
    raw.push_back(std::move(s));
  }
  if (raw.empty()) throw CifError(path, "no atoms", "every site has zero occupancy");
  cr.asu_site_count = raw.size();

  // Symmetry.
  SymmetryInfo sym = read_symmetry(block, path, cr.alpha, cr.gamma);
  bool has_identity = false;
  for (const SymOp& s : sym.ops) {
    bool id = true;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) id = id && s.rot[i][j] == (i == j ? 1 : 0);
    for (int i = 0; i < 3; ++i) id = id && std::abs(s.tran[i] - std::round(s.tran[i])) < 1e-12;
    has_identity = has_identity || id;
    cr.ops.push_back(s);
  }
  if (!has_identity) {
    SymOp idop;
    for (int i = 0; i < 3; ++i) idop.rot[i][i] = 1;
    cr.ops.insert(cr.ops.begin(), idop);
  }
  if (sym.sg) {
    cr.spacegroup_number = sym.sg->number;
    cr.spacegroup_symbol = sym.sg->hm;
  } else {
    cr.spacegroup_number = sym.file_number;
    cr.spacegroup_symbol = sym.file_hm;
  }

  if (cr.ops.size() > kMaxSymmetryOps)
    throw CifError(path, "bad symmetry",
                   std::to_string(cr.ops.size()) + " symmetry operations (at most " + std::to_string(kMaxSymmetryOps) + ")");
  if (raw.size() > kMaxCellSites / cr.ops.size())
    throw CifError(path, "too many atoms",
                   std::to_string(raw.size()) + " sites × " + std::to_string(cr.ops.size()) +
                       " symmetry operations exceed the " + std::to_string(kMaxCellSites) + " sites a cell may have");

  // Expand to the full cell and merge (see CifReadOptions::merge_distance).
  const auto L = cr.lattice_vectors();
  const double tol2 = opt.merge_distance * opt.merge_distance;
  auto dist2 = [&](const std::array<double, 3>& p, const std::array<double, 3>& q) {
    double d[3];
    for (int i = 0; i < 3; ++i) {
      d[i] = p[i] - q[i];
      d[i] -= std::round(d[i]);
    }
    double r2 = 0;
    for (int k = 0; k < 3; ++k) {
      double x = d[0] * L[0][k] + d[1] * L[1][k] + d[2] * L[2][k];
      r2 += x * x;
    }
    return r2;
  };
  std::vector<std::array<double, 3>> positions;  // one per position group
  std::vector<double> group_occ;
  std::vector<std::string> group_labels;
  // Position groups are looked up through a grid of fractional cells, each at least
  // merge_distance wide in every direction (|Δf_i| ≤ |Δr|·|b_i| with b_i the reciprocal
  // vectors), so a lookup checks only the neighbouring cells instead of every group.
  std::array<int, 3> ncell{1, 1, 1};
  {
    const double det = L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) -
                       L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                       L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
    for (int i = 0; i < 3; ++i) {
      // |b_i| = |L[j] × L[k]| / |det| for (i, j, k) cyclic.
      const auto& u = L[(i + 1) % 3];
      const auto& v = L[(i + 2) % 3];
      const double cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2], cz = u[0] * v[1] - u[1] * v[0];
      const double b = std::sqrt(cx * cx + cy * cy + cz * cz) / std::abs(det);
      const double n = opt.merge_distance > 0 && b > 0 ? std::floor(1.0 / (opt.merge_distance * b)) : 1.0;
      ncell[i] = std::isfinite(n) ? static_cast<int>(std::clamp(n, 1.0, 256.0)) : 1;
    }
  }
  auto cell_of = [&](const std::array<double, 3>& x) {
    std::array<int, 3> c{};
    for (int i = 0; i < 3; ++i) {
      const double f = std::isfinite(x[i]) ? std::floor(x[i] * ncell[i]) : 0.0;
      c[i] = static_cast<int>(std::clamp(f, 0.0, static_cast<double>(ncell[i] - 1)));
    }
    return c;
  };
  auto key_of = [&](int i, int j, int k) {
    return (static_cast<std::uint64_t>(i) << 16 | static_cast<std::uint64_t>(j) << 8 | static_cast<std::uint64_t>(k));
  };
  std::unordered_map<std::uint64_t, std::vector<int>> groups_in_cell;
  // The first (lowest-numbered) group within merge_distance of x, or -1.
  auto find_group = [&](const std::array<double, 3>& x) {
    const std::array<int, 3> c = cell_of(x);
    int best = -1;
    std::array<std::vector<int>, 3> near;
    for (int i = 0; i < 3; ++i) {
      for (int d = -1; d <= 1; ++d) {
        const int v = ((c[i] + d) % ncell[i] + ncell[i]) % ncell[i];
        if (std::find(near[i].begin(), near[i].end(), v) == near[i].end()) near[i].push_back(v);
      }
    }
    for (int i : near[0])
      for (int j : near[1])
        for (int k : near[2]) {
          const auto it = groups_in_cell.find(key_of(i, j, k));
          if (it == groups_in_cell.end()) continue;
          for (int g : it->second)
            if ((best < 0 || g < best) && dist2(positions[g], x) < tol2) best = g;
        }
    return best;
  };
  for (std::size_t i = 0; i < raw.size(); ++i) {
    RawSite& rs = raw[i];
    // Put a site that lies within merge_distance of a special position exactly on it: the mean
    // of its images under the operations that (nearly) fix it. Rounded coordinates such as
    // 0.3333 or 0.0833 then give an exactly closed orbit (and exactly symmetric |F|).
    {
      std::array<double, 3> sum{};
      int n_fix = 0;
      for (const SymOp& op : cr.ops) {
        std::array<double, 3> y = op.apply(rs.fract);
        for (int k = 0; k < 3; ++k) y[k] -= std::round(y[k] - rs.fract[k]);
        if (dist2(y, rs.fract) < tol2) {
          for (int k = 0; k < 3; ++k) sum[k] += y[k];
          ++n_fix;
        }
      }
      if (n_fix > 1)
        for (int k = 0; k < 3; ++k) rs.fract[k] = sum[k] / n_fix;
    }
    const std::size_t first_copy = cr.sites.size();
    for (const SymOp& op : cr.ops) {
      std::array<double, 3> x = op.apply(rs.fract);
      for (double& v : x) v = wrap01(v);
      bool dup = false;
      for (std::size_t k = first_copy; k < cr.sites.size() && !dup; ++k) dup = dist2(cr.sites[k].fract, x) < tol2;
      if (dup) continue;
      int group = find_group(x);
      if (group < 0) {
        group = static_cast<int>(positions.size());
        const std::array<int, 3> c = cell_of(x);
        groups_in_cell[key_of(c[0], c[1], c[2])].push_back(group);
        positions.push_back(x);
        group_occ.push_back(0.0);
        group_labels.emplace_back();
      } else {
        x = positions[group];
      }
      group_occ[group] += rs.occ;
      if (group_labels[group].find("'" + rs.label + "'") == std::string::npos)
        group_labels[group] += (group_labels[group].empty() ? "'" : ", '") + rs.label + "'";
      Site s;
      s.label = rs.label;
      s.element = rs.element;
      s.z = rs.z;
      s.fract = x;
      s.occ = rs.occ;
      s.b_iso = rs.has_u ? 8.0 * M_PI * M_PI * rs.u : 0.0;
      s.position_group = group;
      s.asu_index = static_cast<int>(i);
      cr.sites.push_back(s);
    }
  }
  for (std::size_t g = 0; g < positions.size(); ++g)
    if (group_occ[g] > 1.0 + opt.occupancy_tolerance) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4g", group_occ[g]);
      throw CifError(path, "occupancy > 1", "sites " + group_labels[g] + " share a position with total occupancy " + buf);
    }

  // The group the atoms really have; it replaces a declared P 1 (or none), never another group.
  cr.declared_spacegroup_number = cr.spacegroup_number;
  cr.declared_spacegroup_symbol = cr.spacegroup_symbol;
  if (opt.detect_symmetry) {
    const DetectedSpaceGroup d = detect_space_group(cr, opt.symmetry_tolerance);
    cr.detected_spacegroup_number = d.number;
    cr.detected_spacegroup_symbol = d.symbol;
    if (d.number > 0 && cr.declared_spacegroup_number <= 1) {
      cr.spacegroup_number = d.number;
      cr.spacegroup_symbol = d.symbol;
    }
  }
  return cr;
}

Crystal read_document(cif::Document& doc, const std::string& path, const CifReadOptions& opt) {
  if (doc.blocks.empty()) throw CifError(path, "no block", "no data block");
  cif::Block* block = nullptr;
  if (!opt.block.empty()) {
    block = doc.find_block(opt.block);
    if (!block) throw CifError(path, "no block", "no data block named '" + opt.block + "'");
  } else {
    for (cif::Block& b : doc.blocks)
      if (b.find_values("_atom_site_fract_x").item()) {
        block = &b;
        break;
      }
    if (!block) block = &doc.blocks[0];
  }
  return read_block(*block, path, opt);
}

}  // namespace

Crystal read_cif(const std::string& path, const CifReadOptions& opt) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw CifError(path, "unreadable", "no such file");
  cif::Document doc;
  try {
    doc = cif::read_file(path);
  } catch (const std::exception& e) {
    throw CifError(path, "syntax", e.what());
  }
  return read_document(doc, path, opt);
}

Crystal read_cif_string(const std::string& text, const std::string& name, const CifReadOptions& opt) {
  cif::Document doc;
  try {
    doc = cif::read_string(text);
  } catch (const std::exception& e) {
    throw CifError(name, "syntax", e.what());
  }
  return read_document(doc, name, opt);
}

std::vector<std::string> cif_block_names(const std::string& path) {
  cif::Document doc;
  try {
    doc = cif::read_file(path);
  } catch (const std::exception& e) {
    throw CifError(path, "syntax", e.what());
  }
  std::vector<std::string> names;
  for (const cif::Block& b : doc.blocks) names.push_back(b.name);
  return names;
}

}  // namespace xrdid::xrd
