// What the C API's opaque handles hold (include/xrdid/xrdid.h).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <xrdid/xrdid.h>

#include "identify/identify.hpp"
#include "nn/model_io.hpp"
#include "xrd/library.hpp"

// A library and the identifiers made over it: one without a model (made at open) and one per
// model used with it (made at the first identify with that model, kept until close).
struct xrdid_library {
  xrdid::xrd::Library library;
  std::string path;
  // The common phases of the mixture search (identify::MixtureOptions::common): the bundled
  // library's formula and space-group keys when this is another library and the bundled one is
  // found; empty otherwise.
  std::set<std::string> common;
  std::unique_ptr<xrdid::identify::Identifier> plain;
  mutable std::mutex models_mutex;
  mutable std::map<std::uint64_t, std::unique_ptr<xrdid::identify::Identifier>> with_model;  // by model serial

  // The identifier for `model` (null: the plain one); thread-safe.
  const xrdid::identify::Identifier& identifier(const struct xrdid_model* model) const;
};

// A model file, read whole at open. The serial tells models apart even when a closed model's
// address is reused.
struct xrdid_model {
  xrdid::nn::ModelFile file;
  std::uint64_t serial = 0;
};

struct xrdid_pattern {
  std::vector<double> two_theta, intensity;
  double wavelength = 0, alpha2 = 0, ratio21 = 0.5;
};
