/* libxrdid: powder-XRD phase identification as a C library.
 *
 * Open a reference library (a file from `xrdid library build`, or the bundled library of common
 * phases), optionally a trained model, and rank the library's phases against a measured pattern
 * (2θ in degrees, intensities, the wavelength); find the phases of a mixture with their weight
 * fractions; read measured-pattern files; simulate a CIF's powder pattern.
 *
 * Conventions:
 *  - Every function that can fail returns NULL or -1 and leaves a message for
 *    xrdid_last_error() (per thread). No C++ exception crosses this interface.
 *  - Strings in result structs are NUL-terminated, cut to fit their array.
 *  - Thread safety: any number of threads may identify against one library (and one model) at
 *    once; open and close are not concurrent with other calls on the same handle.
 *  - The ranking of xrdid_identify equals `xrdid identify --json` on the same pattern, library,
 *    model and options (the program is built on the same code).
 */
#ifndef XRDID_XRDID_H
#define XRDID_XRDID_H

#include <stddef.h>

#if defined(_WIN32)
#define XRDID_API
#else
#define XRDID_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define XRDID_ABI_VERSION 0

typedef struct xrdid_library xrdid_library;
typedef struct xrdid_model xrdid_model;
typedef struct xrdid_pattern xrdid_pattern;

/* One row of a ranking (the JSON's "candidates" fields). */
typedef struct {
  int rank;                /* 1 = best */
  double score;            /* the method's similarity score */
  int spacegroup_number;
  char id[128];            /* library entry id */
  char formula[64];        /* cell formula, e.g. "Li4 F4" */
  char reduced_formula[64];
  char source[256];        /* the entry's CIF, relative to the library's CIF folder */
  double probability;      /* calibrated probability that this row is the sample's phase */
  double shift_deg;        /* zero shift found (profile search) */
  double lattice_scale;    /* lattice scale f found (d_sample = f d_reference) */
} xrdid_candidate;

/* One phase of a mixture (the JSON's "phases" fields). */
typedef struct {
  int spacegroup_number;
  double weight_fraction;      /* of the crystalline phases; they sum to 1 */
  double weight_fraction_esd;
  char id[128];
  char formula[64];
  char reduced_formula[64];
  char source[256];
} xrdid_phase;

/* Ranking methods (as `xrdid identify --method`). */
enum {
  XRDID_METHOD_PROFILE = 0, /* full-profile correlation with zero-shift and lattice-scale search */
  XRDID_METHOD_PEAKS = 1,   /* peak-list figure of merit */
  XRDID_METHOD_MODEL = 2,   /* the trained model's embedding cosine (needs a model) */
  XRDID_METHOD_HYBRID = 3   /* (1 - w) profile + w model (needs a model) */
};

