// The `xrdid` Python module over libxrdid's C API (include/xrdid/xrdid.h):
//
//   lib = xrdid.Library()                       # the bundled common phases, or Library(path)
//   rows = lib.identify(two_theta, intensity, wavelength=1.5406, top=10, model=None)
//   mix = lib.identify_mixture(two_theta, intensity, wavelength=1.5406)
//   tt, y = xrdid.simulate("LiF.cif", wavelength=1.5406)   # a path, CIF text, or a pymatgen Structure
//   tt, y, wl = xrdid.read_pattern("sample.xrdml")
//
// Rows are dicts with the fields of `xrdid identify --json`'s candidates (docs/formats.md). Every failure of the C API raises
// ValueError with its message. identify releases the GIL: threads may share one Library.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <xrdid/xrdid.h>

namespace py = pybind11;

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

[[noreturn]] void raise_last_error() { throw py::value_error(xrdid_last_error()); }

struct Model {
  explicit Model(const std::string& path) : handle(xrdid_model_open(path.c_str()), &xrdid_model_close) {
    if (!handle) raise_last_error();
  }
  std::unique_ptr<xrdid_model, void (*)(xrdid_model*)> handle;
};

std::vector<double> as_vector(const Array& a, const char* name) {
  if (a.ndim() != 1) throw py::value_error(std::string(name) + ": expected a 1-D array, got " + std::to_string(a.ndim()) + " dimensions");
  return std::vector<double>(a.data(), a.data() + a.size());
}

// The query object xrdid_identify_json returned (NULL: its error raised), parsed and released.
py::dict parse_query(char* text) {
  if (text == nullptr) raise_last_error();
  const std::unique_ptr<char, void (*)(void*)> owned(text, &xrdid_free);
  return py::module_::import("json").attr("loads")(py::str(text));
}

