// Test-only LD_PRELOAD library for tests/cli/test_faults.sh: kills the process (SIGKILL) at a
// chosen point of a file write, to check what a crash at that point leaves behind. Not linked
// into xrdid; without XRDID_FAULT it changes nothing.
//
//   XRDID_FAULT=write:SUBSTR:N:K   during the K-th write(2)/writev(2) to the N-th file whose path
//                                  contains SUBSTR (a file counts when written at offset 0):
//                                  write half of that call's first block, then SIGKILL
//   XRDID_FAULT=rename:SUBSTR:N    at the N-th rename(2) whose source path contains SUBSTR
//                                  (the temporary is complete, not yet in place): SIGKILL
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

struct Fault {
  char kind[16] = {0};
  char substr[256] = {0};
  long n = 0, k = 0;
  bool active = false;
};

Fault parse() {
  Fault f;
  const char* spec = getenv("XRDID_FAULT");
  if (!spec) return f;
  char buf[512];
  strncpy(buf, spec, sizeof buf - 1);
  buf[sizeof buf - 1] = 0;
  char* save = nullptr;
  const char* kind = strtok_r(buf, ":", &save);
  const char* sub = strtok_r(nullptr, ":", &save);
  const char* n = strtok_r(nullptr, ":", &save);
  const char* k = strtok_r(nullptr, ":", &save);
  if (!kind || !sub || !n) return f;
  strncpy(f.kind, kind, sizeof f.kind - 1);
  strncpy(f.substr, sub, sizeof f.substr - 1);
  f.n = atol(n);
  f.k = k ? atol(k) : 1;
  f.active = (strcmp(f.kind, "write") == 0 || strcmp(f.kind, "rename") == 0) && f.n > 0 && f.k > 0;
  return f;
}

const Fault& fault() {
  static const Fault f = parse();
  return f;
}

// The file an open descriptor names (empty when unknown).
bool fd_path(int fd, char* out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, out, size - 1);
  if (n <= 0) return false;
  out[n] = 0;
  return true;
}

void die() {
  kill(getpid(), SIGKILL);
  _exit(137);
}

// True when this call is the chosen one: the K-th write to the N-th matching file (a file
// counts as new when it is written at offset 0).
bool chosen_write(int fd) {
  const Fault& f = fault();
  if (!f.active || fd <= 2 || strcmp(f.kind, "write") != 0) return false;
  static long files = 0, writes = 0;
  char path[4096];
  if (!fd_path(fd, path, sizeof path) || !strstr(path, f.substr)) return false;
  if (lseek(fd, 0, SEEK_CUR) == 0) {
    ++files;
    writes = 0;
  }
  return files == f.n && ++writes == f.k;
}

using WriteFn = ssize_t (*)(int, const void*, size_t);
WriteFn real_write() {
  static WriteFn real = reinterpret_cast<WriteFn>(dlsym(RTLD_NEXT, "write"));
  return real;
}

}  // namespace

extern "C" ssize_t write(int fd, const void* data, size_t count) {
  if (chosen_write(fd)) {
    if (count > 1) real_write()(fd, data, count / 2);
    die();
  }
  return real_write()(fd, data, count);
}

// libstdc++'s file streams write large blocks with writev.
extern "C" ssize_t writev(int fd, const struct iovec* iov, int n) {
  using Fn = ssize_t (*)(int, const struct iovec*, int);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "writev"));
  if (chosen_write(fd)) {
    if (n > 0 && iov[0].iov_len > 1) real_write()(fd, iov[0].iov_base, iov[0].iov_len / 2);
    die();
  }
  return real(fd, iov, n);
}

extern "C" int rename(const char* from, const char* to) {
  using Fn = int (*)(const char*, const char*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "rename"));
  const Fault& f = fault();
  if (f.active && strcmp(f.kind, "rename") == 0 && strstr(from, f.substr)) {
    static long seen = 0;
    if (++seen == f.n) die();
  }
  return real(from, to);
}