/* Search options; xrdid_options_init fills in the defaults of `xrdid identify`. */
typedef struct {
  size_t struct_size;          /* sizeof(xrdid_options), set by xrdid_options_init */
  int method;                  /* XRDID_METHOD_*; default PROFILE */
  int verify;                  /* fit the best K rows and rank them by the fit (0: off) */
  int every_entry;             /* 1: every library entry its own row (default 0: one row per phase) */
  const char* background;      /* "snip" (default) | "beads" | "none" */
  const char* require;         /* elements that must be present, e.g. "Li,O" (NULL: none) */
  const char* exclude;         /* elements that must be absent (NULL: none) */
  const char* only;            /* no element outside these (NULL: any) */
  double max_shift_deg;        /* zero-shift search range */
  double max_strain;           /* lattice-scale search range, 0.012 = ±1.2 % (0: off) */
  double strain_step;
  double strain_penalty;
  double noise_floor_sigmas;
  double hybrid_weight;        /* w of HYBRID */
  double min_probability;      /* below this for the first row: no confident match (default -1:
                                  the method's calibrated threshold, 0.25; PEAKS 0.45) */
  double alpha2_angstrom;      /* Kα2 of the measurement (0: a single wavelength) */
  double alpha2_ratio;         /* I(Kα2)/I(Kα1) */
  int max_phases;              /* mixtures: at most this many phases (default 5) */
  double min_chi2_drop;        /* mixtures: a further phase removes at least this share of χ² */
  double min_weight_fraction;  /* mixtures: a phase makes at least this weight fraction (default 0.05) */
  double brindley_size_um;     /* mixtures: grain diameter (µm) for Brindley's micro-absorption
                                  correction (0: none; needs a Cu, Mo, Co, Cr, Fe or Ag Kα pattern) */
  const char* standard;        /* mixtures: internal standard, library id or formula (NULL: none) */
  double standard_fraction;    /* its weighed-in mass fraction of the spiked sample, in (0, 1) */
  /* The fields below are read only when struct_size covers them: a caller whose struct ends at
   * standard_fraction gets their defaults. */
  double min_lines_chi2_drop;  /* mixtures: a phase removes at least this share of χ² over its own
                                  lines (where its peaks exceed 2 counting σ; default 0.3) */
  int mixture_selection;       /* mixtures: XRDID_SELECTION_* (default PRUNE) */
  int mixture_first;           /* mixtures: XRDID_FIRST_* (default SEARCH) */
  double mixture_cell_bound;   /* mixtures: each phase's cell lengths within ± this fraction of its
                                  CIF cell (default 0.03) */
  int mixture_texture;         /* mixtures: 1 (default): March–Dollase preferred orientation per phase */
  int mixture_max_reflections; /* mixtures: a further phase with more reflections in the fit range is
                                  not tried (default 600; 0: no limit) */
  double profile_exponent;     /* the profile search's compression exponent, in (0, 1] (default 0.4) */
  /* Read only when struct_size covers them: a caller whose struct ends at profile_exponent gets
   * their defaults. */
  int low_temperature;         /* 1: also rank phases that are gases or liquids at room temperature
                                  (solid O2, N2, CO2, ice …), for a sample measured cold (default 0) */
  int mixture_substitutes;     /* mixtures: per phase found, fit this many alike rows of its own
                                  pattern in its place (default 3; 0: off) */
  double mixture_substitute_drop; /* mixtures: a substitute replaces a phase when it lowers the BIC
                                     by at least this share (default 0.1) */
  /* Read only when struct_size covers it: a caller whose struct ends at mixture_substitute_drop
   * gets its default. */
  double mixture_max_volume_change; /* mixtures: a further phase's refined cell volume within this
                                       many per cent of its reference's (default 1.5; 0: no limit) */
  /* Read only when struct_size covers them: a caller whose struct ends at
   * mixture_max_volume_change gets their defaults. */
  int mixture_common_candidates; /* mixtures, a library other than the bundled one: each residual is
                                    searched again over the bundled library's common phases and its
                                    best this many rows are fitted too (0: off) */
  int mixture_readmit;           /* mixtures: 1: phases pruned together are fitted again beside those
                                    kept, and the best that passes the thresholds comes back */
  double mixture_texture_range;  /* mixtures: each phase's March–Dollase r within [1/R, R] */
  /* Read only when struct_size covers them: a caller whose struct ends at mixture_texture_range
   * gets their defaults. */
  int mixture_judge_first;       /* mixtures, PRUNE: the first phase (the search's best row) is judged
                                    by the thresholds as the others when at least this many other
                                    phases pass them (default 2; 0: it always
                                    stays; 0 to 7) */
  int mixture_texture_lines;     /* mixtures: March–Dollase is also tried along the normals of each
                                    phase's this many strongest reflections (default 0; 0 to 20) */
  /* Read only when struct_size covers it: a caller whose struct ends at mixture_texture_lines
   * gets its default. */
  double mixture_axis_check;     /* mixtures: when the phases' refined cell volumes moved by more
                                    than this many per cent, search again with the wavelength
                                    scaled (a 2θ-axis error; default 3; 0: off; 0 to 100) */
  /* Read only when struct_size covers it: a caller whose struct ends at mixture_axis_check gets
   * its default. */
  int mixture_axis_calibration;  /* mixtures: 1: the axis check also searches on the axis
                                    calibrated against the phases found (default); 0: on the
                                    scaled wavelength alone */
} xrdid_options;

/* Which phases a mixture keeps (as `xrdid identify --mixture-selection`). */
enum {
  XRDID_SELECTION_PRUNE = 0,   /* add phases while the fit improves, then remove those below a threshold */
  XRDID_SELECTION_STEPWISE = 1 /* stop at the first phase below a threshold */
};
/* The first phase of a mixture (as `--mixture-first`). */
enum {
  XRDID_FIRST_SEARCH = 0, /* the search's best row */
  XRDID_FIRST_FIT = 1     /* the lowest BIC of the search's best rows fitted alone */
};

/* Quantification of one phase of a mixture (xrdid_identify_mixture_quant; the JSON's fields). */
typedef struct {
  double mu_per_cm;                   /* linear attenuation coefficient (with brindley_size_um; else 0) */
  double brindley_tau;                /* Brindley's particle absorption factor (1 without) */
  double brindley_weight_fraction;    /* corrected crystalline weight fraction (without: the fit's) */
  double brindley_weight_fraction_esd;
  double absolute_fraction;           /* with a standard: of the spiked sample (else 0) */
  double absolute_fraction_esd;
} xrdid_phase_quant;

XRDID_API const char* xrdid_version(void);
/* The message of this thread's last failure ("" when none). */
XRDID_API const char* xrdid_last_error(void);
XRDID_API void xrdid_options_init(xrdid_options* options);

/* A library file from `xrdid library build`; path NULL or "" opens the bundled library of common
 * phases installed with libxrdid. NULL on failure. */
XRDID_API xrdid_library* xrdid_library_open(const char* path);
XRDID_API void xrdid_library_close(xrdid_library* library);
/* Entries in the library, -1 on failure. */
XRDID_API int xrdid_library_size(const xrdid_library* library);
/* The wavelength (Å, Kα1) the library was simulated at, -1 on failure. */
XRDID_API double xrdid_library_wavelength(const xrdid_library* library);

