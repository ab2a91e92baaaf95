// Identification by model embedding and by full-profile correlation; see identify.hpp.
#include "identify/identify.hpp"
#include "identify/confidence.hpp"
#include "identify/same_phase.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/phase_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <stdexcept>

#include "denoise/cleanup.hpp"
#include "denoise/model_input.hpp"
#include "io/pattern_io.hpp"
#include "nn/functional.hpp"
#include "nn/model_io.hpp"
#include "nn/cpu_path.hpp"
#include "nn/ops/cpu_target.hpp"
#include "nn/ops/norm.hpp"

namespace xrdid::identify {

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// Local maxima of y above `floor` (fraction of the maximum), positions refined by a parabola
// through the three top points.
template <class P>
std::vector<P> find_peaks(const float* y, std::size_t n, double floor) {
  std::vector<P> out;
  if (n < 3) return out;
  const float mx = *std::max_element(y, y + n);
  if (mx <= 0) return out;
  const float thr = static_cast<float>(floor) * mx;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (y[i] < thr || y[i] < y[i - 1] || y[i] <= y[i + 1]) continue;
    const double a = y[i - 1], b = y[i], c = y[i + 1];
    const double den = a - 2 * b + c;
    const double off = den < 0 ? 0.5 * (a - c) / den : 0.0;
    out.push_back({static_cast<double>(i) + off, static_cast<float>(b / mx)});
  }
  return out;
}

}  // namespace

Identifier::Identifier(const xrd::Library& lib) : lib_(lib) {
  XRDID_CHECK(lib.size() > 0 && lib.n_points > 1, "the library is empty");
  compressed_references(IdentifyOptions{}.profile_exponent);
  fluid_.resize(lib.size());
  for (std::size_t i = 0; i < lib.size(); ++i) fluid_[i] = xrd::fluid_at_room_temperature(lib.entries[i].formula);
  ref_peaks_.resize(lib.size());
#pragma omp parallel for schedule(dynamic, 32)
  for (std::size_t i = 0; i < lib.size(); ++i) ref_peaks_[i] = find_peaks<Peak>(lib.pattern(i), lib.n_points, 0.01);
}

Identifier::~Identifier() = default;

std::shared_ptr<const std::vector<float>> Identifier::compressed_references(double exponent) const {
  XRDID_CHECK(std::isfinite(exponent) && exponent > 0 && exponent <= 1,
              "the profile exponent must lie in (0, 1], got " + std::to_string(exponent));
  std::lock_guard<std::mutex> lock(compressed_mutex_);
  auto& slot = ref_compressed_[exponent];
  if (!slot) {
    auto v = std::make_shared<std::vector<float>>(lib_.patterns.size());
    const std::size_t n = lib_.n_points;
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < lib_.size(); ++i) {
      const float* p = lib_.pattern(i);
      const float mx = *std::max_element(p, p + n);
      const float inv = mx > 0 ? 1.f / mx : 0.f;
      for (std::size_t j = 0; j < n; ++j) (*v)[i * n + j] = static_cast<float>(std::pow(std::max(0.f, p[j] * inv), exponent));
    }
    slot = std::move(v);
  }
  return slot;
}

void Identifier::set_device(const compute::DeviceOptions& device) {
  compute::require_device(device);
  device_ = device;
}

void Identifier::attach_model(const std::string& path) {
  attach_model(nn::read_model_file(path), path);  // one read: config, weights, metadata
}

