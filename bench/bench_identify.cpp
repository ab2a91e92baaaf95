// Identification benchmarks (Google Benchmark) on the bundled library of common phases
// (data/phases, built in-process, no development data needed): the default single-phase search
// of one pattern, and the mixture search (`identify --mixture` with its defaults) of synthetic
// measured mixtures of bundled phases — Cu Kα1+Kα2, 10–100° in 0.02° steps, pseudo-Voigt peaks,
// a smooth background and Poisson counts, as a 12-minute laboratory scan gives them.
//
//   OMP_NUM_THREADS=2 build/bench/bench_identify            # the mixture goal is set on 2 threads
//   build/bench/bench_identify --benchmark_filter=Mixture
//   XRDID_DATA=DIR build/bench/bench_identify --benchmark_filter=Measured
//   XRDID_DATA=DIR XRDID_BENCH_LIBRARY=all.xrdlib build/bench/bench_identify --benchmark_filter=Library
//
// With XRDID_DATA set, BM_MixtureSearchMeasured also searches every fifth of the development
// data's 12-minute Dara scans (measured/dara-mixtures, 10 files) against the bundled library;
// with XRDID_BENCH_LIBRARY set too (a library file, e.g. every development CIF and the bundled
// phases: `xrdid library build "$XRDID_DATA/cif" data/phases -o all.xrdlib`),
// BM_MixtureSearchMeasuredLibrary searches them against that library, the bundled phases as its
// common phases (as `identify --library`).
//
// Counters: seconds per pattern (real time), `vs_goal` = seconds per mixture / 10 s, the phases
// found, how many of them were mixed in, and the joint fits tried.
#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "identify/identify.hpp"
#include "identify/mixture.hpp"
#include "io/pattern_io.hpp"
#include "synthetic_mixture.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"
#include "xrd/render.hpp"

using namespace xrdid;

