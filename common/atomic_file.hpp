// Atomic file replacement shared by every stage: write a temporary file in the target's folder,
// flush it, rename it over the target. A failure leaves the target untouched and no temporary.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xrdid::common {

inline void write_file_atomic(const std::string& path, std::string_view text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string name = ".";  // appended step by step: GCC 12 warns falsely (-Wrestrict) on "." + str
  name += target.filename().string();
  name += ".tmp-XXXXXX";
  const std::string tmpl = (dir / name).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) throw std::runtime_error(path + ": cannot create a temporary file (" + std::strerror(errno) + ")");
  const std::string tmp(buf.data());
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t k = ::write(fd, text.data() + done, text.size() - done);
    if (k < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(path + ": write failed (" + err + ")");
    }
    done += static_cast<std::size_t>(k);
  }
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot flush the temporary file");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename the temporary file into place (" + err + ")");
  }
}

}  // namespace xrdid::common