void Identifier::attach_model(const nn::ModelFile& model, const std::string& path) {
  nn::Net1DConfig cfg = nn::model_config(model);
  XRDID_CHECK(static_cast<std::size_t>(cfg.input_length) == lib_.n_points,
              path + ": the model expects patterns of " + std::to_string(cfg.input_length) +
                  " points but the library has " + std::to_string(lib_.n_points));
  nn::Rng rng(0);
  net_ = std::make_unique<nn::Net1D>(cfg, rng);
  nn::load_model(model, *net_, nullptr, nullptr);
  emb_dim_ = cfg.embedding_dim();
  exec_.reset();
  {
    backend_ = compute::make_backend(device_);
    exec_head_ = std::make_unique<nn::CosineHead>(2, emb_dim_, rng);
    nn::exec::ExecutorOptions eo;
    eo.inference_only = true;
    exec_ = std::make_unique<nn::exec::Net1DExecutor<float>>(*backend_, *net_, *exec_head_, eo);
  }
  const auto& meta = model.file.metadata;
  const auto input = meta.find("input");
  clean_refs_ = input != meta.end() && input->second == "cleaned";
  const auto ex = meta.find("input_exponent");
  input_exponent_ = 1.0;
  if (ex != meta.end()) {
    char* end = nullptr;
    input_exponent_ = std::strtod(ex->second.c_str(), &end);
    XRDID_CHECK(end != ex->second.c_str() && *end == '\0' && input_exponent_ > 0 && input_exponent_ <= 1,
                path + ": bad input_exponent '" + ex->second + "' in the model metadata");
  }
  range_emb_.clear();
  ref_emb_ = embed(reference_rows(0, lib_.n_points), lib_.size(), static_cast<int>(lib_.n_points));
}

// Unit-norm embeddings through the inference-only planned executor on the chosen device (the
// same ops as the tape's forward, with buffers reused block to block: less memory, no
// allocation per batch). The executor's staging buffers serve one caller at a time.
std::vector<float> Identifier::embed(const std::vector<float>& rows, std::size_t n, int length) const {
  const int dim = emb_dim_;
  std::vector<float> out(n * static_cast<std::size_t>(dim));
  const std::size_t B = 32;
  std::vector<float> norms(B);
  std::lock_guard<std::mutex> lock(exec_mutex_);
  for (std::size_t b = 0; b < n; b += B) {
    const std::size_t m = std::min(B, n - b);
    float* e = out.data() + b * static_cast<std::size_t>(dim);
    exec_->infer(rows.data() + b * static_cast<std::size_t>(length), static_cast<std::int64_t>(m), e, nullptr);
    nn::ops::l2_normalize_rows_forward<float>(static_cast<std::int64_t>(m), dim, 1e-12, e, e, norms.data());
  }
  return out;
}

// Library patterns as the model's inputs over the grid window [lo, hi): zero outside, maximum 1
// inside, and (for a model trained on cleaned inputs) through the same clean-up as a query.
std::vector<float> Identifier::reference_rows(std::size_t lo, std::size_t hi) const {
  const std::size_t n = lib_.n_points;
  std::vector<float> rows(lib_.patterns.size(), 0.f);
#pragma omp parallel for schedule(dynamic, 16)
  for (std::size_t e = 0; e < lib_.size(); ++e) {
    std::copy(lib_.pattern(e) + lo, lib_.pattern(e) + hi, rows.begin() + static_cast<std::ptrdiff_t>(e * n + lo));
    denoise::model_input_row(rows.data() + e * n, n, lo, hi, lib_.two_theta_step, clean_refs_, input_exponent_);
  }
  return rows;
}

xrd::Pattern Identifier::preprocess(const xrd::Pattern& measured, const IdentifyOptions& opt,
                                    std::vector<char>* mask) const {
  XRDID_CHECK(measured.size() >= 2, measured.source + ": the pattern has fewer than 2 points");
  xrd::Pattern p = measured;
  if (p.wavelength.known() && lib_.wavelength.known() && std::abs(p.wavelength.alpha1 - lib_.wavelength.alpha1) > 1e-4)
    p = io::convert_wavelength(p, p.wavelength.alpha1, lib_.wavelength.alpha1);
  // Background removal, smoothing and noise floor on the measured grid.
  std::vector<double> y(p.intensity.begin(), p.intensity.end());
  denoise::cleanup_for_matching(y, io::median_step(p), {opt.background, opt.noise_floor_sigmas});
  for (std::size_t i = 0; i < y.size(); ++i) p.intensity[i] = static_cast<float>(std::max(0.0, y[i]));
  const std::vector<double> grid = lib_.grid();
  xrd::Pattern q = io::resample(p, grid);
  const float mx = *std::max_element(q.intensity.begin(), q.intensity.end());
  if (mx > 0)  // all zero: nothing rises above the noise (identify() reports no match)
    for (auto& v : q.intensity) v /= mx;
  if (mask) {
    mask->assign(grid.size(), 0);
    const double lo = p.two_theta.front(), hi = p.two_theta.back();
    for (std::size_t i = 0; i < grid.size(); ++i) (*mask)[i] = grid[i] >= lo && grid[i] <= hi;
  }
  q.source = measured.source;
  q.wavelength = lib_.wavelength;
  return q;
}

