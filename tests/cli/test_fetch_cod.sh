#!/usr/bin/env bash
# scripts/fetch_cod.sh against a miniature COD (tests/data/cod_server) served by python3 on 127.0.0.1.
# Usage: test_fetch_cod.sh REPO_ROOT   (prints "N passed, M failed"; exit 1 if anything failed)
set -u
ROOT=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
FETCH="$ROOT/scripts/fetch_cod.sh"
SRV="$ROOT/tests/data/cod_server"
for tool in curl python3 timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skip: $tool is not installed (scripts/install_deps.sh installs curl)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
  fi
done
# Never go through a proxy for the local server.
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

T=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }  # check DESC CONDITION
contains() {  # contains FILE TEXT DESC
  if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; sed 's/^/  | /' "$1" | head -12; fi
}
# run CODE DESC -- args...: runs the fetcher (bounded to 60 s), expecting exit CODE.
run() {
  local code=$1 desc=$2
  shift 3
  timeout 60 bash "$FETCH" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [[ $rc -eq $code ]]; then ok; else bad "$desc (exit $rc, expected $code)"; sed 's/^/  | /' "$T/out" "$T/err" | head -20; fi
}

# Server on a free port chosen by the kernel (port 0); it prints the port it got.
# http.server drops the query string, so /cod/result?el1=...&format=urls serves cod/result.
timeout 300 python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$SRV" >"$T/server.out" 2>"$T/server.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$T/server.out" | head -1)
  [[ -n $port ]] && break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "FAIL: the local HTTP server did not start"; cat "$T/server.log"
  echo "0 passed, 1 failed"
  exit 1
fi
BASE="http://127.0.0.1:$port"

# Usage errors exit 2.
run 0 "--help" -- --help
contains "$T/out" "--elements" "help text"
run 2 "no output folder" -- --ids 1000001
run 2 "both --ids and --elements" -- --ids 1000001 --elements Li -o "$T/x"
run 2 "bad element symbol" -- --elements Li,oxygen -o "$T/x"
run 2 "bad --jobs" -- --ids 1000001 --jobs many -o "$T/x"

# By id list: a URL, a bare id, a comment, a missing id, an HTML page, a token that is no id.
cat >"$T/ids.txt" <<'EOF'
# test list
http://www.crystallography.net/cod/1000001.cif
1000003
9999999
http://www.crystallography.net/cod/1000004.cif
not-an-id
1000001
EOF
D="$T/ids"
run 1 "ids with failures exits 1" -- --ids "$T/ids.txt" -o "$D" --base "$BASE" --jobs 3 --retries 1 --timeout 10
contains "$T/out" "2 downloaded, 0 skipped (already present), 3 failed" "ids summary"
contains "$T/out" "failed 9999999: HTTP 404" "missing id reason"
contains "$T/out" "failed 1000004: not a CIF" "HTML page rejected"
contains "$T/out" "'not-an-id': not a COD id" "bad token reported"
check "1000001.cif matches the server copy" "cmp -s '$D/1000001.cif' '$SRV/cod/1000001.cif'"
check "1000003.cif matches the server copy" "cmp -s '$D/1000003.cif' '$SRV/cod/1000003.cif'"
check "the HTML page was not kept" "[[ ! -e '$D/1000004.cif' ]]"
check "nothing written for the missing id" "[[ ! -e '$D/9999999.cif' ]]"
check "no temporary files left" "[[ \$(ls -A '$D' | wc -l) -eq 2 ]]"

# Second run: present files are skipped; a file that is not a CIF is fetched again.
run 0 "rerun skips present files" -- --ids 1000001,1000003 -o "$D" --base "$BASE" -q
contains "$T/out" "0 downloaded, 2 skipped" "rerun summary"
echo "<html>truncated</html>" >"$D/1000003.cif"
run 0 "invalid local file is replaced" -- --ids "1000001 1000003" -o "$D" --base "$BASE" -q
contains "$T/out" "1 downloaded, 1 skipped" "replace summary"
check "replaced file is the CIF" "cmp -s '$D/1000003.cif' '$SRV/cod/1000003.cif'"

# By element query: the request must use COD's parameters, and the listed CIFs arrive.
E="$T/elements"
run 0 "element query" -- --elements Li,O --strictmax 2 -o "$E" --base "$BASE" --jobs 2
contains "$T/server.log" "GET /cod/result?el1=Li&el2=O&strictmax=2&format=urls" "query parameters"
contains "$T/out" "2 downloaded, 0 skipped (already present), 0 failed" "query summary"
check "query files present" "[[ -s '$E/1000001.cif' && -s '$E/1000002.cif' && ! -e '$E/1000003.cif' ]]"

# A server that is not there: the query fails with exit 1, quickly.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
run 1 "unreachable server" -- --elements Fe -o "$T/none" --base "http://127.0.0.1:$closed" --retries 0 --timeout 5
contains "$T/out" "query failed" "unreachable summary"

# wget fallback: a PATH holding the script's tools but no curl.
if command -v wget >/dev/null 2>&1; then
  mkdir -p "$T/bin"
  for c in bash env wget grep sed tr awk mktemp mkdir rm find xargs wc head mv chmod cat cmp ls; do
    p=$(command -v "$c") && ln -sf "$p" "$T/bin/$c"
  done
  W="$T/wget"
  PATH="$T/bin" "$(command -v timeout)" 60 "$T/bin/bash" "$FETCH" --ids 1000002,9999999 -o "$W" --base "$BASE" --retries 0 \
    --timeout 10 -q >"$T/out" 2>"$T/err"
  rc=$?
  [[ $rc -eq 1 ]] || sed 's/^/  | /' "$T/err" | head -5
  check "wget fallback exits 1 for the missing id (got $rc)" "[[ $rc -eq 1 ]]"
  contains "$T/out" "1 downloaded, 0 skipped (already present), 1 failed" "wget summary"
  check "wget fallback file" "cmp -s '$W/1000002.cif' '$SRV/cod/1000002.cif'"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
