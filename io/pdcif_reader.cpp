// pdCIF measured patterns → xrd::Pattern (io/pdcif_reader.hpp says what is read). gemmi parses
// the CIF syntax; choosing the block, the columns and the 2θ grid is ours.
#include "io/pdcif_reader.hpp"

#include <gemmi/cif.hpp>
#include <gemmi/numb.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <limits>
#include <set>
#include <stdexcept>

namespace xrdid::io {
namespace {

namespace cif = gemmi::cif;

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw std::runtime_error(path + ": " + reason);
}

// One data name in its two spellings: DDL1 ("_pd_meas_counts_total", what the programs write)
// and DDLm ("_pd_meas.counts_total", pdCIF 2.5).
struct Tag {
  const char* ddl1;
  const char* ddlm;
};

// The intensities, in order of preference: raw counts, raw intensities, processed, net.
constexpr Tag kIntensityTags[] = {
    {"_pd_meas_counts_total", "_pd_meas.counts_total"},
    {"_pd_meas_intensity_total", "_pd_meas.intensity_total"},
    {"_pd_proc_intensity_total", "_pd_proc.intensity_total"},
    {"_pd_meas_intensity_net", "_pd_meas.intensity_net"},
    {"_pd_proc_intensity_net", "_pd_proc.intensity_net"},
};

// 2θ columns, in order of preference (as measured first, then corrected).
constexpr Tag kTwoThetaTags[] = {
    {"_pd_meas_2theta_scan", "_pd_meas.2theta_scan"},
    {"_pd_meas_angle_2theta", "_pd_meas.angle_2theta"},
    {"_pd_proc_2theta_corrected", "_pd_proc.2theta_corrected"},
    {"_pd_proc_2theta", "_pd_proc.2theta"},
};

// An evenly stepped 2θ axis given by its first and last value and the step.
struct RangeTags {
  Tag min, max, inc;
};
constexpr RangeTags kRangeTags[] = {
    {{"_pd_meas_2theta_range_min", "_pd_meas.2theta_range_min"},
     {"_pd_meas_2theta_range_max", "_pd_meas.2theta_range_max"},
     {"_pd_meas_2theta_range_inc", "_pd_meas.2theta_range_inc"}},
    {{"_pd_proc_2theta_range_min", "_pd_proc.2theta_range_min"},
     {"_pd_proc_2theta_range_max", "_pd_proc.2theta_range_max"},
     {"_pd_proc_2theta_range_inc", "_pd_proc.2theta_range_inc"}},
};

// Axes other than 2θ that a powder loop may be measured against, and what they mean.
struct OtherAxis {
  Tag tag;
  const char* what;
};
constexpr OtherAxis kOtherAxes[] = {
    {{"_pd_meas_time_of_flight", "_pd_meas.time_of_flight"}, "time of flight"},
    {{"_pd_proc_energy_incident", "_pd_proc.energy_incident"}, "energy"},
    {{"_pd_proc_energy_detection", "_pd_proc.energy_detection"}, "energy"},
    {{"_pd_proc_d_spacing", "_pd_proc.d_spacing"}, "d-spacing"},
    {{"_pd_proc_recip_len_Q", "_pd_proc.recip_len_q"}, "Q"},
    {{"_pd_meas_position", "_pd_meas.position"}, "detector position (mm)"},
    {{"_pd_meas_detector_id", "_pd_meas.detector_id"}, "detector channel"},
};

constexpr Tag kDetectorTag{"_pd_meas_detector_id", "_pd_meas.detector_id"};
constexpr Tag kWavelengthTag{"_diffrn_radiation_wavelength", "_diffrn_radiation_wavelength.value"};
constexpr Tag kWavelengthWeightTag{"_diffrn_radiation_wavelength_wt", "_diffrn_radiation_wavelength.wt"};
constexpr Tag kProcWavelengthTag{"_pd_proc_wavelength", "_pd_proc.wavelength"};

// Substrings that only a powder intensity loop's tags contain (lower case; see
// mentions_powder_intensities).
constexpr std::string_view kIntensityMarkers[] = {"_pd_meas_counts_", "_pd_meas_intensity_", "_pd_proc_intensity_",
                                                  "_pd_meas.counts_", "_pd_meas.intensity_", "_pd_proc.intensity_"};
constexpr bool markers_fit_overlap() {
  for (std::string_view m : kIntensityMarkers)
    if (m.size() > kPdcifMarkerMaxLength) return false;
  return true;
}
static_assert(markers_fit_overlap(), "a chunked scan overlaps chunks by kPdcifMarkerMaxLength - 1 bytes");

// A tag's values in a block (either spelling), or an empty Column.
cif::Column find(cif::Block& block, const Tag& tag) {
  cif::Column c = block.find_values(tag.ddl1);
  return c ? c : block.find_values(tag.ddlm);
}

const char* tag_name(cif::Column& c) {
  const std::string* t = c.get_tag();
  return t ? t->c_str() : "?";
}

// The block's powder intensities (the first present of kIntensityTags), or an empty Column.
cif::Column intensity_column(cif::Block& block) {
  for (const Tag& t : kIntensityTags)
    if (cif::Column c = find(block, t)) return c;
  return {};
}

bool is_missing(const std::string& v) { return cif::is_null(v); }

// A value as messages quote it: at most 40 characters.
std::string shown(const std::string& v) { return v.size() > 40 ? v.substr(0, 40) + "…" : v; }

// A numeric CIF value, s.u. in parentheses allowed ("973(31)"); NaN when it is not a number.
double number(const std::string& v) { return cif::as_number(v); }

// Half a unit in the last digit the text of a number gives ("0.01313" → 5e-6, "1.3e-2" → 5e-4),
// 0 for an integer written without point or exponent (taken as exact).
double half_last_digit(const std::string& text) {
  std::string s = text.substr(0, text.find('('));
  const std::size_t e = s.find_first_of("eE");
  int exponent = 0;
  if (e != std::string::npos) {
    const double x = number(s.substr(e + 1));
    if (!std::isfinite(x) || std::abs(x) > 300) return 0.0;
    exponent = static_cast<int>(x);
    s.resize(e);
  }
  const std::size_t dot = s.find('.');
  if (dot == std::string::npos && e == std::string::npos) return 0.0;
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(s.size() - dot - 1);
  return 0.5 * std::pow(10.0, exponent - decimals);
}

// ---------------------------------------------------------------------------------------------
// 2θ

// A single-valued range item of the block, with its text, or nullptr when absent.
const std::string* range_item(cif::Block& block, const Tag& tag) {
  cif::Column c = find(block, tag);
  if (!c || c.length() != 1 || is_missing(c[0])) return nullptr;
  return &c[0];
}

enum class RangeFit { Absent, Fits, Mismatch };

// The 2θ grid of n points that a range gives: min + i·inc when that lands on max within half a
// step; else, when max − min spread over n − 1 steps rounds to the written inc (the writer
// rounded the step), min…max evenly. Anything else does not fit n; `why` then says what it gives.
RangeFit grid_from_range(cif::Block& block, const RangeTags& r, std::size_t n, const std::string& path,
                         std::vector<double>& grid, std::string& why) {
  const std::string* tmin = range_item(block, r.min);
  const std::string* tmax = range_item(block, r.max);
  const std::string* tinc = range_item(block, r.inc);
  if (!tmin || !tmax || !tinc) return RangeFit::Absent;
  const double lo = number(*tmin), hi = number(*tmax), inc = number(*tinc);
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(inc))
    fail(path, std::string("non-numeric or out-of-range 2θ range (") + r.min.ddl1 + " " + shown(*tmin) + ", _max " +
                   shown(*tmax) + ", _inc " + shown(*tinc) + ")");
  if (!(inc > 0.0)) fail(path, std::string(r.inc.ddl1) + " is " + shown(*tinc) + ": the 2θ step must be positive");
  grid.assign(n, 0.0);
  if (n == 0) return RangeFit::Fits;
  const double steps = static_cast<double>(n - 1);
  if (std::abs(lo + steps * inc - hi) <= 0.5 * inc) {
    for (std::size_t i = 0; i < n; ++i) grid[i] = lo + static_cast<double>(i) * inc;
    return RangeFit::Fits;
  }
  if (n > 1) {
    const double step = (hi - lo) / steps;
    const double rounding = half_last_digit(*tinc) + (half_last_digit(*tmin) + half_last_digit(*tmax)) / steps;
    if (std::abs(step - inc) <= rounding + 1e-12 * std::abs(inc)) {
      for (std::size_t i = 0; i < n; ++i) grid[i] = lo + static_cast<double>(i) * step;
      grid[n - 1] = hi;
      return RangeFit::Fits;
    }
  }
  const std::string family(r.min.ddl1, std::string_view(r.min.ddl1).size() - 4);  // without "_min"
  const double implied = std::floor((hi - lo) / inc + 0.5) + 1.0;
  why = family + "_min/_max/_inc (" + shown(*tmin) + " to " + shown(*tmax) + " by " + shown(*tinc) + ") give " +
        (implied >= 1.0 && implied < 1e15 ? std::to_string(static_cast<long long>(implied)) + " points"
                                          : std::string("no point count")) +
        " but the intensity loop has " + std::to_string(n);
  return RangeFit::Mismatch;
}

