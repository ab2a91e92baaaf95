// Identification on a tiny library: the right phase first, chemistry filters, "no confident
// match" for noise, JSON fields, and a well-formed HTML report with one SVG per candidate shown.
#include <doctest/doctest.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

#include "augment/perturb.hpp"
#include "identify/confidence.hpp"
#include "identify/identify.hpp"
#include "identify/report.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"
#include "xrd/render.hpp"

using namespace xrdid;

namespace {
xrd::Library tiny_library() {
  const std::string d = XRDID_TEST_DATA "/cif/";
  std::vector<std::pair<std::string, std::string>> cifs{
      {d + "LiF.cif", "LiF"}, {d + "NaCl.cif", "NaCl"}, {d + "Si.cif", "Si"}, {d + "P21c_symops.cif", "P21c"}};
  return xrd::build_library(cifs, {});
}

// A "measured" pattern: broader peaks, a zero shift, background and noise, 10-90 deg.
xrd::Pattern measure(const std::string& cif, double shift) {
  xrd::ProfileOptions p;
  p.sigma = 0.1;
  p.zero_shift = shift;
  xrd::Pattern m = xrd::simulate_pattern(xrd::read_cif(cif), {1.54184, 0, 0.5}, xrd::uniform_grid(10, 90, 0.01), p);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.5);
  for (std::size_t i = 0; i < m.size(); ++i) m.intensity[i] += static_cast<float>(20 - 0.1 * m.two_theta[i] + noise(rng));
  m.source = cif;
  return m;
}
}  // namespace

TEST_CASE("profile identification ranks the measured phase first and finds its zero shift") {
  xrd::Library lib = tiny_library();
  REQUIRE(lib.size() == 4);
  identify::Identifier id(lib);
  identify::IdentifyOptions opt;
  auto r = id.identify(measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1), opt);
  REQUIRE(!r.candidates.empty());
  CHECK(lib.entries[r.candidates[0].entry].id == "NaCl");
  CHECK(r.confident);
  CHECK(r.candidates[0].score > 0.8);
  CHECK(r.candidates[0].shift_deg == doctest::Approx(0.1).epsilon(0.3));
  CHECK(r.candidates.size() == 4);
  for (std::size_t i = 1; i < r.candidates.size(); ++i) CHECK(r.candidates[i - 1].score >= r.candidates[i].score);
  // The chance level (the cosine with the reference moved off its alignment) is a cosine, and
  // well below the aligned one for the true phase.
  for (const auto& c : r.candidates) {
    CHECK(std::isfinite(c.chance));
    CHECK(c.chance >= 0.0);
    CHECK(c.chance < 1.0);
  }
  CHECK(r.candidates[0].chance < 0.5 * r.candidates[0].score);

  identify::IdentifyOptions po;
  po.method = identify::Method::Peaks;
  auto pk = id.identify(measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1), po);
  REQUIRE(!pk.candidates.empty());
  CHECK(lib.entries[pk.candidates[0].entry].id == "NaCl");
  CHECK(pk.candidates[0].score > 0.5);
  CHECK(pk.candidates[0].score > 2 * pk.candidates[1].score);
  CHECK(pk.candidates[0].chance == 0.0);  // peaks has no chance level

  opt.exclude = {"Na"};
  auto f = id.identify(measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1), opt);
  for (auto& c : f.candidates) CHECK(lib.entries[c.entry].reduced_formula != "NaCl");
  opt.exclude.clear();
  opt.only = {"Li", "F"};
  auto o = id.identify(measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1), opt);
  REQUIRE(o.candidates.size() == 1);
  CHECK(lib.entries[o.candidates[0].entry].id == "LiF");
  CHECK_FALSE(o.confident);  // LiF does not explain a NaCl pattern
}