// Keyword options -> xrdid_options (names as `xrdid identify`'s options, with underscores).
xrdid_options options_from(const py::kwargs& kw, std::vector<std::string>& keep) {
  xrdid_options o;
  xrdid_options_init(&o);
  keep.reserve(kw.size());  // the c_str() pointers handed on must not move
  for (auto item : kw) {
    const std::string k = py::cast<std::string>(item.first);
    py::handle v = item.second;
    auto text = [&](const char*& field) {
      keep.push_back(py::cast<std::string>(v));
      field = keep.back().c_str();
    };
    if (k == "method") {
      const std::string m = py::cast<std::string>(v);
      if (m == "profile") o.method = XRDID_METHOD_PROFILE;
      else if (m == "peaks") o.method = XRDID_METHOD_PEAKS;
      else if (m == "model") o.method = XRDID_METHOD_MODEL;
      else if (m == "hybrid") o.method = XRDID_METHOD_HYBRID;
      else throw py::value_error("method: expected profile, peaks, model or hybrid, got '" + m + "'");
    } else if (k == "verify") o.verify = py::cast<int>(v);
    else if (k == "every_entry") o.every_entry = py::cast<bool>(v) ? 1 : 0;
    else if (k == "background") text(o.background);
    else if (k == "require") text(o.require);
    else if (k == "exclude") text(o.exclude);
    else if (k == "only") text(o.only);
    else if (k == "max_shift") o.max_shift_deg = py::cast<double>(v);
    else if (k == "max_strain") o.max_strain = py::cast<double>(v);
    else if (k == "strain_step") o.strain_step = py::cast<double>(v);
    else if (k == "strain_penalty") o.strain_penalty = py::cast<double>(v);
    else if (k == "noise_floor") o.noise_floor_sigmas = py::cast<double>(v);
    else if (k == "hybrid_weight") o.hybrid_weight = py::cast<double>(v);
    else if (k == "min_probability") o.min_probability = py::cast<double>(v);
    else if (k == "alpha2") o.alpha2_angstrom = py::cast<double>(v);
    else if (k == "alpha2_ratio") o.alpha2_ratio = py::cast<double>(v);
    else if (k == "max_phases") o.max_phases = py::cast<int>(v);
    else if (k == "min_chi2_drop") o.min_chi2_drop = py::cast<double>(v);
    else if (k == "min_weight_fraction") o.min_weight_fraction = py::cast<double>(v);
    else if (k == "brindley_size") o.brindley_size_um = py::cast<double>(v);
    else if (k == "standard") text(o.standard);
    else if (k == "standard_fraction") o.standard_fraction = py::cast<double>(v);
    else if (k == "min_lines_chi2_drop") o.min_lines_chi2_drop = py::cast<double>(v);
    else if (k == "mixture_selection") {
      const std::string m = py::cast<std::string>(v);
      if (m == "prune") o.mixture_selection = XRDID_SELECTION_PRUNE;
      else if (m == "stepwise") o.mixture_selection = XRDID_SELECTION_STEPWISE;
      else throw py::value_error("mixture_selection: expected prune or stepwise, got '" + m + "'");
    } else if (k == "mixture_first") {
      const std::string m = py::cast<std::string>(v);
      if (m == "search") o.mixture_first = XRDID_FIRST_SEARCH;
      else if (m == "fit") o.mixture_first = XRDID_FIRST_FIT;
      else throw py::value_error("mixture_first: expected search or fit, got '" + m + "'");
    } else if (k == "mixture_cell_bound") o.mixture_cell_bound = py::cast<double>(v);
    else if (k == "mixture_texture") o.mixture_texture = py::cast<bool>(v) ? 1 : 0;
    else if (k == "mixture_max_volume_change") o.mixture_max_volume_change = py::cast<double>(v);
    else if (k == "mixture_max_reflections") o.mixture_max_reflections = py::cast<int>(v);
    else if (k == "profile_exponent") o.profile_exponent = py::cast<double>(v);
    else if (k == "low_temperature") o.low_temperature = py::cast<bool>(v) ? 1 : 0;
    else if (k == "mixture_substitutes") o.mixture_substitutes = py::cast<int>(v);
    else if (k == "mixture_substitute_drop") o.mixture_substitute_drop = py::cast<double>(v);
    else if (k == "mixture_common_candidates") o.mixture_common_candidates = py::cast<int>(v);
    else if (k == "mixture_readmit") o.mixture_readmit = py::cast<bool>(v) ? 1 : 0;
    else if (k == "mixture_texture_range") o.mixture_texture_range = py::cast<double>(v);
    else if (k == "mixture_judge_first") o.mixture_judge_first = py::cast<int>(v);
    else if (k == "mixture_texture_lines") o.mixture_texture_lines = py::cast<int>(v);
    else if (k == "mixture_axis_check") o.mixture_axis_check = py::cast<double>(v);
    else if (k == "mixture_axis_calibration") o.mixture_axis_calibration = py::cast<bool>(v) ? 1 : 0;
    else throw py::type_error("unknown option '" + k + "'");
  }
  return o;
}

class Library {
 public:
  explicit Library(std::optional<std::string> path)
      : handle_(xrdid_library_open(path ? path->c_str() : nullptr), &xrdid_library_close) {
    if (!handle_) raise_last_error();
  }
  int size() const { return xrdid_library_size(handle_.get()); }
  double wavelength() const { return xrdid_library_wavelength(handle_.get()); }

  py::list identify(const Array& two_theta, const Array& intensity, double wavelength, int top,
                    const Model* model, const py::kwargs& kw) const {
    std::vector<std::string> keep;
    xrdid_options o = options_from(kw, keep);
    if (!kw.contains("method") && model != nullptr) o.method = XRDID_METHOD_HYBRID;
    const std::vector<double> x = as_vector(two_theta, "two_theta"), y = as_vector(intensity, "intensity");
    if (x.size() != y.size())
      throw py::value_error("two_theta and intensity differ in length (" + std::to_string(x.size()) + " vs " +
                            std::to_string(y.size()) + ")");
    return rank(x, y, wavelength, o, top, model);
  }