// The 2θ column to pair with the intensities: one of the same length, preferring the
// intensities' own loop, then kTwoThetaTags' order. Empty when there is none.
cif::Column two_theta_column(cif::Block& block, cif::Column& intensities, std::string& mismatch) {
  const int n = intensities.length();
  for (const bool same_loop : {true, false}) {
    for (const Tag& t : kTwoThetaTags) {
      cif::Column c = find(block, t);
      if (!c) continue;
      const bool in_loop = c.get_loop() && c.get_loop() == intensities.get_loop();
      if (same_loop != in_loop) continue;
      if (c.length() == n) return c;
      if (mismatch.empty())
        mismatch = std::string(tag_name(c)) + " has " + std::to_string(c.length()) + " values but " +
                   tag_name(intensities) + " has " + std::to_string(n);
    }
  }
  return {};
}

// The refusal for a block whose intensities have no 2θ: what they are measured against, when
// the block says, else what 2θ items were looked for.
[[noreturn]] void fail_without_two_theta(cif::Block& block, cif::Column& intensities, const std::string& path) {
  for (const OtherAxis& a : kOtherAxes)
    if (cif::Column c = find(block, a.tag))
      fail(path, "block '" + shown(block.name) + "' gives " + tag_name(intensities) + " against " + a.what + " (" +
                     tag_name(c) + "), not 2θ; xrdid reads angle-dispersive 2θ patterns only");
  fail(path, "block '" + shown(block.name) + "' has " + tag_name(intensities) +
                 " but no 2θ for it (no _pd_meas_2theta_scan, _pd_meas_angle_2theta, _pd_proc_2theta_corrected or "
                 "_pd_proc_2theta column and no _pd_meas_2theta_range_min/_max/_inc)");
}