TEST_CASE("the profile exponent: a stronger compression lifts weak peaks; its cosine is still the measured phase's") {
  xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  const xrd::Pattern m = measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1);
  identify::IdentifyOptions opt;
  const auto r4 = id.identify(m, opt);
  opt.profile_exponent = 0.25;
  const auto r25 = id.identify(m, opt);
  opt.profile_exponent = 1.0;
  const auto r1 = id.identify(m, opt);
  for (const auto* r : {&r4, &r25, &r1}) {
    REQUIRE(!r->candidates.empty());
    CHECK(lib.entries[r->candidates[0].entry].id == "NaCl");
    CHECK(std::isfinite(r->candidates[0].score));
  }
  // The exponent changes the cosines: with y^1 the few strong lines dominate both vectors, and
  // another phase's cosine with the query is lower than with y^0.25, where every weak line and
  // the shared low-level signal count.
  auto score_of = [&](const identify::IdentifyResult& r, const std::string& id_name) {
    for (const auto& c : r.candidates)
      if (lib.entries[c.entry].id == id_name) return c.score;
    return -9.0;
  };
  CHECK(score_of(r1, "NaCl") != doctest::Approx(score_of(r4, "NaCl")).epsilon(1e-4));
  CHECK(score_of(r1, "Si") < score_of(r25, "Si"));
  // The default's cached references are reused: the same options give the same scores.
  opt.profile_exponent = 0.4;
  const auto again = id.identify(m, opt);
  CHECK(again.candidates[0].score == r4.candidates[0].score);
  opt.profile_exponent = 0.0;
  CHECK_THROWS_WITH_AS(id.identify(m, opt), doctest::Contains("profile exponent"), std::exception);
  opt.profile_exponent = std::nan("");
  CHECK_THROWS_WITH_AS(id.identify(m, opt), doctest::Contains("profile exponent"), std::exception);
}

// The profile score of a row, recomputed plainly in double: the cosine of the compressed query
// (y^0.4 on the measured points) with the compressed reference moved by s grid points, the
// reference's norm over the measured window.
double plain_profile_cosine(const xrd::Library& lib, std::size_t e, const std::vector<float>& q,
                            const std::vector<char>& mask, std::ptrdiff_t s) {
  const auto n = static_cast<std::ptrdiff_t>(lib.n_points);
  const float* p = lib.pattern(e);
  const double mx = *std::max_element(p, p + n);
  double dot = 0, qq = 0, rr = 0;
  for (std::ptrdiff_t i = 0; i + 1 < n; ++i) {
    if (!mask[static_cast<std::size_t>(i)] || !mask[static_cast<std::size_t>(i + 1)]) continue;
    const double qi = std::pow(std::max(0.f, q[static_cast<std::size_t>(i)]), 0.4);
    const double ri = i - s >= 0 && i - s < n ? std::pow(std::max(0.0, p[i - s] / mx), 0.4) : 0.0;
    dot += qi * ri;
    qq += qi * qi;
    rr += ri * ri;
  }
  return dot / std::sqrt(qq * rr);
}

TEST_CASE("the profile score is the plain cosine at the shift found, and no coarse shift scores higher") {
  xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  identify::IdentifyOptions opt;
  opt.max_strain = 0.0;  // scale 1: no strain prior in the score
  const auto S = static_cast<std::ptrdiff_t>(std::lround(opt.max_shift_deg / lib.two_theta_step));
  REQUIRE(S > 8);
  // Measured inside the grid, and up to its end (the shifts then cover different spans).
  for (const double hi : {90.0, lib.two_theta_start + lib.two_theta_step * static_cast<double>(lib.n_points - 1)}) {
    xrd::ProfileOptions po;
    po.sigma = 0.1;
    po.zero_shift = 0.1;
    const xrd::Pattern m = xrd::simulate_pattern(xrd::read_cif(XRDID_TEST_DATA "/cif/NaCl.cif"), {1.54184, 0, 0.5},
                                                 xrd::uniform_grid(10, hi, 0.01), po);
    std::vector<char> mask;
    const xrd::Pattern q = id.preprocess(m, opt, &mask);
    const auto r = id.identify(m, opt);
    REQUIRE(r.candidates.size() == 4);
    for (const auto& c : r.candidates) {
      CAPTURE(lib.entries[c.entry].id);
      CAPTURE(hi);
      const auto s = static_cast<std::ptrdiff_t>(std::lround(c.shift_deg / lib.two_theta_step));
      CHECK(std::abs(s) <= S);
      CHECK(c.score == doctest::Approx(plain_profile_cosine(lib, c.entry, q.intensity, mask, s)).epsilon(1e-4));
      for (std::ptrdiff_t t = -S; t <= S; t += 2)
        CHECK(plain_profile_cosine(lib, c.entry, q.intensity, mask, t) <= c.score + 1e-4);
    }
  }
}