  // A pattern file, with the wavelength(s) it states (else `wavelength`, else the library's), as
  // `xrdid identify FILE` reads it.
  py::list identify_file(const std::string& path, std::optional<double> wavelength, int top, const Model* model,
                         const py::kwargs& kw) const {
    std::vector<std::string> keep;
    xrdid_options o = options_from(kw, keep);
    if (!kw.contains("method") && model != nullptr) o.method = XRDID_METHOD_HYBRID;
    std::unique_ptr<xrdid_pattern, void (*)(xrdid_pattern*)> p(xrdid_pattern_read(path.c_str()), &xrdid_pattern_close);
    if (!p) raise_last_error();
    const std::size_t n = xrdid_pattern_size(p.get());
    const std::vector<double> x(xrdid_pattern_two_theta(p.get()), xrdid_pattern_two_theta(p.get()) + n);
    const std::vector<double> y(xrdid_pattern_intensity(p.get()), xrdid_pattern_intensity(p.get()) + n);
    double wl = xrdid_pattern_wavelength(p.get());
    if (wl > 0) o.alpha2_angstrom = xrdid_pattern_alpha2(p.get(), &o.alpha2_ratio);
    else wl = wavelength ? *wavelength : this->wavelength();
    return rank(x, y, wl, o, top, model);
  }

 private:
  py::list rank(const std::vector<double>& x, const std::vector<double>& y, double wavelength, const xrdid_options& o,
                int top, const Model* model) const {
    if (top < 1) throw py::value_error("top must be >= 1");
    char* text = nullptr;
    {
      py::gil_scoped_release unlocked;
      text = xrdid_identify_json(handle_.get(), model ? model->handle.get() : nullptr, x.data(), y.data(), x.size(),
                                 wavelength, &o, top, 0);
    }
    return py::list(parse_query(text)["candidates"]);
  }

 public:
  // The phases of a mixture with every field of `xrdid identify --mixture --json` (docs/formats.md):
  // {"phases": [...], "rwp": ..., "mixture": {...}}, and with a standard "amorphous_fraction(_esd)"
  // (of the spiked sample).
  py::dict identify_mixture(const Array& two_theta, const Array& intensity, double wavelength,
                            const py::kwargs& kw) const {
    std::vector<std::string> keep;
    const xrdid_options o = options_from(kw, keep);
    const std::vector<double> x = as_vector(two_theta, "two_theta"), y = as_vector(intensity, "intensity");
    if (x.size() != y.size()) throw py::value_error("two_theta and intensity differ in length");
    char* text = nullptr;
    {
      py::gil_scoped_release unlocked;
      // 5 rows: the single-phase search's default, which the mixture search starts from.
      text = xrdid_identify_json(handle_.get(), nullptr, x.data(), y.data(), x.size(), wavelength, &o, 5, 1);
    }
    const py::dict query = parse_query(text);
    const py::dict mixture = query["mixture"];
    py::dict out;
    out["phases"] = query["phases"];
    out["rwp"] = mixture["rwp"];
    out["mixture"] = mixture;
    if (o.standard != nullptr && mixture.contains("quantification")) {
      const py::dict q = mixture["quantification"];
      out["amorphous_fraction"] = q["amorphous_fraction"];
      out["amorphous_fraction_esd"] = q["amorphous_fraction_esd"];
    }
    return out;
  }

 private:
  std::unique_ptr<xrdid_library, void (*)(xrdid_library*)> handle_;
};

// A CIF given as a path, as CIF text (it has a line break), or as any object with a pymatgen-style
// .to(fmt="cif") (a pymatgen Structure).
py::tuple simulate(py::object cif, double wavelength, std::optional<Array> two_theta) {
  std::vector<double> grid;
  if (two_theta) {
    grid = as_vector(*two_theta, "two_theta");
  } else {
    for (int i = 0; i < 6000; ++i) grid.push_back(0.02 * i);  // as `xrdid simulate`: 0 … 119.98 in steps of 0.02
  }
  std::string text;
  bool is_text = false;
  if (py::isinstance<py::str>(cif)) {
    text = py::cast<std::string>(cif);
    is_text = text.find('\n') != std::string::npos;
  } else if (py::hasattr(cif, "to")) {
    text = py::cast<std::string>(cif.attr("to")(py::arg("fmt") = "cif"));
    is_text = true;
  } else {
    throw py::type_error("simulate: expected a CIF path, CIF text or a pymatgen Structure");
  }
  py::array_t<double> y(static_cast<py::ssize_t>(grid.size()));
  int rc = 0;
  {
    py::gil_scoped_release unlocked;
    rc = is_text ? xrdid_simulate_cif_text(text.c_str(), wavelength, grid.data(), grid.size(), y.mutable_data())
                 : xrdid_simulate(text.c_str(), wavelength, grid.data(), grid.size(), y.mutable_data());
  }
  if (rc != 0) raise_last_error();
  return py::make_tuple(py::array_t<double>(static_cast<py::ssize_t>(grid.size()), grid.data()), y);
}

