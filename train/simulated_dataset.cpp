// K Debye–Waller copies per structure, rendered as in the seed (docs/method.md §3.4–§3.5).
#include "train/simulated_dataset.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

#include "common/random.hpp"
#include "xrd/render.hpp"

namespace xrdid::train {

std::string class_key(const xrd::Crystal& c, const std::string& identity) {
  if (identity == "formula") return xrd::reduced_formula(c);
  if (identity == "formula+sg") return xrd::reduced_formula(c) + " (" + std::to_string(c.spacegroup_number) + ")";
  if (identity == "cif") return c.source;
  throw std::runtime_error("xrdid: unknown class identity '" + identity + "' (formula+sg, formula, cif)");
}

Dataset simulate_dataset(const std::vector<xrd::Crystal>& crystals, const SimulationOptions& opt) {
  if (opt.copies < 1) throw std::runtime_error("xrdid: copies must be >= 1");
  const std::vector<double> grid = xrd::uniform_grid(opt.two_theta_min, opt.two_theta_max, opt.step);
  Dataset d;
  d.length = static_cast<int>(grid.size());
  d.two_theta_start = grid.front();
  d.two_theta_step = opt.step;
  std::map<std::string, std::int64_t> classes;
  std::vector<std::int64_t> label(crystals.size());
  for (std::size_t i = 0; i < crystals.size(); ++i) {
    auto key = class_key(crystals[i], opt.identity);
    auto it = classes.find(key);
    if (it == classes.end()) {
      it = classes.emplace(key, static_cast<std::int64_t>(d.class_names.size())).first;
      d.class_names.push_back(key);
    }
    label[i] = it->second;
  }
  // Simulate every (copy, structure) in parallel; each draw depends only on (seed, copy, structure).
  const std::size_t n = crystals.size(), total = n * static_cast<std::size_t>(opt.copies);
  std::vector<std::vector<float>> out(total);
  std::vector<std::string> errors(total);
  xrd::ProfileOptions prof;
  prof.sigma = opt.sigma;
#pragma omp parallel for schedule(dynamic)
  for (std::size_t t = 0; t < total; ++t) {
    const std::size_t s = t % n;  // copy t / n of structure s
    try {
      std::mt19937_64 rng(common::hash_bits(opt.seed, t));
      std::uniform_real_distribution<double> ub(opt.b_min, opt.b_max);
      xrd::PowderOptions po;
      for (auto& el : xrd::elements_of(crystals[s])) po.b_by_element[el] = ub(rng);
      xrd::Pattern p = xrd::simulate_pattern(crystals[s], opt.wavelength, grid, prof, po);
      out[t] = std::move(p.intensity);
    } catch (const std::exception& e) {
      errors[t] = crystals[s].source + ": " + e.what();
    }
  }
  for (auto& e : errors)
    if (!e.empty()) throw std::runtime_error("xrdid: simulating " + e);
  // Pass-major order, as the seed stores its copies.
  for (std::size_t t = 0; t < total; ++t) d.add(out[t].data(), label[t % n], static_cast<std::int64_t>(t % n));
  return d;
}

}  // namespace xrdid::train