TEST_CASE("profile follows a 1 % lattice strain and reports the lattice scale") {
  xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  // Si with every d-spacing 1 % larger: at 2θ ≈ 88° the peaks sit ~0.9° lower, far outside the
  // ±0.3° zero-shift search.
  xrd::Pattern m = measure(XRDID_TEST_DATA "/cif/Si.cif", 0.0);
  augment::apply_perturbation(m, augment::parse_perturbation("strain=0.01"));
  identify::IdentifyOptions opt;  // defaults: ±1.2 % lattice-scale search
  auto r = id.identify(m, opt);
  REQUIRE(!r.candidates.empty());
  CHECK(lib.entries[r.candidates[0].entry].id == "Si");
  CHECK(r.candidates[0].scale == doctest::Approx(1.01).epsilon(0.0025));
  CHECK(r.candidates[0].score > 0.65);  // the score carries the strain prior (8 x 0.01 here)
  // Without the search the best alignment explains the pattern much worse.
  opt.max_strain = 0.0;
  auto plain = id.identify(m, opt);
  REQUIRE(!plain.candidates.empty());
  double si_plain = -1;
  for (auto& c : plain.candidates)
    if (lib.entries[c.entry].id == "Si") si_plain = c.score;
  CHECK(si_plain < r.candidates[0].score - 0.1);
}

TEST_CASE("a pattern of pure noise is not a confident match; bad input is refused") {
  xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  xrd::Pattern noise;
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 4000; ++i) {
    noise.two_theta.push_back(10 + 0.02 * i);
    noise.intensity.push_back(static_cast<float>(100 + 10 * u(rng)));
  }
  noise.source = "noise";
  identify::IdentifyOptions opt;
  auto r = id.identify(noise, opt);
  CHECK_FALSE(r.confident);
  xrd::Pattern one;
  one.two_theta = {20};
  one.intensity = {1};
  one.source = "one-point";
  CHECK_THROWS_WITH(id.identify(one, opt), doctest::Contains("one-point"));
  opt.method = identify::Method::Model;
  CHECK_THROWS_WITH(id.identify(measure(XRDID_TEST_DATA "/cif/Si.cif", 0), opt), doctest::Contains("needs a model"));
}

TEST_CASE("JSON carries the documented fields and the HTML report is well-formed with inline SVG") {
  xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  std::vector<identify::IdentifyResult> rs{id.identify(measure(XRDID_TEST_DATA "/cif/Si.cif", 0), {})};
  auto j = identify::results_to_json(rs, lib);
  auto& c = j["queries"][0]["candidates"][0];
  for (const char* k : {"rank", "id", "formula", "reduced_formula", "spacegroup_number", "score", "shift_deg", "scale",
                        "at_search_limit", "same_phase", "source"})
    CHECK_MESSAGE(c.contains(k), k);
  CHECK(c["reduced_formula"] == "Si");
  CHECK(c["rank"] == 1);
  const std::string html = identify::results_to_html(rs, lib);
  pugi::xml_document doc;
  auto ok = doc.load_string(html.c_str());
  CHECK_MESSAGE(ok, ok.description());
  auto svgs = doc.select_nodes("//svg");
  CHECK(svgs.size() == rs[0].candidates.size());  // every listed candidate is drawn (--top of them)
  CHECK(rs[0].candidates.size() == 4);
  CHECK(doc.select_nodes("//polyline").size() >= 8);
  char sc[32];
  std::snprintf(sc, sizeof sc, "score %.4f", rs[0].candidates[0].score);
  CHECK(html.find(sc) != std::string::npos);  // plot headings round the score as the table does
  CHECK(html.find("<?xml") == std::string::npos);
}