namespace {

constexpr double kGoalSeconds = 10.0;  // per mixture on 2 threads
const std::string kPhases = XRDID_PHASES_DIR;

const bool kThreadsContext = [] {
  benchmark::AddCustomContext("omp_threads", std::to_string(omp_get_max_threads()));
  return true;
}();

struct Bundled {
  xrd::Library lib;
  std::unique_ptr<identify::Identifier> id;
  Bundled() {
    lib = xrd::build_library(xrd::collect_cifs({kPhases}), {});
    id = std::make_unique<identify::Identifier>(lib);
  }
};
Bundled& bundled() {
  static Bundled b;
  return b;
}

// The library of XRDID_BENCH_LIBRARY, read once, with the bundled library's phases as the
// mixture search's common phases.
struct Given {
  xrd::Library lib;
  std::unique_ptr<identify::Identifier> id;
  identify::MixtureOptions mo;
  Given() {
    lib = xrd::load_library(std::getenv("XRDID_BENCH_LIBRARY"));
    id = std::make_unique<identify::Identifier>(lib);
    mo.common = identify::phase_keys(bundled().lib);
  }
};
Given& given() {
  static Given g;
  return g;
}

// A scan of bundled phases mixed by weight: each phase's raw intensities (|F|² × multiplicity ×
// LP) times w / (ZMV), so that Hill–Howard gives back w; the strongest peak near 20,000 counts.
xrd::Pattern synthetic_scan(const std::vector<std::pair<std::string, double>>& phases, unsigned seed) {
  const std::vector<double> grid = xrd::uniform_grid(10, 100, 0.02);
  xrd::ProfileOptions prof = testing::synthetic_profile();
  std::vector<double> acc(grid.size(), 0.0);
  for (const auto& [cif, w] : phases) {
    const xrd::Crystal c = xrd::read_cif(kPhases + "/" + cif);
    const double zmv = xrd::density_g_cm3(c) * c.volume();  // ∝ Z·M·V
    const xrd::Pattern p = xrd::simulate_pattern(c, {1.540598, 1.544426, 0.5}, grid, prof);
    for (std::size_t i = 0; i < grid.size(); ++i) acc[i] += w / zmv * p.intensity[i];
  }
  xrd::Pattern out = testing::counted_pattern(grid, acc, 20000, 0.0, seed);
  out.wavelength = {1.540598, 1.544426, 0.5};
  return out;
}

const std::vector<std::vector<std::pair<std::string, double>>> kMixtures = {
    {{"Cr2O3_eskolaite.cif", 0.35}, {"Fe3O4_magnetite.cif", 0.30}, {"Y2O3.cif", 0.35}},
    {{"TiO2_anatase.cif", 0.30}, {"ZnO_zincite.cif", 0.25}, {"CeO2.cif", 0.25}, {"Al2O3_corundum.cif", 0.20}},
    {{"Li2CO3_zabuyelite.cif", 0.40}, {"CuO_tenorite.cif", 0.35}, {"SnO2_cassiterite.cif", 0.25}},
};

// One mixture search per iteration (the library and its compressed references prepared once).
void BM_MixtureSearch(benchmark::State& state) {
  Bundled& b = bundled();
  const auto& mix = kMixtures[static_cast<std::size_t>(state.range(0))];
  const xrd::Pattern p = synthetic_scan(mix, 7 + static_cast<unsigned>(state.range(0)));
  b.id->identify(p, identify::IdentifyOptions{});  // references compressed outside the timing
  identify::MixtureResult r;
  double seconds = 0;
  for (auto _ : state) {
    r = identify::identify_mixture(*b.id, p, identify::IdentifyOptions{});
    seconds += r.seconds;
    benchmark::DoNotOptimize(r.fit.chi2);
  }
  int mixed_in = 0;
  for (const identify::MixturePhase& ph : r.phases) {
    const std::string id = b.lib.entries[ph.entry].id;
    for (const auto& m : mix) mixed_in += id + ".cif" == m.first || id == m.first;
  }
  state.counters["phases_mixed"] = static_cast<double>(mix.size());
  state.counters["phases_found"] = static_cast<double>(r.phases.size());
  state.counters["found_mixed_in"] = mixed_in;
  state.counters["fits"] = r.fits;
  state.counters["vs_goal"] = seconds / static_cast<double>(state.iterations()) / kGoalSeconds;
}
BENCHMARK(BM_MixtureSearch)->DenseRange(0, static_cast<int>(kMixtures.size()) - 1)->Iterations(2)
    ->Unit(benchmark::kSecond)->UseRealTime();

// One mixture search of a measured pattern per iteration, against the bundled library or (large)
// the library of XRDID_BENCH_LIBRARY.
void BM_MixtureSearchMeasured(benchmark::State& state, const std::string& path, bool large) {
  const identify::Identifier& id = large ? *given().id : *bundled().id;
  const identify::MixtureOptions mo = large ? given().mo : identify::MixtureOptions{};
  const xrd::Pattern p = io::read_pattern(path);
  id.identify(p, identify::IdentifyOptions{});
  identify::MixtureResult r;
  double seconds = 0;
  for (auto _ : state) {
    r = identify::identify_mixture(id, p, identify::IdentifyOptions{}, mo);
    seconds += r.seconds;
  }
  state.counters["phases_found"] = static_cast<double>(r.phases.size());
  state.counters["fits"] = r.fits;
  state.counters["vs_goal"] = seconds / static_cast<double>(state.iterations()) / kGoalSeconds;
}

// Every fifth 12-minute scan of measured/dara-mixtures under $XRDID_DATA, sorted by name.
void register_measured() {
  const char* data = std::getenv("XRDID_DATA");
  if (data == nullptr) return;
  const std::filesystem::path dir = std::filesystem::path(data) / "measured" / "dara-mixtures";
  if (!std::filesystem::is_directory(dir)) return;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    const std::string tail = ".12-min.xrdml";
    if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0)
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  const char* given_library = std::getenv("XRDID_BENCH_LIBRARY");
  if (given_library != nullptr && *given_library != '\0') {
    try {
      given();  // read before any benchmark runs: a bad file is one error line, not an abort
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_identify: XRDID_BENCH_LIBRARY: %s\n", e.what());
      std::exit(2);
    }
  }
  for (const bool large : {false, true}) {
    if (large && (given_library == nullptr || *given_library == '\0')) break;
    const std::string name = large ? "BM_MixtureSearchMeasuredLibrary/" : "BM_MixtureSearchMeasured/";
    for (std::size_t k = 0; k < files.size(); k += 5)
      benchmark::RegisterBenchmark((name + std::filesystem::path(files[k]).stem().string()).c_str(),
                                   BM_MixtureSearchMeasured, files[k], large)
          ->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  }
}

// The default single-phase search (profile method, top 10) of one synthetic pure phase.
void BM_IdentifySingle(benchmark::State& state) {
  Bundled& b = bundled();
  const xrd::Pattern p = synthetic_scan({{"CeO2.cif", 1.0}}, 3);
  b.id->identify(p, identify::IdentifyOptions{});
  for (auto _ : state) benchmark::DoNotOptimize(b.id->identify(p, identify::IdentifyOptions{}).candidates.size());
}
BENCHMARK(BM_IdentifySingle)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  register_measured();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
