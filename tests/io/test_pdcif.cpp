// Powder CIF (pdCIF) patterns: intensities with s.u.s, 2θ from a range or a column, Kα1/Kα2 from
// a weighted wavelength loop in another block, and the refusals (structure CIF, malformed CIF,
// counts that do not match, time of flight, several detectors); folder scans skip structure CIFs.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/pattern_formats.hpp"
#include "io/pattern_io.hpp"
#include "io/pdcif_reader.hpp"

using namespace xrdid::io;
namespace fs = std::filesystem;

namespace {

// As GSAS-II writes it: the wavelengths in an overall block (the weaker line listed first here),
// the pattern in its own block with a 2θ range and s.u.s on the intensities, calculated
// intensities beside them.
const char* kRangeCif = R"(#\#CIF_1.1
data_sample_overall
_pd_block_id  2024-01-01T00:00|sample|tester|overall
_diffrn_radiation_type  'K\a~1,2~'
loop_
   _diffrn_radiation_wavelength
   _diffrn_radiation_wavelength_wt
   _diffrn_radiation_wavelength_id
  1.544414       0.5     2
  1.540593(2)    1.0     1

data_sample_phase_0
_cell_length_a  5.6402
loop_ _atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z
  Na1 0 0 0
  Cl1 0.5 0.5 0.5

data_sample_pwd_0
_pd_block_id  2024-01-01T00:00|sample|tester|hist_0
_pd_meas_2theta_range_min  10.00
_pd_meas_2theta_range_max  10.40
_pd_meas_2theta_range_inc  0.10
_pd_meas_number_of_points  5
loop_
   _pd_meas_intensity_total
   _pd_calc_intensity_total
  973(31)    950
  976(31)    960
  1500(39)   1400
  997(32)    990
  992        980
)";

// 2θ as a column (corrected), processed intensities, one wavelength in the pattern's block.
const char* kColumnCif = R"(data_column
_diffrn_radiation_wavelength  0.70932
loop_
  _pd_proc_2theta_corrected
  _pd_proc_intensity_total
  _pd_proc_ls_weight
  5.02   12.5(4)  1
  5.04   13.0(4)  1
  5.06   .        0
  5.08   20.25    1
)";

const char* kStructureCif = R"(data_NaCl
_cell_length_a 5.6402
_cell_length_b 5.6402
_cell_length_c 5.6402
_space_group_IT_number 225
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Na1 0 0 0
Cl1 0.5 0.5 0.5
)";

// A pattern block whose range gives `count` points for a loop of `rows` intensities.
std::string range_cif(const std::string& min, const std::string& max, const std::string& inc, int rows) {
  std::ostringstream s;
  s << "data_r\n_pd_meas_2theta_range_min " << min << "\n_pd_meas_2theta_range_max " << max
    << "\n_pd_meas_2theta_range_inc " << inc << "\nloop_\n_pd_meas_counts_total\n";
  for (int i = 0; i < rows; ++i) s << 100 + i << "\n";
  return s.str();
}

struct ScratchDir {
  fs::path dir = fs::temp_directory_path() / ("xrdid_test_pdcif_" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(dir); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

}  // namespace

TEST_CASE("a pdCIF with a 2θ range: intensities with s.u.s, the grid, Kα1/Kα2 from another block") {
  ReadReport rep;
  const Pattern p = read_pattern_buffer("mix.cif", kRangeCif, &rep);
  CHECK(rep.format == "pdcif");
  CHECK(rep.warnings.empty());
  REQUIRE(p.size() == 5);
  const double tt[] = {10.0, 10.1, 10.2, 10.3, 10.4};
  const float y[] = {973, 976, 1500, 997, 992};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(p.two_theta[i] == doctest::Approx(tt[i]).epsilon(1e-12));
    CHECK(p.intensity[i] == y[i]);
  }
  // The row of weight 1 is Kα1 although listed second; Kα2's ratio is the weights' ratio.
  CHECK(p.wavelength.known());
  CHECK(p.wavelength.alpha1 == doctest::Approx(1.540593));
  CHECK(p.wavelength.alpha2 == doctest::Approx(1.544414));
  CHECK(p.wavelength.ratio21 == doctest::Approx(0.5));
  CHECK(p.source == "mix.cif");
}

