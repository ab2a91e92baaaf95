// Atomic file replacement shared by every stage: write a temporary file in the target's folder,
// flush it, rename it over the target. A failure (a full disk, a read-only or missing folder)
// leaves the target untouched and no temporary; a process killed while writing leaves its
// temporary, which the next write of the same target removes.
//
// Temporaries are named ".NAME.tmp-PID-XXXXXX" beside NAME. Before writing, temporaries of
// NAME whose PID no longer runs (kill(PID, 0) fails with ESRCH) are deleted.
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xrdid::common {

// The folder a file path lies in ("." for a bare name).
inline std::filesystem::path folder_of(const std::string& path) {
  const std::filesystem::path target(path);
  return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

// Refuses, before any work is done, an output path whose folder is missing, is not a folder or
// cannot be written (a long computation should not end in "cannot write"). `what` names the
// option, e.g. "-o".
inline void require_output_folder(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  if (path.empty()) return;
  const fs::path dir = folder_of(path);
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (!fs::exists(st))
    throw std::runtime_error(what + " " + path + ": the folder " + dir.string() + " does not exist");
  if (!fs::is_directory(st)) throw std::runtime_error(what + " " + path + ": " + dir.string() + " is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error(what + " " + path + ": cannot write in the folder " + dir.string() + " (" +
                             std::strerror(errno) + ")");
  if (fs::is_directory(path, ec)) throw std::runtime_error(what + " " + path + ": is a folder, not a file");
}

// Refuses an output path that names one of the input files (the same file, however spelled:
// hard links, symbolic links, relative paths).
inline void refuse_output_over_input(const std::string& out, const std::vector<std::string>& inputs,
                                     const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (out.empty() || !fs::exists(out, ec)) return;
  for (const auto& in : inputs) {
    if (in.empty()) continue;
    if (fs::equivalent(out, in, ec) && !ec)
      throw std::runtime_error(what + " " + out + " is also an input (" + in +
                               "); writing it would replace that input: choose another output path");
  }
}

// Writes a file through a temporary beside it: open, write (any number of times), commit.
// Destroyed without commit (an exception, a failed write), it removes the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {
    namespace fs = std::filesystem;
    const fs::path target(path_);
    const fs::path dir = folder_of(path_);
    std::string prefix = ".";  // appended step by step: GCC 12 warns falsely (-Wrestrict) on "." + str
    prefix += target.filename().string();
    prefix += ".tmp-";
    remove_stale(dir, prefix);
    std::string name = prefix;
    name += std::to_string(::getpid());
    name += "-XXXXXX";
    const std::string tmpl = (dir / name).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd_ = ::mkstemp(buf.data());
    if (fd_ < 0) {
      const int err = errno;
      std::error_code ec;
      const std::string why = !fs::exists(dir, ec)       ? "the folder " + dir.string() + " does not exist"
                              : !fs::is_directory(dir, ec) ? dir.string() + " is not a folder"
                                                           : std::string(std::strerror(err));
      throw std::runtime_error(path_ + ": cannot create a file there (" + why + ")");
    }
    tmp_ = buf.data();
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() { discard(); }

  void write(const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t k = ::write(fd_, p + done, n - done);
      if (k < 0) {
        if (errno == EINTR) continue;
        fail("write failed");
      }
      done += static_cast<std::size_t>(k);
    }
  }
  void write(std::string_view text) { write(text.data(), text.size()); }

  // Flushes the temporary to disk and renames it over the target.
  void commit() {
    ::fchmod(fd_, 0644);
    if (::fsync(fd_) != 0) fail("cannot flush the temporary file");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot flush the temporary file");
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot rename the temporary file into place");
    tmp_.clear();
  }

 private:
  [[noreturn]] void fail(const char* what) {
    const std::string err = std::strerror(errno);
    discard();
    throw std::runtime_error(path_ + ": " + what + " (" + err + ")");
  }
  void discard() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    tmp_.clear();
  }
  // Deletes "PREFIX<pid>-XXXXXX" files in dir whose pid no longer runs.
  static void remove_stale(const std::filesystem::path& dir, const std::string& prefix) noexcept {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view n(e->d_name);
      if (n.size() <= prefix.size() + 7 || n.substr(0, prefix.size()) != prefix) continue;
      const std::string_view rest = n.substr(prefix.size());
      const std::size_t dash = rest.find('-');
      if (dash == 0 || dash == std::string_view::npos || rest.size() - dash != 7) continue;
      bool digits = dash <= 10;
      for (char c : rest.substr(0, dash)) digits = digits && c >= '0' && c <= '9';
      if (!digits) continue;
      const long long pid = std::strtoll(std::string(rest.substr(0, dash)).c_str(), nullptr, 10);
      if (pid > 0 && pid <= 2147483647 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
        ::unlink((dir / std::string(n)).c_str());
    }
    ::closedir(d);
  }

  std::string path_, tmp_;
  int fd_ = -1;
};

inline void write_file_atomic(const std::string& path, std::string_view text) {
  AtomicFile f(path);
  f.write(text);
  f.commit();
}

}  // namespace xrdid::common
