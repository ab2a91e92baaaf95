// libxrdid's C API (include/xrdid/xrdid.h), linked as the shared library: results, the bundled
// library, threads, and every entry point refusing bad arguments with -1/NULL and a message.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <xrdid/xrdid.h>

namespace {

const std::string kPhases = std::string(XRDID_SOURCE_DIR) + "/data/phases/";

std::string last_error() { return xrdid_last_error(); }

struct Grid {
  std::vector<double> tt, y;
};

// A simulated ZnO pattern on 10–80° (Cu Kα1) over a flat background.
Grid zno_pattern() {
  Grid g;
  for (double t = 10; t < 80; t += 0.02) g.tt.push_back(t);
  g.y.resize(g.tt.size());
  REQUIRE(xrdid_simulate((kPhases + "ZnO_zincite.cif").c_str(), 1.5406, g.tt.data(), g.tt.size(), g.y.data()) == 0);
  for (double& v : g.y) v += 20.0;
  return g;
}

struct Library {
  xrdid_library* lib = xrdid_library_open(nullptr);
  ~Library() { xrdid_library_close(lib); }
};

}  // namespace

TEST_CASE("capi: the bundled library ranks a simulated ZnO pattern first") {
  Library L;
  REQUIRE_MESSAGE(L.lib != nullptr, last_error());
  CHECK(xrdid_library_size(L.lib) > 60);
  CHECK(xrdid_library_wavelength(L.lib) > 1.5);
  const Grid g = zno_pattern();
  xrdid_candidate rows[5];
  int confident = -1;
  xrdid_options o;
  xrdid_options_init(&o);
  const int n = xrdid_identify_ex(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, rows, 5, &confident);
  REQUIRE_MESSAGE(n == 5, last_error());
  CHECK(std::string(rows[0].reduced_formula) == "ZnO");
  CHECK(rows[0].spacegroup_number == 186);
  CHECK(std::string(rows[0].source) == std::string(rows[0].id) + ".cif");
  CHECK(confident == 1);
  CHECK(last_error().empty());
  for (int k = 0; k < n; ++k) {
    CHECK(rows[k].rank == k + 1);
    CHECK(std::isfinite(rows[k].score));
    CHECK(rows[k].probability >= 0);
    CHECK(rows[k].probability <= 1);
    if (k > 0) CHECK(rows[k].score <= rows[k - 1].score);
  }
  // xrdid_identify without a model = the defaults of xrdid_identify_ex.
  xrdid_candidate plain[5];
  REQUIRE(xrdid_identify(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, plain, 5) == 5);
  for (int k = 0; k < 5; ++k) {
    CHECK(std::string(plain[k].id) == rows[k].id);
    CHECK(plain[k].score == rows[k].score);
  }
  // Fewer rows than asked: max bounds what is written.
  xrdid_candidate one[2];
  std::memset(one, 0x7f, sizeof one);
  REQUIRE(xrdid_identify(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, one, 1) == 1);
  CHECK(std::string(one[0].id) == rows[0].id);
  CHECK(one[1].rank == 0x7f7f7f7f);  // untouched
}

