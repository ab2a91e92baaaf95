// Pattern readers on the shared measured data and on small hand-made bad/edge files; repairs;
// resampling, wavelength conversion, Kα2 stripping, atomic writing; the SVG plot writer.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <pugixml.hpp>
#include <sstream>

#include "io/pattern_formats.hpp"
#include "io/pattern_io.hpp"
#include "io/svg_plot.hpp"
#include "common/data_dir.hpp"

using namespace xrdid::io;
namespace fs = std::filesystem;

namespace {

std::string data(const std::string& name) { return std::string(XRDID_TEST_DATA) + "/patterns/" + name; }

// A per-process scratch folder, removed when the test binary exits.
struct ScratchDir {
  fs::path dir = fs::temp_directory_path() / ("xrdid_test_io_" + std::to_string(::getpid()));
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
} g_scratch;

std::string tmp_path(const std::string& name) {
  fs::create_directories(g_scratch.dir);
  return (g_scratch.dir / name).string();
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("every measured pattern under $XRDID_DATA/measured loads") {
  const auto found = xrdid::testing::data_dir("measured");
  if (!found) return;
  const fs::path root = *found;
  std::map<std::string, int> loaded;
  int total = 0, with_repairs = 0, with_negative = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = e.path().extension().string();
    if (!xrdid::io::is_pattern_file(e.path().string())) continue;
    if (e.path().filename() == "source_mapping.csv") continue;  // metadata, not a pattern
    ReadReport rep;
    Pattern p;
    INFO(e.path().string());
    REQUIRE_NOTHROW(p = read_pattern(e.path().string(), &rep));
    CHECK(p.size() >= 500);
    CHECK(p.intensity.size() == p.size());
    bool increasing = true;
    for (std::size_t i = 1; i < p.size(); ++i) increasing = increasing && p.two_theta[i] > p.two_theta[i - 1];
    CHECK(increasing);
    CHECK(p.two_theta.front() >= 0.0);
    CHECK(p.two_theta.back() <= 140.0 + 1e-9);
    if (ext == ".xrdml") {
      CHECK(rep.format == "xrdml");
      CHECK(p.wavelength.alpha1 == doctest::Approx(1.540598));
      CHECK(p.wavelength.alpha2 == doctest::Approx(1.544426));
      CHECK(p.wavelength.ratio21 == doctest::Approx(0.5));
      CHECK(rep.counting_time_s > 0.0);
    }
    if (!rep.repairs.empty()) ++with_repairs;
    if (!rep.warnings.empty()) ++with_negative;
    ++loaded[e.path().parent_path().filename().string()];
    ++total;
  }
  std::ostringstream os;
  for (auto& [k, v] : loaded) os << k << ": " << v << "  ";
  MESSAGE("measured patterns loaded: " << total << " (" << os.str() << "); " << with_repairs << " repaired, "
                                       << with_negative << " with negative intensities");
  CHECK(loaded["rruff-opxrd"] == 144);
  CHECK(loaded["dara-mixtures"] == 100);
  CHECK(loaded["xrd-autoanalyzer"] == 21);
  // The README says Li2O+ZrO2.xy has negative intensities: reported, not refused.
  const fs::path neg = root / "xrd-autoanalyzer" / "Li2O+ZrO2.xy";
  if (fs::exists(neg)) {
    ReadReport rep;
    read_pattern(neg.string(), &rep);
    REQUIRE(rep.warnings.size() == 1);
    CHECK(rep.warnings[0].find("negative") != std::string::npos);
  }
}

TEST_CASE("bad pattern files are refused with the file name and the reason") {
  const std::pair<const char*, const char*> cases[] = {
      {"empty.xy", "file is empty"},
      {"header_only.xy", "no numeric data rows"},
      {"nan.xy", "non-finite"},
      {"inf.xy", "non-finite"},
      {"single_point.xy", "single data point"},
      {"absurd_range.xy", "absurd 2θ range"},
      {"one_column.xy", "only one column at line 3"},
      {"garbage_row.xy", "non-numeric row at line 3"},
      {"broken.xrdml", "malformed XML"},
      {"broken.cif", "malformed CIF: line 2:1: Wrong number of values in the loop"},
      {"does_not_exist.xy", "cannot open"},
  };
  for (auto [file, reason] : cases) {
    INFO(file);
    const std::string path = data(file);
    CHECK_THROWS_WITH_AS(read_pattern(path), doctest::Contains(reason), std::runtime_error);
    CHECK_THROWS_WITH_AS(read_pattern(path), doctest::Contains(path.c_str()), std::runtime_error);
  }
}

TEST_CASE("shuffled rows are sorted and duplicates averaged, with the repair noted") {
  ReadReport rep;
  const Pattern p = read_pattern(data("shuffled.xy"), &rep);
  REQUIRE(p.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(p.two_theta[i] == doctest::Approx(20.0 + 0.01 * i));
    CHECK(p.intensity[i] == doctest::Approx(5.0 + i));
  }
  REQUIRE(rep.repairs.size() == 1);
  CHECK(rep.repairs[0].find("sorted") != std::string::npos);

  ReadReport rep2;
  const Pattern d = read_pattern(data("duplicates.csv"), &rep2);
  REQUIRE(d.size() == 3);
  CHECK(d.intensity[1] == doctest::Approx(3.0));
  REQUIRE(rep2.repairs.size() == 1);
  CHECK(rep2.repairs[0].find("averaged") != std::string::npos);

  ReadReport rep3;
  const Pattern n = read_pattern(data("negative.xy"), &rep3);
  CHECK(n.intensity[0] == doctest::Approx(-1.5));
  REQUIRE(rep3.warnings.size() == 1);
  CHECK(rep3.warnings[0].find("2 negative intensities") != std::string::npos);
  CHECK(rep3.repairs.empty());
}

TEST_CASE("text variants: RRUFF metadata, semicolons with ESD, decimal commas, CR line ends") {
  ReadReport rep;
  const Pattern r = read_pattern(data("rruff_style.txt"), &rep);
  CHECK(rep.format == "rruff");
  REQUIRE(r.size() == 4);
  CHECK(r.two_theta[3] == doctest::Approx(5.03));
  CHECK(r.intensity[2] == doctest::Approx(35.0));
  CHECK(r.wavelength.alpha1 == doctest::Approx(1.541838));

  const Pattern s = read_pattern(data("semicolon.dat"));
  REQUIRE(s.size() == 3);
  CHECK(s.intensity[1] == doctest::Approx(120.0));  // ESD column ignored
  CHECK(s.wavelength.alpha1 == doctest::Approx(1.5406));

  const Pattern dc = read_pattern(data("decimal_comma.csv"));
  REQUIRE(dc.size() == 3);
  CHECK(dc.two_theta[1] == doctest::Approx(10.55));
  CHECK(dc.intensity[2] == doctest::Approx(98.25));

  const Pattern m = read_pattern(data("mac_cr.xy"));
  REQUIRE(m.size() == 4);
  CHECK(m.intensity[3] == doctest::Approx(4.0));
}

TEST_CASE("xrdml with listPositions/intensities and Rigaku .ras") {
  ReadReport rep;
  const Pattern x = read_pattern(data("list_positions.xrdml"), &rep);
  REQUIRE(x.size() == 5);
  CHECK(x.two_theta[2] == doctest::Approx(20.10));
  CHECK(x.intensity[2] == doctest::Approx(400.0));
  CHECK(x.wavelength.alpha1 == doctest::Approx(1.78896));
  CHECK(x.wavelength.alpha2 == doctest::Approx(1.79285));
  CHECK(rep.counting_time_s == doctest::Approx(2.5));

  const Pattern r = read_pattern(data("sample.ras"));
  REQUIRE(r.size() == 5);
  CHECK(r.intensity[2] == doctest::Approx(10000.0));  // count × attenuator coefficient
  CHECK(r.wavelength.alpha1 == doctest::Approx(1.540593));
  CHECK(r.wavelength.alpha2 == doctest::Approx(1.544414));

  // Unknown extension: detected by content.
  const std::string p = tmp_path("sniffed.raw");
  write_file_atomic(p, slurp(data("sample.ras")));
  CHECK(read_pattern(p).size() == 5);
}

TEST_CASE("powder CIF file: range grid, s.u.s dropped, a missing point skipped, Kα1/Kα2 from the overall block") {
  ReadReport rep;
  const Pattern c = read_pattern(data("sample.cif"), &rep);
  CHECK(rep.format == "pdcif");
  REQUIRE(c.size() == 10);  // 11 rows, one '?'
  CHECK(c.two_theta[3] == doctest::Approx(20.15));
  CHECK(c.intensity[3] == doctest::Approx(890.0));
  CHECK(c.two_theta[9] == doctest::Approx(20.50));  // the point after the skipped one keeps its 2θ
  CHECK(c.intensity[9] == doctest::Approx(98.0));
  CHECK(c.wavelength.alpha1 == doctest::Approx(1.540593));
  CHECK(c.wavelength.alpha2 == doctest::Approx(1.544414));
  CHECK(c.wavelength.ratio21 == doctest::Approx(0.5));
  REQUIRE(rep.warnings.size() == 1);
  CHECK(rep.warnings[0].find("missing value") != std::string::npos);
}

TEST_CASE("resample, convert_wavelength, strip_kalpha2, write_xy round trip") {
  Pattern p;
  p.two_theta = {10, 11, 12, 13};
  p.intensity = {0, 10, 20, 10};
  p.source = "mem";
  const Pattern r = resample(p, {9.5, 10.5, 12.25, 13.0, 14});
  CHECK(r.intensity[0] == 0.0f);
  CHECK(r.intensity[1] == doctest::Approx(5.0));
  CHECK(r.intensity[2] == doctest::Approx(17.5));
  CHECK(r.intensity[3] == doctest::Approx(10.0));
  CHECK(r.intensity[4] == 0.0f);

  // Cu Kα1 → Mo Kα1 and back: the d-spacings are kept.
  Pattern q;
  q.two_theta = {20, 60, 120, 170};
  q.intensity = {1, 2, 3, 4};
  const Pattern mo = convert_wavelength(q, 1.540598, 0.70932);
  REQUIRE(mo.size() == 4);
  const double deg = M_PI / 180;
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(1.540598 / (2 * std::sin(q.two_theta[i] * deg / 2)) ==
          doctest::Approx(0.70932 / (2 * std::sin(mo.two_theta[i] * deg / 2))));
  const Pattern back = convert_wavelength(mo, 0.70932, 1.540598);
  CHECK(back.two_theta[2] == doctest::Approx(120.0));
  const Pattern co = convert_wavelength(q, 1.540598, 1.78896);  // longer λ: high angles unreachable
  CHECK(co.size() == 2);  // sin(60°)·1.789/1.541 > 1: 120° and 170° unreachable
  CHECK(co.wavelength.alpha1 == 1.78896);

  // Rachinger: a synthetic doublet (Kα1 peak + half-height Kα2 copy) collapses to one peak.
  xrdid::xrd::Wavelength w{1.540598, 1.544426, 0.5};
  Pattern dbl;
  for (int i = 0; i <= 3000; ++i) {
    const double t = 40.0 + 0.01 * i;
    const double t2 = 2 * std::asin(w.alpha2 / w.alpha1 * std::sin(50.0 * deg / 2)) / deg;  // Kα2 of the 50° line
    dbl.two_theta.push_back(t);
    dbl.intensity.push_back(static_cast<float>(100 * std::exp(-0.5 * std::pow((t - 50.0) / 0.05, 2)) +
                                               50 * std::exp(-0.5 * std::pow((t - t2) / 0.05, 2))));
  }
  const Pattern s = strip_kalpha2(dbl, w);
  double max_resid = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double want = 100 * std::exp(-0.5 * std::pow((s.two_theta[i] - 50.0) / 0.05, 2));
    max_resid = std::max(max_resid, std::abs(s.intensity[i] - want));
  }
  INFO("max residual after stripping " << max_resid);
  CHECK(max_resid < 3.0);  // the Kα2 copy (50 counts) is gone up to interpolation error
  CHECK(s.wavelength.alpha2 == 0.0);
  CHECK_THROWS_WITH_AS(strip_kalpha2(dbl, xrdid::xrd::Wavelength{1.54, 0, 0.5}), doctest::Contains("Kα2"),
                       std::runtime_error);