bool Identifier::allowed(std::size_t e, const IdentifyOptions& opt) const {
  if (opt.room_temperature && fluid_[e]) return false;
  if (opt.skip_incomplete && lib_.entries[e].incomplete()) return false;
  if (opt.entries && (e >= opt.entries->size() || !(*opt.entries)[e])) return false;
  const auto& el = lib_.entries[e].elements;
  for (auto& r : opt.require)
    if (!has(el, r)) return false;
  for (auto& x : opt.exclude)
    if (has(el, x)) return false;
  if (!opt.only.empty())
    for (auto& x : el)
      if (!has(opt.only, x)) return false;
  return true;
}

namespace {
#define XRDID_KERNEL_FILE "identify/profile_dot.inc"
#include "nn/ops/cpu_paths.inc"

// sum_i q[i] r[i] on the CPU path of the network's kernels (nn/cpu_path.hpp).
float profile_dot_on(nn::CpuPath path, const float* q, const float* r, std::ptrdiff_t n) {
  XRDID_CPU_DISPATCH(path, profile_dot, (q, r, n));
}

// dots[g] = sum_i q[i] r[g][i], g < 8, on that path.
void profile_dot8_on(nn::CpuPath path, const float* q, const float* const* r, std::ptrdiff_t n, float* dots) {
  XRDID_CPU_DISPATCH(path, profile_dot8, (q, r, n, dots));
}
}  // namespace

// The query re-expressed for lattice scale f (every d-spacing of the sample = f x the
// reference's, as for strain or thermal expansion): on the reference's 2θ axis, sinθ_measured =
// sinθ_ref / f, by linear interpolation; then compressed.
Identifier::ProfileVariant Identifier::profile_variant(const std::vector<float>& q, const std::vector<char>& mask,
                                                       double scale, double exponent) const {
  const std::size_t n = lib_.n_points;
  const std::vector<double> grid = lib_.grid();
  ProfileVariant var;
  var.scale = scale;
  std::vector<float> qv(n, 0.f);
  std::vector<char> mv(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    double t = grid[i];
    if (scale != 1.0) {
      const double st = std::sin(grid[i] * M_PI / 360.0) / scale;
      if (st >= 1.0) continue;
      t = std::asin(st) * 360.0 / M_PI;
    }
    const double x = (t - lib_.two_theta_start) / lib_.two_theta_step;
    if (x < 0 || x > static_cast<double>(n - 1)) continue;
    const std::size_t j = static_cast<std::size_t>(x);
    const std::size_t j1 = std::min(j + 1, n - 1);
    if (!mask[j] || !mask[j1]) continue;
    const double w = x - static_cast<double>(j);
    qv[i] = static_cast<float>((1 - w) * q[j] + w * q[j1]);
    mv[i] = 1;
  }
  var.lo = var.dlo = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (!mv[i]) continue;
    var.lo = std::min(var.lo, i);
    var.hi = i + 1;
    qv[i] = static_cast<float>(std::pow(std::max(0.f, qv[i]), exponent));
    if (qv[i] > 0.f) {
      var.dlo = std::min(var.dlo, i);
      var.dhi = i + 1;
      var.norm += static_cast<double>(qv[i]) * qv[i];
    }
  }
  if (var.dhi > var.dlo) var.v.assign(qv.begin() + static_cast<std::ptrdiff_t>(var.dlo), qv.begin() + static_cast<std::ptrdiff_t>(var.dhi));
  var.norm = std::sqrt(var.norm);
  return var;
}

