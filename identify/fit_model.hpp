// The whole-pattern fit's machinery, shared by the single-phase fit (fit.cpp) and the joint fit
// of several phases (mixture_fit.cpp): the reciprocal metric and the cell constrained by the
// crystal system, the profile model of one phase with its analytic Jacobian, bounded
// Levenberg–Marquardt over any least-squares model, the coarse start search and the set-up of a
// fit from a pattern and a crystal. See fit.hpp for the model's formulas and references.
// Internal to identify/.
#pragma once
#include <Eigen/Dense>

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "identify/fit.hpp"
#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::identify::fit_detail {

constexpr double kDeg = M_PI / 180.0;
const double kGaussNorm = 2.0 * std::sqrt(std::log(2.0) / M_PI);  // G = kGaussNorm/H · exp(−kGaussK u²)
const double kGaussK = 4.0 * std::log(2.0);
constexpr double kLorentzNorm = 2.0 / M_PI;  // L = kLorentzNorm/H / (1 + 4u²)
constexpr double kMinFwhm = 1e-3;            // degrees; floor of the Caglioti FWHM

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXd;

// Fixed slots of the parameter vector; the cell parameters follow, then the background.
enum Slot { kScale = 0, kZero, kDisp, kU, kV, kW, kEta, kB, kPoR, kCell0 };
inline const char* kSlotName[] = {"scale", "zero", "displacement", "U", "V", "W", "eta", "B", "po_r"};

// ---- crystal system and reciprocal metric ------------------------------------------------
// The metric as six components g = (g11, g22, g33, g23, g13, g12) of G*, so that
// Q = 1/d² = g11 h² + g22 k² + g33 l² + 2 g23 kl + 2 g13 hl + 2 g12 hk.
using Metric = std::array<double, 6>;
Metric metric_of_cell(const std::array<double, 6>& cell);
std::array<double, 6> cell_of_metric(const Metric& g);

// The free directions of the metric allowed by a crystal system (columns of 6-vectors).
struct CellModel {
  std::string system;
  std::vector<Metric> basis;
};

// The crystal system from the space-group number, checked against the cell (a non-standard
// setting that the system's constraints do not reproduce falls back to the cell's geometry,
// then to triclinic).
CellModel choose_cell_model(const xrd::Crystal& cr, const std::array<double, 6>& cell);
// Least-squares coordinates of g in the basis, and whether the basis reproduces g.
std::vector<double> project(const CellModel& m, const Metric& g, bool* exact);

// A weighted least-squares model: observations y, weights w, and the model values (with their
// Jacobian, and the background alone when asked) at parameters p.
// Gaussian priors p_j ~ N(mean, sigma²) are pseudo-observations: the least squares minimise
// χ² + Σ ((p_j − mean) / sigma)², and the agreement indices (Rwp, GoF, BIC) keep the data's χ².
struct Prior {
  int index = 0;
  double mean = 0.0, sigma = 1.0;
};
// Adds the priors of the parameters in `columns` (all when null) to the normal equations
// A = JᵀWJ (their precision 1/sigma²) and, when g is given, to g = JᵀW(y − y_c) at p.
void add_priors(const std::vector<Prior>& priors, const Vec& p, Eigen::MatrixXd& A, Vec* g,
                const std::vector<int>* columns = nullptr);
struct LsqModel {
  Vec y, w;
  std::vector<Prior> priors;
  virtual ~LsqModel() = default;
  virtual void eval(const Vec& p, Vec& yc, RowMatrix* J, Vec* bg = nullptr) const = 0;
  double chi2(const Vec& yc) const { return (w.array() * (y - yc).array().square()).sum(); }
  double prior_chi2(const Vec& p) const {
    double s = 0.0;
    for (const Prior& q : priors) {
      const double z = (p[q.index] - q.mean) / q.sigma;
      s += z * z;
    }
    return s;
  }
  // What the least squares minimise: the data's χ² at yc = eval(p) plus the priors'.
  double objective(const Vec& p, const Vec& yc) const { return chi2(yc) + prior_chi2(p); }
};

// ---- the profile model -------------------------------------------------------------------
struct Reflection {
  std::array<double, 6> q{};  // ∂Q/∂(cell parameter k)
  double intensity = 0.0;     // stick intensity share (max stick = 100)
  std::array<int, 3> hkl{};
  int multiplicity = 0;
  double half_window = 12.0;  // evaluated on ±half_window·FWHM (narrower for weak reflections)
  std::size_t po_begin = 0, po_end = 0;  // this reflection's cos²α entries in Model::po_c2
  std::vector<std::array<int, 3>> all_hkl;
};

// One phase on the fit range: its reflections, the Chebyshev background basis T and the
// radiation. intensity_unit: the stick intensities' raw value (|F|² × multiplicity × Lorentz–
// polarisation, electrons², as xrd::compute_sticks without scaling) per unit of the stored ones
// (the strongest stick stored as 100).
struct Model : LsqModel {
  std::vector<double> x;  // 2θ
  Eigen::MatrixXd T;  // Chebyshev basis, N × nb
  std::vector<Reflection> refl;
  std::vector<double> po_c2;
  bool use_po = false;
  double lambda[2] = {0, 0}, ratio[2] = {1, 0};
  int n_lines = 1, nc = 0, nb = 0, np = 0;
  double intensity_unit = 1.0;
  // The step of x when x is uniform (within 1e-9 of a step at every point; 0 otherwise): the
  // Gaussians are then evaluated by a recurrence instead of one exp per point.
  double step = 0.0;
  int bg0() const { return kCell0 + nc; }
  // Sets `step` from x.
  void detect_uniform_step();