TEST_CASE("a pdCIF with a 2θ column: a missing intensity is skipped, one wavelength is Kα1 alone") {
  ReadReport rep;
  const Pattern p = read_pattern_buffer("col.CIF", kColumnCif, &rep);
  CHECK(rep.format == "pdcif");
  REQUIRE(p.size() == 3);
  CHECK(p.two_theta[0] == doctest::Approx(5.02));
  CHECK(p.two_theta[1] == doctest::Approx(5.04));
  CHECK(p.two_theta[2] == doctest::Approx(5.08));
  CHECK(p.intensity[0] == doctest::Approx(12.5f));
  CHECK(p.intensity[1] == doctest::Approx(13.0f));
  CHECK(p.intensity[2] == doctest::Approx(20.25f));
  CHECK(p.wavelength.alpha1 == doctest::Approx(0.70932));
  CHECK(p.wavelength.alpha2 == 0.0);
  REQUIRE(rep.warnings.size() == 1);
  CHECK(rep.warnings[0].find("1 point(s) with a missing value ('.' or '?') skipped") != std::string::npos);
}

TEST_CASE("a pdCIF range whose written step is rounded: min + i·inc, or min…max evenly") {
  // 101 points, step 0.0131302 written as 0.01313: min + i·inc ends within half a step of max.
  Pattern p = read_pattern_buffer("a.cif", range_cif("10.0", "11.31302", "0.01313", 101));
  REQUIRE(p.size() == 101);
  CHECK(p.two_theta[100] == doctest::Approx(10.0 + 100 * 0.01313).epsilon(1e-12));
  // Step 0.0204 written as 0.02: min + i·inc would end 0.04° short, so min…max evenly.
  p = read_pattern_buffer("b.cif", range_cif("10.0", "12.04", "0.02", 101));
  REQUIRE(p.size() == 101);
  CHECK(p.two_theta[50] == doctest::Approx(11.02).epsilon(1e-12));
  CHECK(p.two_theta[100] == doctest::Approx(12.04).epsilon(1e-12));
  CHECK(!p.wavelength.known());
}

TEST_CASE("a pdCIF whose 2θ range does not fit the intensity count is refused") {
  CHECK_THROWS_WITH_AS(read_pattern_buffer("short.cif", range_cif("10", "20", "1", 8)),
                       "short.cif: block 'r': _pd_meas_2theta_range_min/_max/_inc (10 to 20 by 1) give 11 points but "
                       "the intensity loop has 8",
                       std::runtime_error);
  // The rounding allowance is that of the written digits, not a blanket one.
  CHECK_THROWS_WITH_AS(read_pattern_buffer("off.cif", range_cif("10.0", "12.04", "0.020", 95)),
                       doctest::Contains("give 103 points but the intensity loop has 95"), std::runtime_error);
  CHECK_THROWS_WITH_AS(read_pattern_buffer("zero.cif", range_cif("10", "20", "0", 8)),
                       doctest::Contains("the 2θ step must be positive"), std::runtime_error);
  // A 2θ column of another length in another loop.
  CHECK_THROWS_WITH_AS(read_pattern_buffer("c.cif", "data_c\nloop_\n_pd_meas_2theta_scan\n10\n11\n12\n"
                                                    "loop_\n_pd_meas_counts_total\n5\n6\n"),
                       "c.cif: block 'c': _pd_meas_2theta_scan has 3 values but _pd_meas_counts_total has 2",
                       std::runtime_error);
}

