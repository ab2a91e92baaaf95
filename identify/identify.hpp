// Identification: rank the entries of a reference library against a measured pattern, by the
// trained model's embedding (cosine), by full-profile correlation with a zero-shift search, or
// both (a weighted sum of the two scores). Chemistry filters; "no confident match".
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/named_enum.hpp"
#include "nn/exec/net1d_executor.hpp"
#include "nn/model_io.hpp"
#include "nn/net1d.hpp"
#include "compute/compute_device.hpp"
#include "identify/fit.hpp"
#include "xrd/crystal.hpp"
#include "xrd/library.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::identify {

// How candidates are ranked: the model's embedding cosine, the full-profile correlation, their
// weighted sum, or the peak-list figure of merit.
enum class Method { Model, Profile, Hybrid, Peaks };
inline constexpr std::array<std::string_view, 4> kMethodNames{"model", "profile", "hybrid", "peaks"};
inline Method parse_method(std::string_view s) { return parse_named<Method>("method", s, kMethodNames); }
inline std::string_view name(Method m) { return enum_name(m, kMethodNames); }
// Model and Hybrid need a model.
inline bool uses_model(Method m) { return m == Method::Model || m == Method::Hybrid; }

struct IdentifyOptions {
  Method method = Method::Profile;
  int top = 5;
  std::vector<std::string> require;   // every listed element must be present
  std::vector<std::string> exclude;   // none of these may be present
  std::vector<std::string> only;      // no element outside this list
  // Skip phases that are gases or liquids at room temperature (solid O2, CO2, ice …;
  // xrd/phase_state.hpp): false for a sample measured cold enough to hold them.
  bool room_temperature = true;
  // Skip library entries whose CIF probably lacks atoms (xrd::LibraryEntry::incomplete(): their
  // simulated intensities are wrong). Off for a single-phase search (docs/results.md "References
  // that lack atoms"); a mixture's further phases skip them unless
  // MixtureOptions::incomplete_references.
  bool skip_incomplete = false;
  // Search only the library entries whose flag is set here (one per entry; empty: all). The
  // mixture search uses it to search the common phases on their own.
  std::shared_ptr<const std::vector<char>> entries;
  std::string background = "snip";    // snip | beads | none
  double max_shift_deg = 0.3;         // zero-shift search range (profile)
  // Lattice-scale search (profile): |f - 1| <= max_strain in steps of strain_step, 0 = off, and
  // score -= strain_penalty x |f - 1|, a prior for unstrained samples (isostructural neighbours
  // overtake the true phase under a free scale). The prior is chosen by cross-validation over the
  // shared RRUFF/opXRD patterns as measured and under the degradations of real samples, pooled
  // (docs/results.md, "Lattice-scale search").
  double max_strain = 0.012;
  double strain_step = 0.002;
  double strain_penalty = 4.0;
  // First row's probability below this -> no confident match; negative (default): the method's
  // calibrated threshold (identify/confidence.hpp: 0.25, peaks 0.45), chosen by cross-validation
  // nested in that of the calibration as the lowest that answers at most 10 % of the queries whose
  // phase is absent from the library as confident (docs/results.md "Calibrated confidence").
  double min_probability = -1.0;
  double hybrid_weight = 0.1;         // hybrid score = (1 - w) profile + w model (docs/results.md)
  double noise_floor_sigmas = 1.0;    // subtract this many local noise sigmas (denoise/cleanup.hpp)
  // Intensity compression y^e of query and references before the profile cosine, so that weak
  // peaks count; chosen by cross-validation (docs/results.md, "Compression exponent").
  double profile_exponent = 0.4;
  bool one_row_per_phase = true;      // entries of one phase (identify/same_phase.hpp) share a row
  // Verification: the best `verify` rows are each fitted to the measured pattern (identify/fit.hpp)
  // and ranked among themselves by the fit (better_fit: converged first, then the lower BIC).
  int verify = 0;
  // The first row is fitted to the measured pattern before the probabilities are set, where the
  // method's calibration weighs how far its cell moved (identify/confidence.hpp); off for
  // searches whose probabilities nobody reads (a mixture search's own).
  bool fit_first_row = true;
  // For a report's whole-pattern fit picture: the best `fit_rows` rows get a fit too (rows the
  // verification already fitted keep theirs); their order stays as ranked.
  int fit_rows = 0;
};