TEST_CASE("capi: the JSON of a ranking is `xrdid identify --json`'s query, rows as xrdid_identify_ex's") {
  Library L;
  REQUIRE(L.lib);
  const Grid g = zno_pattern();
  xrdid_options o;
  xrdid_options_init(&o);
  xrdid_candidate rows[5];
  int confident = -1;
  REQUIRE(xrdid_identify_ex(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, rows, 5, &confident) == 5);
  char* text = xrdid_identify_json(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, 5, 0);
  REQUIRE_MESSAGE(text != nullptr, last_error());
  const auto q = nlohmann::json::parse(text);
  xrdid_free(text);
  CHECK(q.at("confident").get<bool>() == (confident == 1));
  CHECK(q.at("wavelength_from") == "caller");
  CHECK(q.at("wavelength_angstrom").get<double>() == doctest::Approx(1.5406));
  CHECK_FALSE(q.contains("phases"));
  const auto& c = q.at("candidates");
  REQUIRE(c.size() == 5);
  for (int k = 0; k < 5; ++k) {
    CHECK(c[k].at("id") == rows[k].id);
    CHECK(c[k].at("rank") == k + 1);
    CHECK(c[k].at("score").get<double>() == rows[k].score);
    CHECK(c[k].at("probability").get<double>() == rows[k].probability);
    CHECK(c[k].at("same_phase").is_array());
    CHECK(c[k].at("reference_fill").get<double>() > 0.5);
    CHECK(c[k].at("reference_incomplete") == false);
  }
  CHECK(c[0].at("cell").at("a").get<double>() == doctest::Approx(3.25).epsilon(0.02));  // the first row is fitted
  CHECK(c[0].at("fit_rwp").get<double>() < 0.2);

  // With the mixture search: its phases and joint fit as `--mixture` writes them.
  char* mix = xrdid_identify_json(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, 3, 1);
  REQUIRE_MESSAGE(mix != nullptr, last_error());
  const auto m = nlohmann::json::parse(mix);
  xrdid_free(mix);
  REQUIRE(m.at("phases").size() >= 1);
  CHECK(m.at("phases")[0].at("reduced_formula") == "ZnO");
  CHECK(m.at("phases")[0].at("weight_fraction").get<double>() > 0.9);
  CHECK(m.at("mixture").at("rwp").get<double>() < 0.2);
  CHECK(m.at("candidates").size() == 3);

  // Refused with NULL and one message.
  auto refused = [&](char* t, const char* needle) {
    CHECK(t == nullptr);
    xrdid_free(t);
    CHECK_MESSAGE(last_error().find(needle) != std::string::npos, last_error());
  };
  refused(xrdid_identify_json(nullptr, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, 5, 0), "library is NULL");
  refused(xrdid_identify_json(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, 0, 0), "max must be >= 1");
  refused(xrdid_identify_json(L.lib, nullptr, nullptr, g.y.data(), g.tt.size(), 1.5406, &o, 5, 0), "NULL");
  refused(xrdid_identify_json(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), -1.0, &o, 5, 0), "wavelength");
  o.method = XRDID_METHOD_MODEL;
  refused(xrdid_identify_json(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, 5, 0), "needs a model");
  xrdid_options_init(&o);
  o.max_phases = 9;
  refused(xrdid_identify_json(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, 5, 1), "1 to 8");
  xrdid_free(nullptr);
}

TEST_CASE("capi: options change the search") {
  Library L;
  REQUIRE(L.lib);
  const Grid g = zno_pattern();
  xrdid_options o;
  xrdid_options_init(&o);
  o.exclude = "zn";
  xrdid_candidate rows[5];
  const int n = xrdid_identify_ex(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, rows, 5, nullptr);
  REQUIRE_MESSAGE(n > 0, last_error());
  for (int k = 0; k < n; ++k) CHECK(std::string(rows[k].formula).find("Zn") == std::string::npos);
  xrdid_options_init(&o);
  o.method = XRDID_METHOD_PEAKS;
  REQUIRE(xrdid_identify_ex(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, &o, rows, 5, nullptr) > 0);
  CHECK(std::string(rows[0].reduced_formula) == "ZnO");
}

TEST_CASE("capi: threads identify against one library at once") {
  Library L;
  REQUIRE(L.lib);
  const Grid g = zno_pattern();
  xrdid_candidate ref[5];
  REQUIRE(xrdid_identify(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, ref, 5) == 5);
  constexpr int kThreads = 6;
  std::vector<std::vector<xrdid_candidate>> got(kThreads, std::vector<xrdid_candidate>(5));
  std::vector<int> counts(kThreads, -2);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      counts[t] = xrdid_identify(L.lib, nullptr, g.tt.data(), g.y.data(), g.tt.size(), 1.5406, got[t].data(), 5);
    });
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(counts[t] == 5);
    for (int k = 0; k < 5; ++k) {
      CHECK(std::string(got[t][k].id) == ref[k].id);
      CHECK(got[t][k].score == ref[k].score);
    }
  }
}

