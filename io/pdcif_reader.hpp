// Measured patterns in powder CIF (pdCIF: the IUCr powder CIF dictionary, as GSAS-II, TOPAS,
// FullProf and Jana write it). Kept apart from io/pattern_io.cpp because it is the io stage's
// only gemmi user (this header and its source stay C++17-clean: see io/CMakeLists.txt).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "xrd/pattern.hpp"

namespace xrdid::io {

// Reads the first data block of a pdCIF that holds a powder intensity loop:
//  * intensities: the first present of _pd_meas_counts_total, _pd_meas_intensity_total,
//    _pd_proc_intensity_total, _pd_meas_intensity_net, _pd_proc_intensity_net (values may
//    carry an s.u. in parentheses, "973(31)"); a point whose intensity or 2θ is missing
//    ('.' or '?') is skipped and counted in `warnings`;
//  * 2θ: a column (_pd_meas_2theta_scan, _pd_meas_angle_2theta, _pd_proc_2theta_corrected,
//    _pd_proc_2theta; one in the intensities' own loop first) of the same length, else the
//    range _pd_meas_2theta_range_min/max/inc (then _pd_proc_2theta_range_*): the grid
//    min + i·inc, or min…max evenly when the written inc is only a rounding of the step that
//    fits the point count; a range that fits no rounding of the count is refused;
//  * wavelength: _diffrn_radiation_wavelength (one value, or a loop: the row of the highest
//    _diffrn_radiation_wavelength_wt, first on ties, is Kα1; the next strongest row within 1 %
//    above it is Kα2, with I(Kα2)/I(Kα1) the weights' ratio, 0.5 when no weights are given),
//    else _pd_proc_wavelength — looked up in the pattern's block, then in the blocks that hold
//    no pattern of their own (many programs write it in an overall block).
// DDLm spellings (_pd_meas.counts_total, _diffrn_radiation_wavelength.value, …) are read too.
// Refused, with one std::runtime_error "path: reason": malformed CIF, no powder intensity
// loop (a structure CIF), intensities against time of flight, energy, d or Q instead of 2θ,
// several detectors' scans in one loop, non-numeric values, a 2θ count that does not match.
// Further powder blocks in the file are not read; `warnings` says so.
xrd::Pattern read_pdcif(const std::string& path, const std::string& content,
                        std::vector<std::string>* warnings = nullptr);

// Whether CIF text holds a powder intensity loop's tag (any case, either spelling), the cheap
// test that tells a pdCIF from a structure CIF in folder scans. It looks for substrings only,
// so a chunked reader must overlap chunks by kPdcifMarkerMaxLength - 1 bytes.
bool mentions_powder_intensities(std::string_view cif_text);
inline constexpr std::size_t kPdcifMarkerMaxLength = 20;

}  // namespace xrdid::io
