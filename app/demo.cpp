// The end-to-end demo; see demo.hpp.
#include "app/demo.hpp"

#include <filesystem>
#include <ostream>
#include <unistd.h>

#include "augment/measurement.hpp"
#include "io/pattern_io.hpp"
#include "identify/identify.hpp"
#include "identify/report.hpp"
#include "train/simulated_dataset.hpp"
#include "train/structures.hpp"
#include "train/trainer.hpp"
#include "app/bundled_library.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/export.hpp"
#include "xrd/library.hpp"
#include "xrd/render.hpp"

namespace xrdid::app {

using namespace xrdid::train;
using namespace xrdid::identify;

namespace fs = std::filesystem;

int run_demo(const DemoOptions& o, std::ostream& out, std::ostream& log) {
  const std::string cifs = o.cifs.empty() ? bundled_phases_dir() : o.cifs;
  XRDID_CHECK(fs::is_directory(cifs), "demo: no folder of CIFs at " + cifs + " (use --cifs DIR)");
  fs::create_directories(o.out);
  const fs::path dir(o.out);

  // 1. Reference library of the bundled phases.
  log << "[1/5] library: simulating the patterns of " << cifs << "\n";
  xrd::LibraryBuildOptions lo;
  lo.threads = o.threads;
  std::vector<xrd::LibrarySkip> skipped;
  xrd::Library lib = xrd::build_library(xrd::collect_cifs({cifs}), lo, &skipped);
  for (auto& s : skipped) log << "  skipped " << s.source << ": " << s.reason << "\n";
  const std::string lib_path = (dir / "phases.xrdlib").string();
  xrd::save_library(lib, lib_path);
  log << "  " << lib.size() << " phases -> " << lib_path << "\n";

  // 2. Training data and the compact model.
  log << "[2/5] training the " << o.config << " Net1D on 5 Debye-Waller copies of each phase, each batch\n"
      << "      turned into imitated measurements (broadening, Ka2, strain, shift, noise, background)\n";
  auto set = read_structures({cifs});
  SimulationOptions so;
  so.seed = o.seed;
  Dataset data = simulate_dataset(set.crystals, so);
  TrainOptions to;
  to.config = o.config;
  to.epochs = o.epochs;
  to.seed = o.seed;
  to.threads = o.threads;
  to.progress = o.progress;
  to.augment = "measured";
  to.out = (dir / "model.safetensors").string();
  TrainResult tr = train_model(data, to, log);
  write_learning_curve_svg((dir / "learning_curve.svg").string(), tr.curve);

  // 3. A realistic "measured" pattern of one phase.
  std::string phase = o.phase;
  if (phase.empty()) phase = fs::exists(fs::path(cifs) / "LiFePO4_triphylite.cif") ? "LiFePO4_triphylite" : lib.entries.front().id;
  const fs::path phase_cif = fs::path(cifs) / (phase + ".cif");
  XRDID_CHECK(fs::exists(phase_cif), "demo: no phase '" + phase + "' in " + cifs);
  log << "[3/5] measuring " << phase << ": Cu Ka1+Ka2, 10-80 deg, broadened peaks, zero shift, background, "
      << "counting noise\n";
  xrd::Crystal c = xrd::read_cif(phase_cif.string());
  xrd::ProfileOptions prof;
  prof.kind = xrd::ProfileKind::PseudoVoigt;
  prof.use_caglioti = true;
  prof.U = 0.004;
  prof.V = -0.002;
  prof.W = 0.004;
  prof.size_nm = 80;
  prof.zero_shift = 0.06;
  xrd::Wavelength doublet{1.540598, 1.544426, 0.5};
  xrd::Pattern meas = xrd::simulate_pattern(c, doublet, xrd::uniform_grid(10.0, 80.0, 0.02), prof);
  augment::MeasurementOptions mo;
  mo.seed = o.seed;
  augment::make_measured(meas, mo);
  meas.wavelength = doublet;
  meas.source = (dir / ("measured_" + phase + ".xy")).string();
  io::write_xy(meas.source, meas);

  // 4. Identification by the model, the profile and both.
  log << "[4/5] identifying " << meas.source << "\n";
  Identifier id(lib);
  id.attach_model(to.out);
  std::vector<IdentifyResult> results;
  for (Method m : {Method::Hybrid, Method::Model, Method::Profile}) {
    IdentifyOptions io;
    io.method = m;
    xrd::Pattern q = io::read_pattern(meas.source);
    q.wavelength = doublet;
    results.push_back(id.identify(q, io));
  }
  print_results(results, lib, out);

  // 5. Report.
  const std::string report = (dir / "report.html").string();
  xrd::write_file_atomic(report, results_to_html(results, lib));
  log << "[5/5] report: " << report << " (learning curve: " << (dir / "learning_curve.svg").string() << ")\n";
  const bool ok = !results[0].candidates.empty() && lib.entries[results[0].candidates[0].entry].id == phase;
  out << (ok ? "demo: identified " : "demo: did NOT identify ") << phase << " as the top candidate (hybrid)\n";
  return ok ? 0 : 3;
}

}  // namespace xrdid::app