TEST_CASE("capi: simulate from a path and from CIF text agree") {
  std::vector<double> tt;
  for (double t = 20; t < 60; t += 0.05) tt.push_back(t);
  std::vector<double> a(tt.size()), b(tt.size(), -1.0);
  const std::string path = kPhases + "NiO.cif";
  REQUIRE(xrdid_simulate(path.c_str(), 1.5406, tt.data(), tt.size(), a.data()) == 0);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  REQUIRE(xrdid_simulate_cif_text(text.str().c_str(), 1.5406, tt.data(), tt.size(), b.data()) == 0);
  CHECK(a == b);
  double mx = 0;
  for (double v : a) {
    CHECK(std::isfinite(v));
    mx = std::max(mx, v);
  }
  CHECK(mx == doctest::Approx(100.0));
}

TEST_CASE("capi: pattern files") {
  xrdid_pattern* p = xrdid_pattern_read((std::string(XRDID_TEST_DATA) + "/patterns/ok_three.xy").c_str());
  REQUIRE_MESSAGE(p != nullptr, last_error());
  CHECK(xrdid_pattern_size(p) == 3);
  CHECK(xrdid_pattern_two_theta(p)[0] < xrdid_pattern_two_theta(p)[2]);
  CHECK(std::isfinite(xrdid_pattern_intensity(p)[1]));
  double ratio = -1;
  CHECK(xrdid_pattern_alpha2(p, &ratio) == 0.0);  // an .xy states no wavelength
  xrdid_pattern_close(p);
  p = xrdid_pattern_read((std::string(XRDID_TEST_DATA) + "/patterns/list_positions.xrdml").c_str());
  REQUIRE_MESSAGE(p != nullptr, last_error());
  CHECK(xrdid_pattern_wavelength(p) == doctest::Approx(1.78896));
  CHECK(xrdid_pattern_alpha2(p, &ratio) == doctest::Approx(1.79285));
  CHECK(ratio == doctest::Approx(0.5));
  CHECK(xrdid_pattern_alpha2(p, nullptr) > 0);
  xrdid_pattern_close(p);
  CHECK(xrdid_pattern_size(nullptr) == 0);
  CHECK(xrdid_pattern_read((std::string(XRDID_TEST_DATA) + "/patterns/nan.xy").c_str()) == nullptr);
  CHECK(last_error().find("nan.xy") != std::string::npos);
}