/* A model file from `xrdid train` (read once, whole). NULL on failure. */
XRDID_API xrdid_model* xrdid_model_open(const char* path);
XRDID_API void xrdid_model_close(xrdid_model* model);

/* Ranks the library against one pattern: n points of strictly increasing two_theta (degrees),
 * finite intensity, wavelength in Å. model may be NULL: then the method is PROFILE; with a model
 * it is HYBRID. Writes at most max rows to out (max >= 1); returns the number written (0: no
 * entry passes), or -1 on failure. */
XRDID_API int xrdid_identify(const xrdid_library* library, const xrdid_model* model, const double* two_theta,
                             const double* intensity, size_t n, double wavelength_angstrom, xrdid_candidate* out,
                             int max);
/* The same with options (NULL: the defaults). *confident (may be NULL) is set to 1 when the first
 * row's probability reaches the threshold (options->min_probability; negative: the method's
 * calibrated one), else 0. */
XRDID_API int xrdid_identify_ex(const xrdid_library* library, const xrdid_model* model, const double* two_theta,
                                const double* intensity, size_t n, double wavelength_angstrom,
                                const xrdid_options* options, xrdid_candidate* out, int max, int* confident);

/* The ranking of xrdid_identify_ex as the JSON of `xrdid identify --json` for this one pattern:
 * the object of its "queries" array, with every field docs/formats.md lists (each row's
 * probability, same_phase, reference_fill and reference_incomplete, the first row's fitted cell,
 * "confident", the wavelength), "file" being "pattern" and "wavelength_from" "caller". With
 * mixture != 0 it also holds the mixture's "phases" and "mixture" (as `--mixture`; the profile or
 * peaks method only). Returns NUL-terminated UTF-8 text to release with xrdid_free, or NULL on
 * failure (a mixture search that fails fails the call). */
XRDID_API char* xrdid_identify_json(const xrdid_library* library, const xrdid_model* model, const double* two_theta,
                                    const double* intensity, size_t n, double wavelength_angstrom,
                                    const xrdid_options* options, int max, int mixture);

/* Releases what xrdid_identify_json returned (NULL: nothing). */
XRDID_API void xrdid_free(void* p);

/* Every phase of a mixture and its weight fraction (search of the residual, joint whole-pattern
 * fit; `xrdid identify --mixture`). The library's CIFs must be readable. Writes at most max
 * phases; returns their number, or -1 on failure. *rwp (may be NULL) gets the joint fit's Rwp. */
XRDID_API int xrdid_identify_mixture(const xrdid_library* library, const double* two_theta, const double* intensity,
                                     size_t n, double wavelength_angstrom, const xrdid_options* options,
                                     xrdid_phase* out, int max, double* rwp);

/* xrdid_identify_mixture with what options->brindley_size_um and options->standard add: quant
 * (may be NULL) gets one entry per phase written to out; *amorphous and *amorphous_esd (may be
 * NULL) the amorphous and unidentified fraction of the spiked sample, 1 − Σ absolute fractions
 * (0 without a standard). Fails (-1) when the standard is not among the phases found. */
XRDID_API int xrdid_identify_mixture_quant(const xrdid_library* library, const double* two_theta,
                                           const double* intensity, size_t n, double wavelength_angstrom,
                                           const xrdid_options* options, xrdid_phase* out, xrdid_phase_quant* quant,
                                           int max, double* rwp, double* amorphous, double* amorphous_esd);

/* A measured pattern file (.xy/.xye/.csv/.txt/.dat, .xrdml, RRUFF, .ras). NULL on failure. */
XRDID_API xrdid_pattern* xrdid_pattern_read(const char* path);
XRDID_API void xrdid_pattern_close(xrdid_pattern* pattern);
XRDID_API size_t xrdid_pattern_size(const xrdid_pattern* pattern);
XRDID_API const double* xrdid_pattern_two_theta(const xrdid_pattern* pattern);
XRDID_API const double* xrdid_pattern_intensity(const xrdid_pattern* pattern);
/* Kα1 wavelength the file states (Å), 0 when it does not say. */
XRDID_API double xrdid_pattern_wavelength(const xrdid_pattern* pattern);
/* Kα2 wavelength the file states (Å), 0 when none; *ratio (may be NULL) gets I(Kα2)/I(Kα1). Pass
 * both on in xrdid_options (alpha2_angstrom, alpha2_ratio) to identify as `xrdid identify` does. */
XRDID_API double xrdid_pattern_alpha2(const xrdid_pattern* pattern, double* ratio);

/* The powder pattern of a CIF (file, or CIF text) at one wavelength on the given 2θ grid
 * (degrees, increasing), Gaussian peaks of σ = 0.07°, maximum 100 (as `xrdid simulate`).
 * Writes n values to intensity; 0 on success, -1 on failure. */
XRDID_API int xrdid_simulate(const char* cif_path, double wavelength_angstrom, const double* two_theta, size_t n,
                             double* intensity);
XRDID_API int xrdid_simulate_cif_text(const char* cif_text, double wavelength_angstrom, const double* two_theta,
                                      size_t n, double* intensity);

#ifdef __cplusplus
}
#endif

#endif /* XRDID_XRDID_H */