TEST_CASE("entries of one phase share a row: the top rows are different answers, every source listed") {
  const std::string d = XRDID_TEST_DATA "/cif/";
  xrd::Library lib = xrd::build_library(
      {{d + "NaCl.cif", "a/NaCl"}, {d + "LiF.cif", "LiF"}, {d + "NaCl.cif", "b/NaCl"}, {d + "Si.cif", "Si"}}, {});
  REQUIRE(lib.size() == 4);
  identify::Identifier id(lib);
  identify::IdentifyOptions opt;
  opt.top = 3;
  auto r = id.identify(measure(d + "NaCl.cif", 0.0), opt);
  REQUIRE(r.candidates.size() == 3);  // NaCl (twice), LiF, Si
  CHECK(lib.entries[r.candidates[0].entry].reduced_formula == "NaCl");
  REQUIRE(r.candidates[0].same_phase.size() == 1);
  CHECK(lib.entries[r.candidates[0].same_phase[0]].reduced_formula == "NaCl");
  CHECK(r.candidates[0].same_phase[0] != r.candidates[0].entry);
  for (std::size_t i = 1; i < r.candidates.size(); ++i) CHECK(r.candidates[i].same_phase.empty());
  const auto j = identify::results_to_json({r}, lib);
  CHECK(j["queries"][0]["candidates"][0]["same_phase"].size() == 1);
  std::ostringstream text;
  identify::print_results({r}, lib, text);
  const std::string other = lib.entries[r.candidates[0].same_phase[0]].id;
  CHECK(text.str().find("(+1 of this phase)\n      same phase: " + other + "\n") != std::string::npos);

  opt.one_row_per_phase = false;  // --every-entry
  auto every = id.identify(measure(d + "NaCl.cif", 0.0), opt);
  REQUIRE(every.candidates.size() == 3);
  CHECK(lib.entries[every.candidates[1].entry].reduced_formula == "NaCl");
  CHECK(every.candidates[0].same_phase.empty());
}

TEST_CASE("probabilities: the first row's margin over the next raises it, a lone row has no margin") {
  using identify::Candidate;
  std::vector<Candidate> rows{Candidate(0, 0.85), Candidate(1, 0.55), Candidate(2, 0.50)};
  rows[0].chance = 0.30, rows[1].chance = 0.20, rows[2].chance = 0.25;
  identify::assign_probabilities(rows, identify::Method::Profile);
  const auto k = identify::calibration(identify::Method::Profile);
  const auto p = [&](double s, double m, double c) {
    return 1.0 / (1.0 + std::exp(-(k.bias + k.w_score * s + k.w_margin * m + k.w_chance * c)));
  };
  CHECK(k.w_chance != 0.0);
  CHECK(rows[0].probability == doctest::Approx(p(0.85, 0.30, 0.30)));
  CHECK(rows[1].probability == doctest::Approx(p(0.55, -0.30, 0.20)));
  CHECK(rows[0].probability > 0.9);
  CHECK(rows[1].probability < 0.01);
  std::vector<Candidate> close{Candidate(0, 0.85), Candidate(1, 0.84)};
  identify::assign_probabilities(close, identify::Method::Profile);
  CHECK(close[0].probability < rows[0].probability);  // two phases explain it about equally
  std::vector<Candidate> lone{Candidate(0, 0.6)};
  identify::assign_probabilities(lone, identify::Method::Profile);
  CHECK(lone[0].probability == doctest::Approx(p(0.6, 0.0, 0.0)));
  // Peaks has no chance level: the same rows with and without one get the same probability.
  std::vector<Candidate> peaks{Candidate(0, 0.85), Candidate(1, 0.55)}, peaks_c = peaks;
  peaks_c[0].chance = 0.5;
  identify::assign_probabilities(peaks, identify::Method::Peaks);
  identify::assign_probabilities(peaks_c, identify::Method::Peaks);
  CHECK(peaks[0].probability == peaks_c[0].probability);
  for (const auto* v : {&rows, &close, &lone})
    for (const auto& c : *v) {
      CHECK(c.probability >= 0.0);
      CHECK(c.probability <= 1.0);
    }
}