  // yc = model at p; with J, its N × np Jacobian (row-major); with bg, the background alone.
  void eval(const Vec& p, Vec& yc, RowMatrix* J, Vec* bg = nullptr) const override;
  // Adds the peaks at p to yc (N) and, with J, their derivatives to J's first bg0() columns (J
  // has N rows and at least bg0() columns); returns the rows [first, last) they reach.
  std::pair<Eigen::Index, Eigen::Index> add_peaks(const Vec& p, Vec& yc, RowMatrix* J) const;
};

struct Bounds {
  Vec lo, hi;
};

// JᵀWJ and JᵀW r in one pass over the rows, skipping the zeros of each row; with `columns`, only
// their entries (the others stay 0).
void normal_equations(const RowMatrix& J, const Vec& w, const Vec* r, Eigen::MatrixXd& A, Vec& g,
                      const std::vector<int>* columns = nullptr);

struct LmOutcome {
  int iterations = 0;
  bool converged = false;
  bool diverged = false;
  std::string message;
};

// Marquardt's form (JᵀWJ + λ diag(JᵀWJ)) δ = JᵀW(y − y_c) with box bounds (see fit_model.cpp).
LmOutcome levenberg_marquardt(const LsqModel& m, Vec& p, const std::vector<int>& free, const Bounds& b, int max_it,
                              double tol);

// Agreement of a fit (Hill & Madsen / Toby 2006): χ², Rwp, Rexp, GoF and BIC = χ² + P ln N for
// the model values yc with P refined parameters.
struct Agreement {
  double chi2 = 0, rwp = 0, rexp = 0, gof = 0, bic = 0;
  int n_points = 0, n_parameters = 0;
};
Agreement agreement(const LsqModel& m, const Vec& yc, int n_parameters);
// Copies an agreement into a fit result's fields of the same names (FitResult, MixtureFit).
template <class Result>
void store_agreement(const Agreement& a, Result& r) {
  r.n_points = a.n_points;
  r.n_parameters = a.n_parameters;
  r.chi2 = a.chi2;
  r.rwp = a.rwp;
  r.rexp = a.rexp;
  r.gof = a.gof;
  r.bic = a.bic;
}

// The largest difference between m's analytic Jacobian at p and central finite differences,
// relative to each column's largest entry; NaN when any value is not finite.
double jacobian_check(const LsqModel& m, const Vec& p);

// Covariance of the parameters (np × np, zero outside): the inverse normal matrix JᵀWJ over the
// `free` parameters not on a bound (scaled pseudo-inverse), times `gof`; `priors` add their
// precision 1/sigma² to JᵀWJ.
Eigen::MatrixXd parameter_covariance(const RowMatrix& J, const Vec& w, const Vec& p, const std::vector<int>& free,
                                     const Bounds& b, double gof, const std::vector<Prior>& priors = {});
// Whether p[j] sits on its bound (to 1e-9 relative).
bool on_bound(const Vec& p, const Bounds& b, int j);

// The cell (a, b, c, α, β, γ) of the cell-model coordinates pc, and its ESDs propagated
// numerically from their covariance C (nc × nc).
void cell_with_esd(const CellModel& cm, const Vec& pc, const Eigen::MatrixXd& C, std::array<double, 6>& cell,
                   std::array<double, 6>& esd, Eigen::MatrixXd* jacobian = nullptr);

// Grid search over the zero shift and an isotropic strain: (zero, strain) to start from. With
// `shift` (zero shift, sample displacement) known from other phases, the zero shift is searched
// only near it.
std::pair<double, double> coarse_search(const Model& m, const Vec& p, const FitOptions& opt,
                                        const std::optional<std::pair<double, double>>& shift = std::nullopt);
// Linear weighted least squares for the scale and the background at fixed other parameters.
void linear_start(const Model& m, Vec& p);
// March–Dollase along `dir` (a reciprocal-lattice vector), with the start metric.
void set_po_direction(Model& m, const Metric& g0, const std::array<int, 3>& dir);
// The March–Dollase factor of one reflection at the model's direction, P = ⟨(r² cos²α + sin²α / r)^(−3/2)⟩
// over the equivalents merged into it (1 when it has none), and with dP_dr its derivative in r.
double po_factor(const Model& m, const Reflection& rf, double r, double* dP_dr = nullptr);
// The low-index directions March–Dollase is tried along (reciprocal-lattice vectors).
inline constexpr std::array<std::array<int, 3>, 7> kPoDirections{
    {{0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}}};
// The directions March–Dollase is tried along: kPoDirections, then the hkl of m's `strong`
// strongest reflections; of those that give m's reflections the same factors (directions
// equivalent by the cell's symmetry), the first. Leaves m's direction set to the last one
// examined.
std::vector<std::array<int, 3>> distinct_po_directions(Model& m, const Metric& g0, int strong = 0);

// Everything a fit starts from: the model on the fit range, the cell model, the start
// parameters with their names and bounds.
struct Setup {
  Model m;
  CellModel cm;
  Metric g0{};
  std::array<double, 6> cell0{};
  Vec p;
  Bounds b;
  std::vector<std::string> names;
  xrd::Wavelength wl;
  std::string phase;
};

std::array<int, 3> representative_hkl(const std::vector<std::array<int, 3>>& equivalents);
// The model on the fit range, the cell model, the start parameters with their names and bounds.
Setup make_setup(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt);

}  // namespace xrdid::identify::fit_detail