// Cosine of the query variant with the reference moved by s grid points (r'[i] = r[i - s]), over
// the measured window; both norms over that window.
double Identifier::shifted_cosine(const ProfileVariant& var, const float* r, std::ptrdiff_t s) const {
  const auto n = static_cast<std::ptrdiff_t>(lib_.n_points);
  const std::ptrdiff_t a = std::max<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(var.lo), s);
  const std::ptrdiff_t b = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(var.hi), n + s);
  const std::ptrdiff_t da = std::max<std::ptrdiff_t>(a, static_cast<std::ptrdiff_t>(var.dlo));
  const std::ptrdiff_t db = std::min<std::ptrdiff_t>(b, static_cast<std::ptrdiff_t>(var.dhi));
  double dot = 0, rr = 0;
  for (std::ptrdiff_t i = da; i < db; ++i) dot += static_cast<double>(var.v[static_cast<std::size_t>(i - static_cast<std::ptrdiff_t>(var.dlo))]) * r[i - s];
  for (std::ptrdiff_t i = a; i < b; ++i) rr += static_cast<double>(r[i - s]) * r[i - s];
  return rr > 1e-12 && var.norm > 0 ? dot / (std::sqrt(rr) * var.norm) : 0.0;
}

// The mean cosine of a row's reference with the query at its lattice scale, moved 1–5° off its
// alignment either way in steps of 0.1°: how well the two match by chance.
void Identifier::set_chance_levels(const std::vector<float>& q, const std::vector<char>& mask, double exponent,
                                   std::vector<Candidate>& rows) const {
  const auto refs = compressed_references(exponent);
  const double step = lib_.two_theta_step;
  const int s_lo = static_cast<int>(std::lround(1.0 / step)), s_hi = static_cast<int>(std::lround(5.0 / step));
  const int s_step = std::max(1, static_cast<int>(std::lround(0.1 / step)));
  for (Candidate& c : rows) {
    const ProfileVariant var = profile_variant(q, mask, c.scale, exponent);
    const float* r = refs->data() + c.entry * lib_.n_points;
    const int s0 = static_cast<int>(std::lround(c.shift_deg / step));
    double sum = 0;
    int cnt = 0;
    for (int sign : {-1, 1})
      for (int m = s_lo; m <= s_hi; m += s_step, ++cnt) sum += shifted_cosine(var, r, s0 + sign * m);
    c.chance = sum / cnt;
  }
}

