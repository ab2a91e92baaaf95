// libxrdid: version, libraries (a file, or the bundled library of common phases) and models.
#include <dlfcn.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

#include <xrdid/xrdid.h>

#include "capi/c_boundary.hpp"
#include "capi/handles.hpp"
#include "common/check.hpp"
#include "identify/mixture.hpp"

#ifndef XRDID_VERSION_STRING
#define XRDID_VERSION_STRING "0.0.0"
#endif
#ifndef XRDID_BUILD_SHARE_DIR
#define XRDID_BUILD_SHARE_DIR ""
#endif

namespace fs = std::filesystem;
using xrdid::capi::guarded;

namespace {

// The bundled library: share/xrdid/phases.xrdlib found from the file this code was loaded from
// (libxrdid.so, or the program that linked libxrdid.a) — <dir>/../share (an installed prefix's lib
// or bin), <dir>/../../share (lib/<multiarch>), <dir>/share — or else the build tree's.
std::string bundled_library_path() {
  std::vector<fs::path> tried;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&xrdid_version), &info) != 0 && info.dli_fname != nullptr) {
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(fs::path(info.dli_fname), ec).parent_path();
    for (const char* rel : {"../share/xrdid", "../../share/xrdid", "share/xrdid"}) tried.push_back(dir / rel);
  }
  if (*XRDID_BUILD_SHARE_DIR) tried.emplace_back(XRDID_BUILD_SHARE_DIR);
  std::string where;
  for (const fs::path& d : tried) {
    std::error_code ec;
    const fs::path f = d / "phases.xrdlib";
    if (fs::is_regular_file(f, ec)) return fs::weakly_canonical(f, ec).string();
    where += (where.empty() ? "" : ", ") + f.lexically_normal().string();
  }
  throw std::runtime_error("no bundled library of common phases found (looked for " + where +
                           "); open a library file from `xrdid library build`");
}

}  // namespace

const xrdid::identify::Identifier& xrdid_library::identifier(const xrdid_model* model) const {
  if (model == nullptr) return *plain;
  std::lock_guard<std::mutex> lock(models_mutex);
  auto& id = with_model[model->serial];
  if (!id) {
    auto made = std::make_unique<xrdid::identify::Identifier>(library);
    made->set_library_path(path);
    made->attach_model(model->file, model->file.path);
    id = std::move(made);
  }
  return *id;
}

extern "C" {

const char* xrdid_version(void) { return XRDID_VERSION_STRING; }

xrdid_library* xrdid_library_open(const char* path) {
  return guarded<xrdid_library*>(nullptr, [&] {
    auto lib = std::make_unique<xrdid_library>();
    lib->path = (path == nullptr || *path == '\0') ? bundled_library_path() : std::string(path);
    lib->library = xrdid::xrd::load_library(lib->path);
    XRDID_CHECK(lib->library.size() > 0, lib->path + ": the library has no entries");
    lib->plain = std::make_unique<xrdid::identify::Identifier>(lib->library);
    lib->plain->set_library_path(lib->path);
    // The common phases, as `xrdid identify --library` takes them.
    std::string bundled;
    try {
      bundled = bundled_library_path();
    } catch (const std::exception&) {
      bundled.clear();  // none: no common phases
    }
    std::error_code ec;
    if (!bundled.empty() && fs::weakly_canonical(lib->path, ec).string() != bundled)
      lib->common = xrdid::identify::phase_keys(xrdid::xrd::load_library(bundled));
    return lib.release();
  });
}

void xrdid_library_close(xrdid_library* library) { delete library; }

int xrdid_library_size(const xrdid_library* library) {
  return guarded<int>(-1, [&] {
    XRDID_CHECK(library != nullptr, "xrdid_library_size: library is NULL");
    return static_cast<int>(library->library.size());
  });
}

double xrdid_library_wavelength(const xrdid_library* library) {
  return guarded<double>(-1.0, [&] {
    XRDID_CHECK(library != nullptr, "xrdid_library_wavelength: library is NULL");
    return library->library.wavelength.alpha1;
  });
}

xrdid_model* xrdid_model_open(const char* path) {
  static std::atomic<std::uint64_t> next_serial{1};
  return guarded<xrdid_model*>(nullptr, [&] {
    XRDID_CHECK(path != nullptr && *path != '\0', "xrdid_model_open: no path given");
    auto m = std::make_unique<xrdid_model>();
    m->file = xrdid::nn::read_model_file(path);
    (void)xrdid::nn::model_config(m->file);  // a file without a usable config fails here, not at identify
    m->serial = next_serial++;
    return m.release();
  });
}

void xrdid_model_close(xrdid_model* model) { delete model; }

}  // extern "C"
