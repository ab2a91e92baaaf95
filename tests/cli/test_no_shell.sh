#!/usr/bin/env bash
# No xrdid code starts a shell or another program: nothing read from a file (a CIF, a pattern,
# a library, a model) can reach a command line. Fails on any call of system, popen, the exec
# family, fork or posix_spawn in the engine's C++/CUDA sources.
# Usage: test_no_shell.sh SOURCE_DIR
set -euo pipefail
src=$1
pattern='(^|[^A-Za-z0-9_.>])(std::|::)?(system|popen|execl|execlp|execle|execv|execvp|execvpe|fexecve|fork|vfork|posix_spawnp?|wordexp)\('
scan() { grep -rEn --include='*.cpp' --include='*.hpp' --include='*.cu' --include='*.cuh' --include='*.inc' "$pattern" "$@" || true; }

# The check itself must catch a call (so that an empty result means something).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int f() { return std::system("ls"); }\nvoid g() { FILE* p = popen(cmd, "r"); execvp(a, b); }\n' >"$probe/probe.cpp"
if [[ $(scan "$probe" | wc -l) -ne 2 ]]; then
  echo "FAIL: the scan does not find the planted calls"; exit 1
fi

dirs=()
for d in app augment common compute denoise identify io kernels nn train xrd; do [[ -d $src/$d ]] && dirs+=("$src/$d"); done
hits=$(scan "${dirs[@]}")
if [[ -n $hits ]]; then
  echo "FAIL: xrdid sources start a shell or a program:"; echo "$hits"; exit 1
fi
echo "ok: no shell or program is started from ${#dirs[@]} source folders"