std::vector<Candidate> Identifier::rank_profile(const std::vector<float>& q, const std::vector<char>& mask,
                                                const std::vector<std::size_t>& entries,
                                                const IdentifyOptions& opt) const {
  const std::size_t n = lib_.n_points;
  std::vector<ProfileVariant> variants;
  const int nscale = opt.max_strain > 0 && opt.strain_step > 0
                         ? static_cast<int>(std::floor(opt.max_strain / opt.strain_step + 1e-9)) : 0;
  for (int k = -nscale; k <= nscale; ++k) {
    ProfileVariant var = profile_variant(q, mask, 1.0 + k * opt.strain_step, opt.profile_exponent);
    if (var.norm > 0 && var.hi > var.lo) variants.push_back(std::move(var));
  }
  const int S = static_cast<int>(std::lround(opt.max_shift_deg / lib_.two_theta_step));
  const nn::CpuPath path = nn::cpu_path();
  const auto refs = compressed_references(opt.profile_exponent);
  // The coarse zero shifts: -S, -S + 2, ..., and S itself.
  std::vector<int> coarse;
  for (int s = -S;; s = std::min(s + 2, S)) {
    coarse.push_back(s);
    if (s == S) break;
  }
  constexpr std::ptrdiff_t kMinSpan8 = 64;  // shorter common spans: one shift at a time
  const auto nn = static_cast<std::ptrdiff_t>(n);
  std::vector<Candidate> out(entries.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const float* r = refs->data() + entries[k] * n;
    Candidate best;
    best.entry = entries[k];
    best.score = -2.0;
    // Prefix sums of r², once per entry: the reference's norm over the measured window [lo, hi)
    // moved by s points is cum[hi - s] - cum[lo - s] (both ends clamped to the grid).
    std::vector<double> cum(n + 1);
    cum[0] = 0.0;
    for (std::size_t i = 0; i < n; ++i) cum[i + 1] = cum[i] + static_cast<double>(r[i]) * r[i];
    const auto cum_at = [&](std::ptrdiff_t j) {
      return cum[static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(j, 0, nn))];
    };
    for (const ProfileVariant& var : variants) {
      // Reference moved by s points: r'[i] = r[i - s].
      const auto norm_at = [&](int s) {
        return cum_at(static_cast<std::ptrdiff_t>(var.hi) - s) - cum_at(static_cast<std::ptrdiff_t>(var.lo) - s);
      };
      // dot = Σ_i q[i] r[i - s] over the query's non-zero span [dlo, dhi), i - s inside the grid;
      // dense float loops the compiler vectorises (faster than skipping zeros).
      const auto dlo = static_cast<std::ptrdiff_t>(var.dlo), dhi = static_cast<std::ptrdiff_t>(var.dhi);
      const auto dot_over = [&](std::ptrdiff_t a, std::ptrdiff_t b, int s) {
        return b > a ? profile_dot_on(path, var.v.data() + (a - dlo), r + (a - s), b - a) : 0.f;
      };
      const auto score_of = [&](float dotf, int s) {
        const double dot = dotf;
        const double norm = norm_at(s);
        // A prior against strain: most samples match their reference at f = 1, and a free
        // lattice scale lets isostructural neighbours (Au/Ag, garnets) overtake the true phase.
        return (norm > 1e-12 ? dot / (std::sqrt(norm) * var.norm) : 0.0) - opt.strain_penalty * std::abs(var.scale - 1.0);
      };
      const auto score_at = [&](int s) {
        return score_of(dot_over(std::max<std::ptrdiff_t>(dlo, s), std::min<std::ptrdiff_t>(dhi, nn + s), s), s);
      };
      // Shifts coarse-to-fine: every second point (a peak spans several points), then the two
      // neighbours of the best coarse shift. The coarse shifts eight at a time over the span
      // they all cover, [A, B), each one's ends beyond it one by one.
      const std::ptrdiff_t A = std::max<std::ptrdiff_t>(dlo, coarse.back()), B = std::min<std::ptrdiff_t>(dhi, nn + coarse.front());
      const bool eight = B - A >= kMinSpan8;
      int best_s = -S;
      double best_sc = -3.0;
      for (std::size_t g0 = 0; g0 < coarse.size(); g0 += 8) {
        float dots[8];
        const std::size_t ng = std::min<std::size_t>(8, coarse.size() - g0);
        if (eight) {
          const float* rs[8];
          for (std::size_t g = 0; g < 8; ++g) rs[g] = r + (A - coarse[g0 + std::min(g, ng - 1)]);
          profile_dot8_on(path, var.v.data() + (A - dlo), rs, B - A, dots);
        }
        for (std::size_t g = 0; g < ng; ++g) {
          const int s = coarse[g0 + g];
          const double sc = eight
                                ? score_of(dots[g] + dot_over(std::max<std::ptrdiff_t>(dlo, s), A, s) +
                                               dot_over(B, std::min<std::ptrdiff_t>(dhi, nn + s), s), s)
                                : score_at(s);
          if (sc > best_sc) best_sc = sc, best_s = s;
        }
      }
      for (int s : {best_s - 1, best_s + 1})
        if (s >= -S && s <= S) {
          const double sc = score_at(s);
          if (sc > best_sc) best_sc = sc, best_s = s;
        }
      if (best_sc > best.score) {
        best.score = best_sc;
        best.shift_deg = best_s * lib_.two_theta_step;
        best.scale = var.scale;
      }
    }
    out[k] = best;
  }
  return out;
}