// Several detectors' scans in one loop: detector ids repeat (a position-sensitive detector
// whose every point has its own channel is one pattern).
void refuse_several_detectors(cif::Block& block, cif::Column& intensities, const std::string& path) {
  cif::Column d = find(block, kDetectorTag);
  if (!d || d.get_loop() == nullptr || d.get_loop() != intensities.get_loop()) return;
  std::set<std::string> ids(d.begin(), d.end());
  if (ids.size() > 1 && ids.size() < static_cast<std::size_t>(d.length()))
    fail(path, "block '" + shown(block.name) + "' holds the scans of " + std::to_string(ids.size()) + " detectors (" +
                   tag_name(d) + ") in one loop: several patterns; xrdid reads one pattern per block");
}

// ---------------------------------------------------------------------------------------------
// Wavelength

bool plausible_lambda(double v) { return v > 0.05 && v < 5.0; }

// One row of a wavelength loop.
struct Line {
  double lambda;
  double weight;
};

// Kα1 (and Kα2) from the wavelength lines: the strongest line (first on ties) is Kα1; Kα2 is
// the strongest other line within 1 % above it (the Kα doublets of Cr…Ag lie 0.2–0.8 % apart;
// Kβ lies below Kα1), weaker than Kα1 when weights are given.
xrd::Wavelength from_lines(const std::vector<Line>& lines, bool weighted) {
  xrd::Wavelength w;
  const Line* a1 = nullptr;
  for (const Line& l : lines)
    if (plausible_lambda(l.lambda) && (!a1 || l.weight > a1->weight)) a1 = &l;
  if (!a1) return w;
  w.alpha1 = a1->lambda;
  const Line* a2 = nullptr;
  for (const Line& l : lines) {
    if (&l == a1 || !(l.lambda > a1->lambda && l.lambda < 1.01 * a1->lambda)) continue;
    if (weighted && !(l.weight > 0.0 && l.weight < a1->weight)) continue;
    if (!a2 || l.weight > a2->weight) a2 = &l;
  }
  if (a2) {
    w.alpha2 = a2->lambda;
    if (weighted) w.ratio21 = a2->weight / a1->weight;
  }
  return w;
}