TEST_CASE("the confidence threshold: the method's calibrated one unless the user sets one") {
  identify::IdentifyOptions o;
  CHECK(o.min_probability < 0.0);
  CHECK(identify::confidence_threshold(o) == doctest::Approx(0.25));
  o.method = identify::Method::Peaks;
  CHECK(identify::confidence_threshold(o) == doctest::Approx(0.45));
  CHECK(identify::confidence_threshold(o) == identify::calibration(identify::Method::Peaks).threshold);
  o.method = identify::Method::Hybrid;
  CHECK(identify::confidence_threshold(o) == doctest::Approx(0.25));
  o.min_probability = 0.9;
  CHECK(identify::confidence_threshold(o) == doctest::Approx(0.9));
  o.min_probability = 0.0;  // every answer confident
  CHECK(identify::confidence_threshold(o) == 0.0);
}

TEST_CASE("the first row's cell volume against the reference: from its fit, else from the lattice scale") {
  using identify::Candidate;
  using identify::FitResult;
  using identify::FitStatus;
  Candidate mono(0, 0.8);
  auto f = std::make_shared<FitResult>();
  f->status = FitStatus::Converged;
  f->cell_start = {5, 6, 7, 90, 100, 90};
  f->cell = {5.05, 6, 7, 90, 95, 90};
  mono.confidence_fit = f;
  const double want = 100.0 * std::log(1.01 * std::sin(95 * M_PI / 180) / std::sin(100 * M_PI / 180));
  CHECK(identify::volume_change(mono) == doctest::Approx(want).epsilon(1e-12));
  CHECK(want > 0.0);
  // A verified fit (Candidate::fit) counts before the confidence fit.
  auto g = std::make_shared<FitResult>(*f);
  g->cell = {5, 6, 7, 90, 100, 90};
  mono.fit = g;
  CHECK(identify::volume_change(mono) == doctest::Approx(0.0));
  // No converged fit, or one with a cell that is not a number: the lattice scale on three axes.
  Candidate strained(0, 0.8, 0.0, 0.99);
  CHECK(identify::volume_change(strained) == doctest::Approx(300.0 * std::log(0.99)));
  auto diverged = std::make_shared<FitResult>(*f);
  diverged->status = FitStatus::Diverged;
  strained.confidence_fit = diverged;
  CHECK(identify::volume_change(strained) == doctest::Approx(300.0 * std::log(0.99)));
  auto nan_cell = std::make_shared<FitResult>(*f);
  nan_cell->cell[0] = std::nan("");
  strained.confidence_fit = nan_cell;
  CHECK(identify::volume_change(strained) == doctest::Approx(300.0 * std::log(0.99)));
  // The probability falls with the magnitude of the change, either sign.
  const auto k = identify::calibration(identify::Method::Profile);
  CHECK(k.w_volume < 0.0);
  std::vector<Candidate> same{Candidate(0, 0.8, 0.0, 1.0), Candidate(1, 0.5)};
  std::vector<Candidate> wider{Candidate(0, 0.8, 0.0, 1.01), Candidate(1, 0.5)};
  std::vector<Candidate> narrower{Candidate(0, 0.8, 0.0, 1.0 / 1.01), Candidate(1, 0.5)};
  for (auto* v : {&same, &wider, &narrower}) identify::assign_probabilities(*v, identify::Method::Profile);
  CHECK(wider[0].probability < same[0].probability);
  CHECK(wider[0].probability == doctest::Approx(narrower[0].probability));
  const double z = k.bias + k.w_score * 0.8 + k.w_margin * 0.3 + k.w_volume * 300.0 * std::log(1.01);
  CHECK(wider[0].probability == doctest::Approx(1.0 / (1.0 + std::exp(-z))));
}

