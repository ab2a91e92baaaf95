// Identification results as text, as JSON ({"queries": [...]}) and as a self-contained HTML
// report (per query: the candidates' whole-pattern fit picture, identify/rietveld_panel.hpp, and
// inline SVG plots of the processed pattern with each candidate's simulated pattern).
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "identify/identify.hpp"

namespace xrdid::identify {

// An entry's CIF as reports name it: its id + ".cif", relative to the library's CIF folder (never
// an absolute path of the machine that built the library).
inline std::string entry_source(const xrd::LibraryEntry& e) { return e.id + ".cif"; }

nlohmann::json results_to_json(const std::vector<IdentifyResult>& results, const xrd::Library& lib);
void print_results(const std::vector<IdentifyResult>& results, const xrd::Library& lib, std::ostream& out);
std::string results_to_html(const std::vector<IdentifyResult>& results, const xrd::Library& lib);

}  // namespace xrdid::identify