  // write_xy → read_pattern keeps points and the wavelength; no temporary file is left behind.
  Pattern out = dbl;
  out.wavelength = w;
  const std::string path = tmp_path("roundtrip.xy");
  write_xy(path, out);
  const Pattern in = read_pattern(path);
  REQUIRE(in.size() == out.size());
  CHECK(in.two_theta[1234] == doctest::Approx(out.two_theta[1234]).epsilon(1e-9));
  CHECK(in.intensity[1000] == doctest::Approx(out.intensity[1000]).epsilon(1e-6));
  CHECK(in.wavelength.alpha1 == doctest::Approx(1.540598));
  CHECK(in.wavelength.alpha2 == doctest::Approx(1.544426));
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    files += e.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(files == 0);
  CHECK_THROWS_WITH_AS(write_xy("/nonexistent-dir-xrdid/x.xy", out), doctest::Contains("/nonexistent-dir-xrdid/x.xy"),
                       std::runtime_error);
}

TEST_CASE("SVG plot is well-formed XML with one polyline per curve") {
  std::vector<Curve> curves(3);
  const char* names[3] = {"measured <y>", "baseline", "peaks & signal"};
  for (int k = 0; k < 3; ++k) {
    curves[k].name = names[k];
    for (int i = 0; i < 200; ++i) {
      curves[k].x.push_back(10 + 0.1 * i);
      curves[k].y.push_back(k * 10 + std::sin(0.1 * i) * 50);
    }
  }
  curves[1].y[5] = std::nan("");  // skipped, not written as "nan"
  PlotOptions opt;
  opt.title = "test & plot";
  const std::string path = tmp_path("plot.svg");
  write_svg_plot(path, curves, opt);
  pugi::xml_document doc;
  const auto res = doc.load_file(path.c_str());
  REQUIRE(res);
  const pugi::xml_node svg = doc.child("svg");
  REQUIRE(svg);
  int polylines = 0;
  for (pugi::xpath_node n : svg.select_nodes("//polyline")) {
    ++polylines;
    const std::string pts = n.node().attribute("points").value();
    CHECK(pts.find("nan") == std::string::npos);
    CHECK(std::count(pts.begin(), pts.end(), ',') >= 199);
  }
  CHECK(polylines == 3);
  const std::string text = slurp(path);
  CHECK(text.find("peaks &amp; signal") != std::string::npos);
  CHECK(svg.select_nodes("//text").size() > 10);  // tick labels, axis labels, legend, title
  const auto ticks = nice_ticks(0.0, 97.0, 5);
  REQUIRE(ticks.size() >= 4);
  CHECK(ticks[1] - ticks[0] == doctest::Approx(20.0));
  CHECK_THROWS_AS(svg_plot({Curve{"bad", {1, 2}, {1}, ""}}), std::runtime_error);
}