py::tuple read_pattern(const std::string& path) {
  std::unique_ptr<xrdid_pattern, void (*)(xrdid_pattern*)> p(xrdid_pattern_read(path.c_str()), &xrdid_pattern_close);
  if (!p) raise_last_error();
  const auto n = static_cast<py::ssize_t>(xrdid_pattern_size(p.get()));
  const double wl = xrdid_pattern_wavelength(p.get());
  return py::make_tuple(py::array_t<double>(n, xrdid_pattern_two_theta(p.get())),
                        py::array_t<double>(n, xrdid_pattern_intensity(p.get())),
                        wl > 0 ? py::object(py::float_(wl)) : py::object(py::none()));
}

}  // namespace

PYBIND11_MODULE(xrdid, m) {
  m.doc() = "xrdid: powder X-ray diffraction phase identification";
  m.attr("__version__") = xrdid_version();
  py::class_<Model>(m, "Model", "A trained model file from `xrdid train` (read whole at open).")
      .def(py::init<const std::string&>(), py::arg("path"));
  py::class_<Library>(m, "Library",
                      "A reference library: a file from `xrdid library build`, or (no path) the bundled common phases.")
      .def(py::init<std::optional<std::string>>(), py::arg("path") = py::none())
      .def("__len__", &Library::size)
      .def_property_readonly("wavelength", &Library::wavelength, "Å (Kα1) the library was simulated at")
      .def("identify", &Library::identify, py::arg("two_theta"), py::arg("intensity"), py::arg("wavelength") = 1.5406,
           py::arg("top") = 10, py::arg("model") = nullptr,
           "Ranks the library against a pattern; a list of dicts (the JSON candidate fields). Options as keywords: "
           "method, verify, every_entry, background, require, exclude, only, max_shift, max_strain, strain_step, "
           "strain_penalty, noise_floor, hybrid_weight, min_probability, alpha2, alpha2_ratio, profile_exponent, "
           "low_temperature (bool).")
      .def("identify_file", &Library::identify_file, py::arg("path"), py::arg("wavelength") = py::none(),
           py::arg("top") = 10, py::arg("model") = nullptr,
           "identify() of a pattern file with the wavelengths it states (else `wavelength`, else the library's), "
           "as `xrdid identify FILE`.")
      .def("identify_mixture", &Library::identify_mixture, py::arg("two_theta"), py::arg("intensity"),
           py::arg("wavelength") = 1.5406,
           "Every phase of a mixture with its weight fraction: {'phases': [...], 'rwp': ...}. Options as identify, "
           "plus max_phases (1 to 8), min_chi2_drop, min_lines_chi2_drop, min_weight_fraction, mixture_selection "
           "('prune' | 'stepwise'), mixture_first ('search' | 'fit'), mixture_cell_bound, mixture_texture (bool), "
           "mixture_max_reflections, mixture_substitutes, mixture_substitute_drop, mixture_max_volume_change, "
           "mixture_common_candidates, mixture_readmit (bool), mixture_texture_range, mixture_judge_first, "
           "mixture_texture_lines, mixture_axis_check, mixture_axis_calibration (bool), "
           "brindley_size (grain diameter, µm: Brindley's "
           "micro-absorption correction), standard and standard_fraction (internal standard: absolute fractions and "
           "'amorphous_fraction').");
  m.def("simulate", &simulate, py::arg("cif"), py::arg("wavelength") = 1.5406, py::arg("two_theta") = py::none(),
        "The powder pattern (two_theta, intensity) of a CIF path, CIF text or pymatgen Structure (max 100).");
  m.def("read_pattern", &read_pattern, py::arg("path"),
        "A measured pattern file: (two_theta, intensity, wavelength in Å or None).");
}