// Peak-list figure of merit, in the spirit of search-match programs: the query's peaks (local
// maxima >= 3 % of max) against each reference's peaks (>= 1 %, inside the measured range).
// A reference peak is matched when a query peak lies within the window (0.1° here); for each
// zero shift of the search, FoM = (matched reference intensity / all reference intensity) x
// (matched query intensity / all query intensity) x (1 - mean |Δ2θ| / window / 2).
std::vector<Candidate> Identifier::rank_peaks(const std::vector<float>& q, const std::vector<char>& mask,
                                              const std::vector<std::size_t>& entries,
                                              const IdentifyOptions& opt) const {
  const auto qp = find_peaks<Peak>(q.data(), q.size(), 0.03);
  double q_total = 0;
  for (auto& p : qp) q_total += p.height;
  const double step = lib_.two_theta_step;
  const double window = 0.1 / step;  // grid points
  const int S = static_cast<int>(std::lround(opt.max_shift_deg / step));
  const int shift_step = std::max(1, static_cast<int>(std::lround(0.02 / step)));
  std::vector<Candidate> out(entries.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::size_t k = 0; k < entries.size(); ++k) {
    Candidate best;
    best.entry = entries[k];
    best.score = 0.0;
    const auto& rp = ref_peaks_[entries[k]];
    std::vector<char> used(qp.size());
    for (int s = -S; s <= S; s += shift_step) {
      double r_total = 0, r_matched = 0, err = 0;
      int n_matched = 0;
      std::fill(used.begin(), used.end(), 0);
      double q_matched = 0;
      for (auto& p : rp) {
        const double pos = p.pos + s;
        const auto idx = static_cast<std::ptrdiff_t>(std::lround(pos));
        if (idx < 0 || idx >= static_cast<std::ptrdiff_t>(mask.size()) || !mask[static_cast<std::size_t>(idx)]) continue;
        r_total += p.height;
        // nearest query peak (qp is sorted by position)
        auto it = std::lower_bound(qp.begin(), qp.end(), pos, [](const Peak& a, double x) { return a.pos < x; });
        double bd = window + 1;
        std::size_t bi = 0;
        for (auto jt : {it, it == qp.begin() ? it : it - 1}) {
          if (jt == qp.end()) continue;
          const double d = std::abs(jt->pos - pos);
          if (d < bd) {
            bd = d;
            bi = static_cast<std::size_t>(jt - qp.begin());
          }
        }
        if (bd <= window) {
          r_matched += p.height;
          err += bd;
          ++n_matched;
          if (!used[bi]) {
            used[bi] = 1;
            q_matched += qp[bi].height;
          }
        }
      }
      if (r_total <= 0 || q_total <= 0 || n_matched == 0) continue;
      const double fom = (r_matched / r_total) * (q_matched / q_total) * (1.0 - 0.5 * err / n_matched / window);
      if (fom > best.score) best = {entries[k], fom, s * step, 1.0};
    }
    out[k] = best;
  }
  return out;
}

// Library embeddings as the model would see the references measured over [lo, hi) only
// (exactly how preprocess() presents a query with a partial range). Computed once per distinct
// range and kept (a folder of scans usually shares a few ranges); the cache is bounded, and the
// shared pointer keeps an entry alive for its caller when it is dropped.
std::shared_ptr<const std::vector<float>> Identifier::reference_embeddings(std::size_t lo, std::size_t hi) const {
  constexpr std::size_t kMaxCachedRanges = 16;
  const std::size_t n = lib_.n_points;
  std::lock_guard<std::mutex> lock(range_mutex_);
  const std::uint64_t key = (static_cast<std::uint64_t>(lo) << 32) | hi;
  auto it = range_emb_.find(key);
  if (it != range_emb_.end()) return it->second;
  if (range_emb_.size() >= kMaxCachedRanges) range_emb_.clear();
  auto emb = std::make_shared<const std::vector<float>>(embed(reference_rows(lo, hi), lib_.size(), static_cast<int>(n)));
  range_emb_.emplace(key, emb);
  return emb;
}