TEST_CASE("a structure CIF given as a pattern is refused with where it belongs") {
  CHECK_THROWS_WITH_AS(read_pattern_buffer("NaCl.cif", kStructureCif),
                       "NaCl.cif: no powder pattern in this CIF (no _pd_meas_/_pd_proc_ intensity loop); a structure "
                       "CIF goes into a library with `xrdid library build`",
                       std::runtime_error);
  // Calculated intensities alone are no measured pattern either.
  CHECK_THROWS_WITH_AS(read_pattern_buffer("calc.cif", "data_c\nloop_\n_pd_proc_2theta_corrected\n_pd_calc_intensity_total\n1 2\n3 4\n"),
                       "calc.cif: no powder pattern in this CIF (no _pd_meas_/_pd_proc_ intensity loop)",
                       std::runtime_error);
}

TEST_CASE("a malformed CIF is refused with one line naming the file") {
  const std::string bad[] = {
      "data_x\nloop_\n_pd_meas_2theta_scan\n_pd_meas_counts_total\n10 1\n11\n",  // odd value count
      "data_x\n_pd_meas_counts_total\n;\nnever closed\n",                          // open text field
      "not a CIF at all\n",
  };
  for (const std::string& text : bad) {
    CAPTURE(text);
    try {
      (void)read_pattern_buffer("broken.cif", text);
      FAIL("accepted");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      CHECK(what.rfind("broken.cif: malformed CIF: ", 0) == 0);
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("pdCIFs measured against something else than 2θ, or by several detectors, are refused") {
  CHECK_THROWS_WITH_AS(read_pattern_buffer("tof.cif", "data_t\nloop_\n_pd_meas_time_of_flight\n_pd_meas_counts_total\n"
                                                      "1000 5\n1010 6\n"),
                       "tof.cif: block 't' gives _pd_meas_counts_total against time of flight "
                       "(_pd_meas_time_of_flight), not 2θ; xrdid reads angle-dispersive 2θ patterns only",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(read_pattern_buffer("none.cif", "data_n\nloop_\n_pd_meas_counts_total\n5\n6\n"),
                       doctest::Contains("but no 2θ for it"), std::runtime_error);
  CHECK_THROWS_WITH_AS(read_pattern_buffer("det.cif", "data_d\nloop_\n_pd_meas_detector_id\n_pd_meas_2theta_scan\n"
                                                      "_pd_meas_counts_total\nA 10 1\nA 11 2\nB 10 3\nB 11 4\n"),
                       doctest::Contains("holds the scans of 2 detectors (_pd_meas_detector_id) in one loop: several "
                                         "patterns"),
                       std::runtime_error);
  // A channel per point (a position-sensitive detector) is one pattern.
  CHECK(read_pattern_buffer("psd.cif", "data_d\nloop_\n_pd_meas_detector_id\n_pd_meas_2theta_scan\n"
                                       "_pd_meas_counts_total\n1 10 1\n2 11 2\n3 12 3\n")
            .size() == 3);
  CHECK_THROWS_WITH_AS(read_pattern_buffer("nan.cif", "data_d\nloop_\n_pd_meas_2theta_scan\n_pd_meas_counts_total\n"
                                                      "10 1\n11 lots\n"),
                       "nan.cif: non-numeric or out-of-range value 'lots' in _pd_meas_counts_total at point 2", std::runtime_error);
}

TEST_CASE("pdCIF choices: the first pattern block, DDLm names, wavelengths not from another pattern") {
  const std::string two = R"(data_first
loop_ _pd_meas_2theta_scan _pd_meas_counts_total
 10 1  11 2  12 3
data_second
_diffrn_radiation_wavelength 1.2
loop_ _pd_meas_2theta_scan _pd_meas_counts_total
 20 1  21 2
)";
  ReadReport rep;
  Pattern p = read_pattern_buffer("two.cif", two, &rep);
  CHECK(p.size() == 3);
  CHECK(p.two_theta.front() == 10.0);
  CHECK(!p.wavelength.known());  // 1.2 Å is the second pattern's
  REQUIRE(rep.warnings.size() == 1);
  CHECK(rep.warnings[0] == "read block 'first'; 1 further powder pattern(s) in the file not read (block 'second')");

  const std::string ddlm = R"(data_m
_diffrn_radiation_wavelength.value 1.5406
loop_
  _pd_meas.2theta_scan
  _pd_meas.counts_total
  10 4
  11 5
)";
  p = read_pattern_buffer("m.cif", ddlm);
  CHECK(p.size() == 2);
  CHECK(p.intensity[1] == 5.0f);
  CHECK(p.wavelength.alpha1 == doctest::Approx(1.5406));

  // No weights: the first line is Kα1, a line just above it Kα2 with the usual ratio; Kβ is no Kα2.
  const std::string lines = R"(data_w
loop_ _diffrn_radiation_wavelength 1.5406 1.3922 1.5444
_pd_proc_wavelength 0.9
loop_ _pd_meas_2theta_scan _pd_meas_counts_total
 10 4  11 5
)";
  p = read_pattern_buffer("w.cif", lines);
  CHECK(p.wavelength.alpha1 == doctest::Approx(1.5406));
  CHECK(p.wavelength.alpha2 == doctest::Approx(1.5444));
  CHECK(p.wavelength.ratio21 == doctest::Approx(0.5));

  // _pd_proc_wavelength when no _diffrn_radiation_wavelength is given.
  p = read_pattern_buffer("pw.cif", "data_p\n_pd_proc_wavelength 0.45(1)\nloop_ _pd_meas_2theta_scan _pd_meas_counts_total\n"
                                    " 10 4  11 5\n");
  CHECK(p.wavelength.alpha1 == doctest::Approx(0.45));

  // An unknown extension whose text starts a CIF data block is read as pdCIF.
  rep = {};
  p = read_pattern_buffer("export", std::string("# exported\n") + kColumnCif, &rep);
  CHECK(rep.format == "pdcif");
  CHECK(p.size() == 3);
}

TEST_CASE("folder scans take a .cif as a pattern only when it holds powder intensities") {
  ScratchDir s;
  write(s.dir / "pattern.cif", kRangeCif);
  write(s.dir / "NaCl.cif", kStructureCif);
  write(s.dir / "NaCl.xy", "10 1\n20 2\n");
  // A structure refined from powder data names _pd_proc_ls_ items but holds no intensities.
  write(s.dir / "refined.cif", std::string(kStructureCif) + "_pd_proc_ls_prof_wR_factor 0.1\n_pd_meas_2theta_range_min 5\n");
  // The powder loop's tag straddling the end of the first 64 KiB chunk a scan reads.
  std::string head = "data_l\nloop_ _pd_meas_2theta_scan\n#";
  head += std::string(65536 - 8 - head.size() - 1, '#') + "\n";
  REQUIRE(head.size() == 65536 - 8);
  write(s.dir / "late.cif", head + "_pd_meas_counts_total\n10 1 11 2\n");
  CHECK(is_pattern_file((s.dir / "pattern.cif").string()));
  CHECK(is_pattern_file((s.dir / "late.cif").string()));
  CHECK(is_pattern_file((s.dir / "NaCl.xy").string()));
  CHECK_FALSE(is_pattern_file((s.dir / "NaCl.cif").string()));
  CHECK_FALSE(is_pattern_file((s.dir / "refined.cif").string()));
  CHECK_FALSE(is_pattern_file((s.dir / "missing.cif").string()));
  CHECK(is_pattern_extension(".CIF"));
  CHECK(is_shared_extension(".cif"));
  CHECK_FALSE(is_shared_extension(".xy"));
  CHECK(pattern_extension_list().find(".cif") != std::string::npos);
  CHECK(read_pattern((s.dir / "late.cif").string()).size() == 2);
}

TEST_CASE("the marker test finds a powder intensity tag in either spelling and any case") {
  CHECK(mentions_powder_intensities("loop_ _PD_MEAS_COUNTS_TOTAL"));
  CHECK(mentions_powder_intensities("_pd_proc.intensity_net"));
  CHECK_FALSE(mentions_powder_intensities("_pd_calc_intensity_total _pd_proc_ls_weight"));
  CHECK_FALSE(mentions_powder_intensities("_pd_meas_2theta_range_min 5"));
}
