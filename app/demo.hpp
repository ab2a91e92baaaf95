// `xrdid demo`: the whole product on the bundled phases, end to end, in a few minutes on 2 CPU
// cores: library -> training (compact Net1D) -> a synthetic "measured" pattern -> identification
// -> HTML report.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>

namespace xrdid::app {

struct DemoOptions {
  std::string cifs;             // folder of CIFs; "" = the bundled data/phases
  std::string out = "demo-out"; // output folder
  std::string phase;            // which phase to "measure" (file stem); "" = LiFePO4 if present
  int epochs = 40;
  std::string config = "compact";
  std::uint64_t seed = 1;
  int threads = 0;
  bool progress = true;
};


// Returns 0 when the measured phase was identified as the top candidate by the hybrid method.
int run_demo(const DemoOptions& opt, std::ostream& out, std::ostream& log);

}  // namespace xrdid::app