TEST_CASE("identify fits the first row for its probability, reports its Rwp and volume change, and not as verified") {
  xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  identify::IdentifyOptions opt;
  const auto m = measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1);
  auto r = id.identify(m, opt);
  REQUIRE(r.candidates.size() >= 2);
  REQUIRE(lib.entries[r.candidates[0].entry].id == "NaCl");
  REQUIRE(r.candidates[0].confidence_fit);
  CHECK(r.candidates[0].confidence_fit->ok());
  CHECK(!r.candidates[0].fit);
  CHECK(std::abs(identify::volume_change(r.candidates[0])) < 0.3);  // its own cell
  for (std::size_t i = 1; i < r.candidates.size(); ++i) CHECK(!r.candidates[i].confidence_fit);
  const auto j = identify::results_to_json({r}, lib)["queries"][0]["candidates"];
  REQUIRE(j[0].contains("volume_change"));
  CHECK(j[0]["volume_change"].get<double>() == doctest::Approx(identify::volume_change(r.candidates[0])));
  CHECK(j[0]["fit_rwp"].get<double>() == doctest::Approx(r.candidates[0].confidence_fit->rwp));
  CHECK(j[0]["cell"]["a"].get<double>() == doctest::Approx(r.candidates[0].confidence_fit->cell[0]));
  CHECK(j[0]["cell"]["a"].get<double>() == doctest::Approx(5.64).epsilon(0.01));  // NaCl
  CHECK(j[0]["cell_esd"]["a"].get<double>() >= 0.0);
  CHECK(!j[0].contains("fit"));
  CHECK(!j[1].contains("volume_change"));
  // The report's table gives it too, and a dash for rows without a fit.
  const std::string html = identify::results_to_html({r}, lib);
  char dv[48];
  std::snprintf(dv, sizeof dv, "<td>%+.2f</td>", identify::volume_change(r.candidates[0]));
  CHECK(html.find("cell volume (%)") != std::string::npos);
  CHECK(html.find(dv) != std::string::npos);
  CHECK(html.find("<td>–</td>") != std::string::npos);
  // Verification takes the same fit instead of fitting again.
  opt.verify = 1;
  auto v = id.identify(m, opt);
  REQUIRE(v.candidates[0].fit);
  CHECK(v.candidates[0].fit.get() == v.candidates[0].confidence_fit.get());
  // Off: no fit, and the probability from the lattice scale alone.
  opt.verify = 0;
  opt.fit_first_row = false;
  auto off = id.identify(m, opt);
  CHECK(!off.candidates[0].confidence_fit);
  CHECK(std::isfinite(off.candidates[0].probability));
}

TEST_CASE("phases that are gases or liquids at room temperature are skipped unless asked for") {
  xrd::Library lib = tiny_library();
  std::size_t nacl = lib.size();
  for (std::size_t i = 0; i < lib.size(); ++i)
    if (lib.entries[i].id == "NaCl") nacl = i;
  REQUIRE(nacl < lib.size());
  lib.entries[nacl].formula = "O8";  // as if the NaCl pattern were a structure of solid oxygen
  identify::Identifier id(lib);
  const xrd::Pattern m = measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1);
  identify::IdentifyOptions opt;
  const auto skipped = id.identify(m, opt);
  CHECK(skipped.candidates.size() == 3);
  for (const auto& c : skipped.candidates) CHECK(c.entry != nacl);
  opt.room_temperature = false;
  const auto cold = id.identify(m, opt);
  REQUIRE(cold.candidates.size() == 4);
  CHECK(cold.candidates[0].entry == nacl);
}

TEST_CASE("a search can be restricted to flagged library entries") {
  const xrd::Library lib = tiny_library();
  identify::Identifier id(lib);
  const xrd::Pattern m = measure(XRDID_TEST_DATA "/cif/NaCl.cif", 0.1);
  identify::IdentifyOptions opt;
  opt.top = 10;
  auto flags = std::make_shared<std::vector<char>>(lib.size(), 1);
  std::size_t nacl = lib.size();
  for (std::size_t i = 0; i < lib.size(); ++i)
    if (lib.entries[i].id == "NaCl") nacl = i;
  REQUIRE(nacl < lib.size());
  (*flags)[nacl] = 0;
  opt.entries = flags;
  const auto without = id.identify(m, opt);
  CHECK(without.candidates.size() == lib.size() - 1);
  for (const auto& c : without.candidates) CHECK(c.entry != nacl);
  // Entries beyond the flags are not searched either.
  opt.entries = std::make_shared<std::vector<char>>(std::vector<char>{1});
  const auto first_only = id.identify(m, opt);
  REQUIRE(first_only.candidates.size() == 1);
  CHECK(first_only.candidates[0].entry == 0);
  opt.entries.reset();
  CHECK(id.identify(m, opt).candidates.front().entry == nacl);
}