struct Candidate {
  Candidate() = default;
  Candidate(std::size_t e, double sc, double shift = 0.0, double lattice_scale = 1.0)
      : entry(e), score(sc), shift_deg(shift), scale(lattice_scale) {}
  std::size_t entry = 0;  // index into the library
  double score = 0;       // cosine similarity in [-1, 1] (profile: of y^e-compressed profiles, e = profile_exponent;
                          // peaks: figure of merit in [0, 1])
  double shift_deg = 0;   // best zero shift (profile)
  double scale = 1;       // best lattice scale f (d_sample = f d_reference) (profile)
  std::vector<std::size_t> same_phase;  // further library entries of this phase, best first
  double probability = 0;  // that this row is the sample's phase (calibrated; see identify/confidence.hpp)
  bool at_search_limit = false;  // the zero shift or lattice scale found sits at its search range's edge
  // profile, hybrid: the mean profile cosine with the reference moved 1–5° off its best zero
  // shift (at its lattice scale): how well the two match by chance (confidence.hpp)
  double chance = 0;
  std::shared_ptr<const FitResult> fit;  // the whole-pattern fit, when verified or drawn
  // The first row's whole-pattern fit made for its probability (fit_first_row; confidence.hpp
  // volume_change), kept apart from `fit` so that the row is reported as verified only when asked.
  std::shared_ptr<const FitResult> confidence_fit;
};

struct MixtureResult;  // identify/mixture.hpp

struct IdentifyResult {
  std::string file;
  Method method = Method::Profile;
  std::vector<Candidate> candidates;
  bool confident = false;
  std::string note;        // why there are no candidates / no confident match, if known
  xrd::Pattern processed;  // the query on the library grid after preprocessing (max 1)
  double wavelength = 0;   // Å (Kα1) of the query as identified
  std::string wavelength_from;  // "pattern" (read from the file), "assumed" (the library's), or as set by the caller
  std::shared_ptr<const MixtureResult> mixture;  // the phases of a mixture, when asked (identify_mixture)
  std::string mixture_error;                     // why the mixture search failed, when it did
};

class Identifier {
 public:
  explicit Identifier(const xrd::Library& lib);
  ~Identifier();
  // Where the model computes embeddings (call before attach_model): cpu or cuda (the planned
  // inference-only executor on that device; a clear error without a GPU).
  void set_device(const compute::DeviceOptions& device);
  // Loads a model file and embeds every library pattern (new CIFs need no retraining).
  void attach_model(const std::string& model_path);
  // The same for a model already read (`path` names it in messages).
  void attach_model(const nn::ModelFile& model, const std::string& path);
  bool has_model() const { return net_ != nullptr; }

  // Preprocessing: wavelength -> library wavelength via d-spacing (an unknown wavelength is
  // taken to be the library's), resampling onto the library grid, background removal,
  // clipping at 0, scaling to max 1. Points outside the measured range stay 0 and are masked.
  xrd::Pattern preprocess(const xrd::Pattern& measured, const IdentifyOptions& opt, std::vector<char>* mask) const;
  IdentifyResult identify(const xrd::Pattern& measured, const IdentifyOptions& opt) const;

  const xrd::Library& library() const { return lib_; }
  // The library file the entries' CIFs are found from (xrd::entry_cif_path), for verification.
  void set_library_path(const std::string& path) { library_path_ = path; }
  // The structure of library entry `entry`, read from its CIF once, then cached (thread-safe);
  // throws when the CIF cannot be found or read.
  std::shared_ptr<const xrd::Crystal> crystal(std::size_t entry) const;