std::vector<Candidate> Identifier::rank_model(const std::vector<float>& q, const std::vector<char>& mask,
                                              const std::vector<std::size_t>& entries) const {
  XRDID_CHECK(net_, "method 'model' needs a model (--model FILE)");
  std::vector<float> qc(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) qc[i] = static_cast<float>(denoise::compress_input(q[i], input_exponent_));
  auto e = embed(qc, 1, static_cast<int>(lib_.n_points));
  std::size_t lo = 0, hi = 0;
  while (lo < mask.size() && !mask[lo]) ++lo;
  for (std::size_t i = lo; i < mask.size(); ++i)
    if (mask[i]) hi = i + 1;
  std::shared_ptr<const std::vector<float>> partial;
  if (hi > lo && !(lo == 0 && hi >= lib_.n_points)) partial = reference_embeddings(lo, hi);
  const std::vector<float>& ref = partial ? *partial : ref_emb_;
  std::vector<Candidate> out;
  for (auto k : entries) {
    const float* r = ref.data() + k * static_cast<std::size_t>(emb_dim_);
    double dot = 0;
    for (int i = 0; i < emb_dim_; ++i) dot += static_cast<double>(r[i]) * e[static_cast<std::size_t>(i)];
    out.push_back({k, dot, 0.0});
  }
  return out;
}

std::shared_ptr<const xrd::Crystal> Identifier::crystal(std::size_t entry) const {
  {
    std::lock_guard<std::mutex> lock(crystals_mutex_);
    auto it = crystals_.find(entry);
    if (it != crystals_.end()) return it->second;
  }
  auto c = std::make_shared<const xrd::Crystal>(xrd::read_cif(xrd::entry_cif_path(lib_, entry, library_path_)));
  std::lock_guard<std::mutex> lock(crystals_mutex_);
  return crystals_.emplace(entry, std::move(c)).first->second;
}

// Fits each of the best n candidates that has no fit yet; a candidate whose CIF cannot be read
// or whose fit fails keeps a Diverged fit with the reason.
void Identifier::fit_missing(const xrd::Pattern& measured, std::vector<Candidate>& ranked, std::size_t n) const {
  n = std::min(ranked.size(), n);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t i = 0; i < n; ++i) {
    if (ranked[i].fit) continue;
    ranked[i].fit = ranked[i].confidence_fit ? ranked[i].confidence_fit : fit_entry(measured, ranked[i].entry);
  }
}

std::shared_ptr<const FitResult> Identifier::fit_entry(const xrd::Pattern& measured, std::size_t entry) const {
  auto fit = std::make_shared<FitResult>();
  try {
    *fit = fit_phase(measured, *crystal(entry));
  } catch (const std::exception& e) {
    fit->status = FitStatus::Diverged;
    fit->message = e.what();
  }
  return fit;
}

// Fits each of the best k candidates to the measured pattern and orders them by the fit.
void Identifier::verify(const xrd::Pattern& measured, std::vector<Candidate>& ranked, int k) const {
  const std::size_t n = std::min(ranked.size(), static_cast<std::size_t>(k));
  fit_missing(measured, ranked, n);
  std::stable_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n),
                   [](const Candidate& a, const Candidate& b) { return better_fit(*a.fit, *b.fit); });
}