TEST_CASE("capi: bad arguments fail with -1 or NULL and one message, never a crash") {
  Library L;
  REQUIRE(L.lib);
  const Grid g = zno_pattern();
  xrdid_candidate rows[3];
  const double* tt = g.tt.data();
  const double* y = g.y.data();
  const std::size_t n = g.tt.size();
  auto fails = [&](int rc, const char* needle) {
    CHECK(rc == -1);
    CHECK_MESSAGE(last_error().find(needle) != std::string::npos, last_error());
  };
  fails(xrdid_identify(nullptr, nullptr, tt, y, n, 1.5406, rows, 3), "library is NULL");
  fails(xrdid_identify(L.lib, nullptr, nullptr, y, n, 1.5406, rows, 3), "NULL");
  fails(xrdid_identify(L.lib, nullptr, tt, nullptr, n, 1.5406, rows, 3), "NULL");
  fails(xrdid_identify(L.lib, nullptr, tt, y, 0, 1.5406, rows, 3), "at least 2 points");
  fails(xrdid_identify(L.lib, nullptr, tt, y, n, 0.0, rows, 3), "wavelength");
  fails(xrdid_identify(L.lib, nullptr, tt, y, n, -1.5, rows, 3), "wavelength");
  fails(xrdid_identify(L.lib, nullptr, tt, y, n, std::nan(""), rows, 3), "wavelength");
  fails(xrdid_identify(L.lib, nullptr, tt, y, n, 1.5406, nullptr, 3), "output array");
  fails(xrdid_identify(L.lib, nullptr, tt, y, n, 1.5406, rows, 0), "output array");
  std::vector<double> bad = g.y;
  bad[7] = std::numeric_limits<double>::quiet_NaN();
  fails(xrdid_identify(L.lib, nullptr, tt, bad.data(), n, 1.5406, rows, 3), "point 7 is not a finite number");
  bad = g.y;
  bad[3] = std::numeric_limits<double>::infinity();
  fails(xrdid_identify(L.lib, nullptr, tt, bad.data(), n, 1.5406, rows, 3), "not a finite number");
  std::vector<double> back = g.tt;
  std::swap(back[10], back[11]);
  fails(xrdid_identify(L.lib, nullptr, back.data(), y, n, 1.5406, rows, 3), "increase strictly");
  back = g.tt;
  back[20] = back[19];
  fails(xrdid_identify(L.lib, nullptr, back.data(), y, n, 1.5406, rows, 3), "increase strictly");

  xrdid_options o;
  std::memset(&o, 0, sizeof o);  // not from xrdid_options_init
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "xrdid_options_init");
  xrdid_options_init(&o);
  o.method = XRDID_METHOD_MODEL;
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "needs a model");
  xrdid_options_init(&o);
  o.method = 17;
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "unknown method");
  xrdid_options_init(&o);
  o.background = "rolling";
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "background");
  xrdid_options_init(&o);
  o.require = "Li,Qq";
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "unknown element 'Qq'");
  xrdid_options_init(&o);
  o.max_shift_deg = std::nan("");
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "max_shift_deg");
  xrdid_options_init(&o);
  o.max_phases = 0;
  xrdid_phase phases[2];
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "max_phases");
  fails(xrdid_identify_mixture(L.lib, tt, y, 1, 1.5406, nullptr, phases, 2, nullptr), "at least 2 points");
  xrdid_options_init(&o);
  o.max_phases = 9;
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "max_phases: expected 1 to 8");
  xrdid_options_init(&o);
  o.min_probability = 1.5;
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "min_probability: expected 0 to 1");
  o.min_probability = std::nan("");
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "min_probability");
  xrdid_options_init(&o);
  CHECK(o.min_lines_chi2_drop == doctest::Approx(0.3));
  CHECK(o.mixture_selection == XRDID_SELECTION_PRUNE);
  CHECK(o.mixture_first == XRDID_FIRST_SEARCH);
  CHECK(o.mixture_cell_bound == doctest::Approx(0.03));
  CHECK(o.mixture_texture == 1);
  CHECK(o.profile_exponent == doctest::Approx(0.4));
  CHECK(o.mixture_max_reflections == 600);
  CHECK(o.low_temperature == 0);
  CHECK(o.mixture_substitutes == 3);
  CHECK(o.mixture_substitute_drop == doctest::Approx(0.1));
  CHECK(o.mixture_max_volume_change == doctest::Approx(1.5));
  CHECK(o.mixture_common_candidates == 2);
  CHECK(o.mixture_readmit == 1);
  CHECK(o.mixture_texture_range == doctest::Approx(2.0));
  CHECK(o.mixture_judge_first == 2);
  CHECK(o.mixture_texture_lines == 0);
  CHECK(o.mixture_axis_check == doctest::Approx(3.0));
  CHECK(o.mixture_axis_calibration == 1);
  CHECK(o.min_probability < 0.0);  // the method's calibrated threshold
  // Each mixture option out of range is refused with its field named.
  auto bad_mixture = [&](void (*set)(xrdid_options&), const char* field) {
    xrdid_options_init(&o);
    set(o);
    fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), field);
  };
  bad_mixture([](xrdid_options& x) { x.min_lines_chi2_drop = 1.5; }, "min_lines_chi2_drop");
  bad_mixture([](xrdid_options& x) { x.mixture_selection = 2; }, "mixture_selection");
  bad_mixture([](xrdid_options& x) { x.mixture_first = -1; }, "mixture_first");
  bad_mixture([](xrdid_options& x) { x.mixture_cell_bound = 0.5; }, "mixture_cell_bound");
  bad_mixture([](xrdid_options& x) { x.mixture_max_reflections = -5; }, "mixture_max_reflections");
  bad_mixture([](xrdid_options& x) { x.mixture_substitutes = 21; }, "mixture_substitutes");
  bad_mixture([](xrdid_options& x) { x.mixture_substitute_drop = std::nan(""); }, "mixture_substitute_drop");
  bad_mixture([](xrdid_options& x) { x.mixture_max_volume_change = -1; }, "mixture_max_volume_change");
  bad_mixture([](xrdid_options& x) { x.mixture_max_volume_change = std::nan(""); }, "mixture_max_volume_change");
  bad_mixture([](xrdid_options& x) { x.mixture_common_candidates = -1; }, "mixture_common_candidates");
  bad_mixture([](xrdid_options& x) { x.mixture_readmit = 2; }, "mixture_readmit");
  bad_mixture([](xrdid_options& x) { x.mixture_texture_range = 0.5; }, "mixture_texture_range");
  bad_mixture([](xrdid_options& x) { x.mixture_texture_range = std::nan(""); }, "mixture_texture_range");
  bad_mixture([](xrdid_options& x) { x.mixture_judge_first = 8; }, "mixture_judge_first");
  bad_mixture([](xrdid_options& x) { x.mixture_texture_lines = 21; }, "mixture_texture_lines");
  bad_mixture([](xrdid_options& x) { x.mixture_axis_check = -1; }, "mixture_axis_check");
  bad_mixture([](xrdid_options& x) { x.mixture_axis_check = std::nan(""); }, "mixture_axis_check");
  bad_mixture([](xrdid_options& x) { x.mixture_axis_calibration = 2; }, "mixture_axis_calibration");
  xrdid_options_init(&o);
  o.profile_exponent = 0.0;
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "profile_exponent");
  xrdid_options_init(&o);
  o.struct_size = sizeof o - 4;  // neither the full struct nor one of the earlier layouts
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "xrdid_options_init");
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, min_lines_chi2_drop);  // a struct that ends at standard_fraction
  o.profile_exponent = -3;                                        // beyond it: not read
  CHECK(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr) > 0);
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, low_temperature);  // a struct that ends at profile_exponent
  o.mixture_substitutes = -7;                                 // beyond it: not read
  o.mixture_substitute_drop = std::nan("");
  CHECK(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr) > 0);
  o.profile_exponent = 0.0;  // inside it: read
  fails(xrdid_identify_ex(L.lib, nullptr, tt, y, n, 1.5406, &o, rows, 3, nullptr), "profile_exponent");
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, mixture_max_volume_change);  // ends at mixture_substitute_drop
  o.mixture_max_volume_change = std::nan("");                           // beyond it: not read
  CHECK(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr) > 0);
  o.mixture_substitute_drop = 2.0;  // inside it: read
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "mixture_substitute_drop");
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, mixture_common_candidates);  // ends at mixture_max_volume_change
  o.mixture_texture_range = std::nan("");                               // beyond it: not read
  o.mixture_readmit = 7;
  CHECK(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr) > 0);
  o.mixture_max_volume_change = -1.0;  // inside it: read
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "mixture_max_volume_change");
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, mixture_judge_first);  // ends at mixture_texture_range
  o.mixture_judge_first = 9;                                      // beyond it: not read
  o.mixture_texture_lines = -4;
  CHECK(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr) > 0);
  o.mixture_texture_range = 0.0;  // inside it: read
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "mixture_texture_range");
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, mixture_axis_check);  // ends at mixture_texture_lines
  o.mixture_axis_check = -2;                                     // beyond it: not read
  CHECK(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr) > 0);
  o.mixture_texture_lines = -4;  // inside it: read
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "mixture_texture_lines");
  xrdid_options_init(&o);
  o.struct_size = offsetof(xrdid_options, mixture_axis_calibration);  // ends at mixture_axis_check
  o.mixture_axis_calibration = 5;                                      // beyond it: not read
  CHECK(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr) > 0);
  o.mixture_axis_check = -2;  // inside it: read
  fails(xrdid_identify_mixture(L.lib, tt, y, n, 1.5406, &o, phases, 2, nullptr), "mixture_axis_check");
  xrdid_options_init(&o);
  CHECK(o.brindley_size_um == 0.0);
  CHECK(o.standard == nullptr);
  o.standard = "Si";
  o.standard_fraction = 1.5;
  xrdid_phase_quant quant[2];
  fails(xrdid_identify_mixture_quant(L.lib, tt, y, n, 1.5406, &o, phases, quant, 2, nullptr, nullptr, nullptr),
        "strictly between 0 and 1");
  xrdid_options_init(&o);
  o.brindley_size_um = -1;
  fails(xrdid_identify_mixture_quant(L.lib, tt, y, n, 1.5406, &o, phases, quant, 2, nullptr, nullptr, nullptr),
        "brindley_size_um");

  CHECK(xrdid_library_open("/nonexistent/lib.xrdlib") == nullptr);
  CHECK(last_error().find("lib.xrdlib") != std::string::npos);
  CHECK(xrdid_model_open(nullptr) == nullptr);
  CHECK(xrdid_model_open((std::string(XRDID_TEST_DATA) + "/patterns/ok_three.xy").c_str()) == nullptr);
  CHECK(!last_error().empty());
  CHECK(xrdid_pattern_read(nullptr) == nullptr);
  CHECK(xrdid_library_size(nullptr) == -1);
  CHECK(xrdid_library_wavelength(nullptr) == -1.0);
  std::vector<double> out(n);
  fails(xrdid_simulate(nullptr, 1.5406, tt, n, out.data()), "no CIF path");
  fails(xrdid_simulate((kPhases + "NiO.cif").c_str(), 0, tt, n, out.data()), "wavelength");
  fails(xrdid_simulate((kPhases + "NiO.cif").c_str(), 1.5406, tt, 0, out.data()), "grid");
  fails(xrdid_simulate((kPhases + "NiO.cif").c_str(), 1.5406, back.data(), n, out.data()), "increase strictly");
  fails(xrdid_simulate_cif_text("not a cif", 1.5406, tt, n, out.data()), "");
  fails(xrdid_simulate("/nonexistent/x.cif", 1.5406, tt, n, out.data()), "x.cif");
  xrdid_library_close(nullptr);
  xrdid_model_close(nullptr);
  xrdid_pattern_close(nullptr);
  xrdid_options_init(nullptr);
  // A success clears the thread's last error.
  CHECK(xrdid_identify(L.lib, nullptr, tt, y, n, 1.5406, rows, 3) == 3);
  CHECK(last_error().empty());
}

TEST_CASE("capi: the last error is per thread") {
  CHECK(xrdid_library_size(nullptr) == -1);
  const std::string mine = last_error();
  std::string theirs = "unset";
  std::thread([&] { theirs = last_error(); }).join();
  CHECK(!mine.empty());
  CHECK(theirs.empty());
}

TEST_CASE("capi: version") {
  const std::string v = xrdid_version();
  CHECK(std::count(v.begin(), v.end(), '.') == 2);
}