// The wavelength one block states (unknown when it states none).
xrd::Wavelength block_wavelength(cif::Block& block) {
  if (cif::Column c = find(block, kWavelengthTag)) {
    cif::Column wt = find(block, kWavelengthWeightTag);
    const bool weighted = wt && wt.length() == c.length() && wt.get_loop() == c.get_loop();
    std::vector<Line> lines;
    for (int i = 0; i < c.length(); ++i) {
      if (is_missing(c[i])) continue;
      // A missing weight is the dictionary's default, 1.
      const double weight = weighted && !is_missing(wt[i]) ? number(wt[i]) : 1.0;
      lines.push_back({number(c[i]), std::isfinite(weight) ? weight : 1.0});
    }
    const xrd::Wavelength w = from_lines(lines, weighted);
    if (w.known()) return w;
  }
  xrd::Wavelength w;
  if (cif::Column c = find(block, kProcWavelengthTag); c && c.length() == 1 && plausible_lambda(number(c[0])))
    w.alpha1 = number(c[0]);  // one value; a looped one belongs to time-of-flight points
  return w;
}

// The pattern's wavelength: its own block's, else the first stated in a block that holds no
// pattern of its own (another pattern's wavelength is not this one's).
xrd::Wavelength file_wavelength(cif::Document& doc, cif::Block& pattern_block) {
  if (xrd::Wavelength w = block_wavelength(pattern_block); w.known()) return w;
  for (cif::Block& b : doc.blocks) {
    if (&b == &pattern_block || intensity_column(b)) continue;
    if (xrd::Wavelength w = block_wavelength(b); w.known()) return w;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------

// The refusal for a CIF without powder intensities; a structure CIF is pointed to the library.
[[noreturn]] void fail_no_pattern(cif::Document& doc, const std::string& path) {
  bool structure = false;
  for (cif::Block& b : doc.blocks)
    structure = structure || b.find_values("_atom_site_fract_x") || b.find_values("_atom_site.fract_x") ||
                b.find_values("_cell_length_a") || b.find_values("_cell.length_a");
  fail(path, std::string("no powder pattern in this CIF (no _pd_meas_/_pd_proc_ intensity loop)") +
                 (structure ? "; a structure CIF goes into a library with `xrdid library build`" : ""));
}

double intensity_value(const std::string& v, cif::Column& c, int i, const std::string& path) {
  const double y = number(v);
  if (!std::isfinite(y))
    fail(path, "non-numeric or out-of-range value '" + shown(v) + "' in " + tag_name(c) + " at point " + std::to_string(i + 1));
  if (std::abs(y) > static_cast<double>(std::numeric_limits<float>::max()))
    fail(path, "intensity " + shown(v) + " at point " + std::to_string(i + 1) + " exceeds the float range");
  return y;
}

// gemmi's parse error as one line: a message with a position starts with the input's name (empty
// here) and ":line:column:", which becomes "line L:C: …".
std::string parser_message(std::string what) {
  std::replace(what.begin(), what.end(), '\n', ' ');
  std::replace(what.begin(), what.end(), '\r', ' ');
  if (what.size() > 1 && what[0] == ':' && std::isdigit(static_cast<unsigned char>(what[1]))) {
    what = "line " + what.substr(1);
  } else {
    const std::size_t start = what.find_first_not_of(" :");
    what = start == std::string::npos ? "unreadable" : what.substr(start);
  }
  if (what.size() > 200) what = what.substr(0, 200) + "…";
  return what;
}

}  // namespace

bool mentions_powder_intensities(std::string_view cif_text) {
  std::string lower(cif_text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view m : kIntensityMarkers)
    if (lower.find(m) != std::string::npos) return true;
  return false;
}

xrd::Pattern read_pdcif(const std::string& path, const std::string& content, std::vector<std::string>* warnings) {
  cif::Document doc;
  try {
    doc = cif::read_memory(content.data(), content.size(), "");
  } catch (const std::exception& e) {
    fail(path, "malformed CIF: " + parser_message(e.what()));
  }

  // The first block with powder intensities is the pattern; later ones are reported.
  cif::Block* block = nullptr;
  std::vector<std::string> others;
  for (cif::Block& b : doc.blocks) {
    if (!intensity_column(b)) continue;
    if (!block) block = &b;
    else others.push_back("'" + shown(b.name) + "'");
  }
  if (!block) fail_no_pattern(doc, path);
  if (warnings && !others.empty()) {
    std::string list;
    for (std::size_t i = 0; i < others.size() && i < 5; ++i) list += (i ? ", " : "") + others[i];
    if (others.size() > 5) list += ", …";
    warnings->push_back("read block '" + shown(block->name) + "'; " + std::to_string(others.size()) +
                        " further powder pattern(s) in the file not read (block " + list + ")");
  }

  cif::Column y = intensity_column(*block);
  const std::size_t n = static_cast<std::size_t>(y.length());
  refuse_several_detectors(*block, y, path);

  // 2θ: a column of the same length, else a range that fits the point count.
  std::string column_mismatch, range_mismatch;
  std::vector<double> range_grid;
  cif::Column tt = two_theta_column(*block, y, column_mismatch);
  bool have_range = false;
  if (!tt) {
    for (const RangeTags& r : kRangeTags) {
      std::string why;
      const RangeFit fit = grid_from_range(*block, r, n, path, range_grid, why);
      if (fit == RangeFit::Fits) {
        have_range = true;
        break;
      }
      if (fit == RangeFit::Mismatch && range_mismatch.empty()) range_mismatch = why;
    }
  }
  if (!tt && !have_range) {
    if (!column_mismatch.empty()) fail(path, "block '" + shown(block->name) + "': " + column_mismatch);
    if (!range_mismatch.empty()) fail(path, "block '" + shown(block->name) + "': " + range_mismatch);
    fail_without_two_theta(*block, y, path);
  }

  xrd::Pattern p;
  p.source = path;
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int row = static_cast<int>(i);
    const std::string& v = y[row];
    if (is_missing(v) || (tt && is_missing(tt[row]))) {
      ++skipped;
      continue;
    }
    const double t = have_range ? range_grid[i] : number(tt[row]);
    if (!have_range && !std::isfinite(t))
      fail(path, "non-numeric or out-of-range value '" + shown(tt[row]) + "' in " + tag_name(tt) + " at point " +
                     std::to_string(i + 1));
    p.two_theta.push_back(t);
    p.intensity.push_back(static_cast<float>(intensity_value(v, y, row, path)));
  }
  if (skipped && warnings)
    warnings->push_back(std::to_string(skipped) + " point(s) with a missing value ('.' or '?') skipped");
  p.wavelength = file_wavelength(doc, *block);
  return p;
}

}  // namespace xrdid::io