// The ranked candidates with every phase in one row (its best entry), at most `rows` rows.
std::vector<Candidate> Identifier::one_row_per_phase(const std::vector<Candidate>& ranked, std::size_t rows) const {
  std::vector<std::size_t> entries(ranked.size());
  for (std::size_t i = 0; i < ranked.size(); ++i) entries[i] = ranked[i].entry;
  std::vector<Candidate> out;
  for (const PhaseRow& row : rows_by_phase(lib_, entries, rows)) {
    out.push_back(ranked[row.position]);
    for (std::size_t pos : row.also) out.back().same_phase.push_back(ranked[pos].entry);
  }
  return out;
}

IdentifyResult Identifier::identify(const xrd::Pattern& measured, const IdentifyOptions& opt) const {
  XRDID_CHECK(opt.top >= 1, "--top must be >= 1");
  IdentifyResult res;
  res.file = measured.source;
  res.method = opt.method;
  std::vector<char> mask;
  res.processed = preprocess(measured, opt, &mask);
  res.wavelength = measured.wavelength.known() ? measured.wavelength.alpha1 : lib_.wavelength.alpha1;
  res.wavelength_from = measured.wavelength.known() ? "pattern" : "assumed";
  if (*std::max_element(res.processed.intensity.begin(), res.processed.intensity.end()) <= 0.f) {
    res.note = "no signal above the noise after background removal";
    return res;
  }
  std::vector<std::size_t> entries;
  for (std::size_t i = 0; i < lib_.size(); ++i)
    if (allowed(i, opt)) entries.push_back(i);
  if (entries.empty()) res.note = "no library entry passes the chemistry filters";
  std::vector<Candidate> c;
  if (!entries.empty()) {
    if (opt.method == Method::Profile) {
      c = rank_profile(res.processed.intensity, mask, entries, opt);
    } else if (opt.method == Method::Peaks) {
      c = rank_peaks(res.processed.intensity, mask, entries, opt);
    } else {
      // The model sees the query exactly as training patterns: zero outside the measured range.
      c = rank_model(res.processed.intensity, mask, entries);
      if (opt.method == Method::Hybrid) {
        // Both scores for every entry, combined linearly: the model's cosine of embeddings and
        // the profile cosine (its best shift/scale kept for the report).
        const auto pr = rank_profile(res.processed.intensity, mask, entries, opt);
        for (std::size_t i = 0; i < c.size(); ++i) {
          const double model_score = c[i].score;
          c[i] = pr[i];
          c[i].score = (1.0 - opt.hybrid_weight) * pr[i].score + opt.hybrid_weight * model_score;
        }
      }
    }
  }
  std::stable_sort(c.begin(), c.end(), [](auto& a, auto& b) { return a.score > b.score; });
  // Two rows at least, so that the first row's margin over the next phase is known.
  const auto rows = static_cast<std::size_t>(std::max(opt.top, 2));
  if (opt.one_row_per_phase) c = one_row_per_phase(c, rows);
  if (c.size() > rows) c.resize(rows);
  if (opt.method == Method::Profile || opt.method == Method::Hybrid) set_chance_levels(res.processed.intensity, mask, opt.profile_exponent, c);
  if (opt.fit_first_row && calibration(opt.method).w_volume != 0.0 && !c.empty())
    c.front().confidence_fit = fit_entry(measured, c.front().entry);
  assign_probabilities(c, opt.method);
  if (c.size() > static_cast<std::size_t>(opt.top)) c.resize(static_cast<std::size_t>(opt.top));
  if (opt.verify > 0) verify(measured, c, opt.verify);
  if (opt.fit_rows > 0) fit_missing(measured, c, static_cast<std::size_t>(opt.fit_rows));
  if (opt.method == Method::Profile || opt.method == Method::Hybrid)
    for (auto& k : c)
      k.at_search_limit = (opt.max_shift_deg > 0 && std::abs(k.shift_deg) >= opt.max_shift_deg - 1e-9) ||
                          (opt.max_strain > 0 && std::abs(k.scale - 1.0) >= opt.max_strain - 1e-9);
  res.candidates = c;
  res.confident = !c.empty() && c.front().probability >= confidence_threshold(opt);
  return res;
}

}  // namespace xrdid::identify
