// The HTML report's whole-pattern fit picture of one query: the observed pattern with each
// fitted candidate's calculated pattern, background, difference curve and reflection ticks (hkl
// on hover), the refined cells and agreement factors in the caption. Interactive (zoom into a
// region and back, candidates on/off) with uPlot when the build inlined it
// (cmake/ReportWeb.cmake); otherwise the caption only, with the reason.
#pragma once
#include <string>

#include "identify/identify.hpp"

namespace xrdid::identify {

// True when this build draws the interactive pictures; otherwise why not, in words.
bool report_interactive();
std::string report_static_reason();

// <style> and <script> elements for the document's head: uPlot (with its licence) and the
// panel's script; "" when the build has no interactive plots.
std::string rietveld_head();

// The picture for one query as a <figure> (its data as JSON in a <script type="application/json">,
// every text escaped); "" when no candidate was fitted.
std::string rietveld_panel(const IdentifyResult& r, const xrd::Library& lib);

}  // namespace xrdid::identify
