// Reading, validating, transforming and writing measured powder patterns (xy/csv text, RRUFF,
// PANalytical .xrdml, Rigaku .ras, powder CIF) into the xrd::Pattern seam type.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::io {

using xrd::Pattern;
using xrd::Wavelength;

// What the reader noticed and did. A file is refused (std::runtime_error naming the file and
// the reason) when it is empty, has no numeric data rows, contains NaN/inf, has fewer than two
// distinct 2θ values, or has 2θ outside (−5°, 180°). Other trouble is repaired and noted:
//  * non-increasing 2θ: the rows are sorted by 2θ (stable) — "sorted N out-of-order rows";
//  * duplicated 2θ: the intensities of equal 2θ values are averaged — "averaged N duplicates";
//  * negative intensities are kept unchanged (they occur in background-subtracted data) and
//    reported as a warning — "N negative intensities (min V) kept".
struct ReadReport {
  std::string format;                 // "xy", "rruff", "xrdml", "ras", "pdcif"
  std::vector<std::string> repairs;   // what was changed
  std::vector<std::string> warnings;  // what was kept but looks odd
  double counting_time_s = 0.0;       // xrdml <commonCountingTime> (0 = not given)
};

// Reads a pattern, choosing the format by extension (.xy .xye .csv .txt .dat → text,
// .xrdml → XML, .ras → Rigaku, .cif → powder CIF, io/pdcif_reader.hpp) and, for unknown
// extensions, by content ('<' → XML, "*RAS" → Rigaku, a first "data_" line → CIF, else text).
// Text: comment lines start with '#', ';' or '!' ("##KEY=VALUE" RRUFF metadata is read, e.g. a
// wavelength); leading non-numeric lines are headers; columns are separated by spaces, tabs,
// commas or semicolons (a line with ';' and ',' is read with decimal commas: "10,5;123,4");
// columns after the second (ESD, fits) are ignored; CR, LF, CRLF line ends.
// Files larger than kMaxPatternFileBytes are refused before they are read.
Pattern read_pattern(const std::string& path, ReadReport* report = nullptr);
// Same, from the file's bytes already in memory; `name` stands in for the path (its extension
// selects the format as above, and messages name it).
Pattern read_pattern_buffer(const std::string& name, const std::string& content, ReadReport* report = nullptr);

// Whether a folder scan takes the file as a measured pattern: its extension is listed
// (pattern_formats.hpp) and, where other files share it, its content is a pattern's — a .cif
// counts only when it names powder intensities (_pd_meas_counts_*, _pd_meas_intensity_*,
// _pd_proc_intensity_*), so folders of structure CIFs yield none.
bool is_pattern_file(const std::string& path);

// The largest measured-pattern file read (256 MiB: far above any instrument export).
inline constexpr std::uint64_t kMaxPatternFileBytes = 256ull << 20;

// The format-specific readers (no validation or repair; used by read_pattern).
Pattern read_text_pattern(const std::string& path, const std::string& content);
Pattern read_xrdml(const std::string& path, const std::string& content, double* counting_time_s = nullptr);
Pattern read_ras(const std::string& path, const std::string& content);
// read_pdcif (powder CIF) is declared in io/pdcif_reader.hpp.

// Checks and repairs a freshly read pattern in place as described at ReadReport.
void validate_pattern(Pattern& p, const std::string& path, ReadReport* report = nullptr);

// Linear interpolation of p onto grid (any order); 0 outside [2θ_first, 2θ_last].
Pattern resample(const Pattern& p, const std::vector<double>& grid);

// Re-expresses the 2θ axis for another wavelength through the d-spacing
// (λ = 2d·sinθ ⇒ sinθ' = (λ'/λ)·sinθ). Points whose sinθ' > 1 are dropped. Intensities are
// kept; the wavelength becomes to_lambda (any Kα2 line is scaled by the same factor).
Pattern convert_wavelength(const Pattern& p, double from_lambda, double to_lambda);

// Rachinger (1948) Kα2 stripping: I1(2θ) = I(2θ) − R·I1(2θ₁), where 2θ₁ is the Kα1 position
// whose Kα2 line falls at 2θ (sinθ₁ = (λ1/λ2)·sinθ) and R = I(Kα2)/I(Kα1). I1 at 2θ₁ is
// linearly interpolated from already-stripped points. Throws if w has no Kα2 line.
Pattern strip_kalpha2(const Pattern& p, const Wavelength& w);

// Writes "2θ intensity" lines (one '#' comment header) atomically: a temporary file in the
// same folder is written, flushed and renamed over path.
void write_xy(const std::string& path, const Pattern& p);
// Same, for any set of columns of equal length (first column 2θ).
void write_columns(const std::string& path, const std::vector<std::vector<double>>& columns,
                   const std::string& header_comment);

// Writes text to path atomically (temporary file + rename); used by the writers above.
using common::write_file_atomic;

// Median 2θ step (0 for fewer than two points).
double median_step(const Pattern& p);

}  // namespace xrdid::io