 private:
  bool allowed(std::size_t entry, const IdentifyOptions& opt) const;
  void verify(const xrd::Pattern& measured, std::vector<Candidate>& ranked, int k) const;
  void fit_missing(const xrd::Pattern& measured, std::vector<Candidate>& ranked, std::size_t n) const;
  // One entry fitted to the measured pattern; a fit that cannot be made comes back Diverged with why.
  std::shared_ptr<const FitResult> fit_entry(const xrd::Pattern& measured, std::size_t entry) const;
  std::vector<Candidate> one_row_per_phase(const std::vector<Candidate>& ranked, std::size_t rows) const;
  // The compressed query on the reference axis for one lattice scale (profile search).
  struct ProfileVariant {
    double scale = 1;
    std::vector<float> v;          // the compressed query on [dlo, dhi), dense
    std::size_t dlo = 0, dhi = 0;  // first non-zero point, one past the last
    double norm = 0;
    std::size_t lo = 0, hi = 0;    // the measured range on the reference axis [lo, hi)
  };
  ProfileVariant profile_variant(const std::vector<float>& q, const std::vector<char>& mask, double scale,
                                 double exponent) const;
  // The library patterns compressed as y^exponent, max 1 (the default's at construction, others
  // on first use, then cached).
  std::shared_ptr<const std::vector<float>> compressed_references(double exponent) const;
  double shifted_cosine(const ProfileVariant& var, const float* r, std::ptrdiff_t s) const;
  void set_chance_levels(const std::vector<float>& q, const std::vector<char>& mask, double exponent,
                         std::vector<Candidate>& rows) const;
  std::vector<Candidate> rank_profile(const std::vector<float>& q, const std::vector<char>& mask,
                                      const std::vector<std::size_t>& entries, const IdentifyOptions& opt) const;
  std::vector<Candidate> rank_model(const std::vector<float>& q, const std::vector<char>& mask,
                                    const std::vector<std::size_t>& entries) const;
  std::shared_ptr<const std::vector<float>> reference_embeddings(std::size_t lo, std::size_t hi) const;
  std::vector<float> reference_rows(std::size_t lo, std::size_t hi) const;
  // Unit-norm embeddings of n rows of `length` points, on the chosen device.
  std::vector<float> embed(const std::vector<float>& rows, std::size_t n, int length) const;
  std::vector<Candidate> rank_peaks(const std::vector<float>& q, const std::vector<char>& mask,
                                    const std::vector<std::size_t>& entries, const IdentifyOptions& opt) const;

  const xrd::Library& lib_;
  mutable std::mutex compressed_mutex_;
  mutable std::map<double, std::shared_ptr<const std::vector<float>>> ref_compressed_;  // by exponent
  struct Peak {
    double pos;  // grid index (fractional)
    float height;
  };
  std::vector<std::vector<Peak>> ref_peaks_;  // peaks of every library pattern (>= 1 % of max)
  std::vector<char> fluid_;                   // per entry: xrd::fluid_at_room_temperature(formula)
  std::unique_ptr<nn::Net1D> net_;
  compute::DeviceOptions device_;
  std::unique_ptr<nn::CosineHead> exec_head_;  // the executor needs a head; embeddings ignore it
  std::unique_ptr<nn::exec::Backend<float>> backend_;
  std::unique_ptr<nn::exec::Net1DExecutor<float>> exec_;
  mutable std::mutex exec_mutex_;  // the executor's staging buffers serve one caller at a time
  std::vector<float> ref_emb_;   // unit-norm embeddings, entries x dim (full range)
  mutable std::mutex range_mutex_;
  mutable std::map<std::uint64_t, std::shared_ptr<const std::vector<float>>> range_emb_;  // by range (lo << 32 | hi)
  int emb_dim_ = 0;
  bool clean_refs_ = false;      // the model was trained on cleaned inputs (metadata input=cleaned)
  double input_exponent_ = 1.0;  // ... raised to this power (metadata input_exponent)
  std::string library_path_;
  mutable std::mutex crystals_mutex_;
  mutable std::map<std::size_t, std::shared_ptr<const xrd::Crystal>> crystals_;
};

}  // namespace xrdid::identify
