#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan), replays every kept regression input
# (tests/data/fuzz-regressions/<target>/), then fuzzes each target for SECONDS (default 60),
# as many at once as there are cores (FUZZ_JOBS overrides).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 25; scripts/fuzz.sh 3600 fuzz_cif
# FUZZ_RUNS=N also stops each target after N executions (the campaign in docs/robustness.md).
# Seeds: tests/data (CIFs, measured patterns), fuzz/seeds, the regression inputs, and measured
# files (< 16 KiB) under $XRDID_DATA/measured when that is set. New corpus entries collect in
# build-fuzz/corpus/<target>; a crash leaves its input in build-fuzz/artifacts/<target>/ and
# makes the script fail. build-fuzz/summary.txt lists executions and time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=(fuzz_cif fuzz_pattern_text fuzz_pattern_xrdml fuzz_pattern_ras fuzz_pattern_pdcif fuzz_library fuzz_safetensors
     fuzz_model_config)
targets=("$@")
(( ${#targets[@]} )) || targets=("${all[@]}")
jobs=${FUZZ_JOBS:-$(nproc)}
B=${FUZZ_BUILD_DIR:-build-fuzz}
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)

CC=clang CXX=clang++ cmake -S . -B "$B" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXRDID_FUZZ=ON \
  -DXRDID_CUDA=OFF >/dev/null
cmake --build "$B" -j"$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Longest input per target: long enough for every structure the format has, short enough to
# keep executions fast (big measured files add no code paths, only time).
max_len_of() { case $1 in fuzz_cif) echo 32768 ;; fuzz_pattern_*) echo 16384 ;; *) echo 8192 ;; esac; }

dict_of() { case $1 in fuzz_pattern_text) echo text ;; *) echo "${1#fuzz_}" | sed 's/^pattern_//' ;; esac; }

# The seed folder of a target, assembled from the files that suit it.
seed_dir() {
  local t=$1 d="$B/seeds/$1"
  rm -rf "$d"; mkdir -p "$d"
  local files=()
  case $t in
    fuzz_cif) files=(tests/data/cif/*.cif tests/data/cif/*/*.cif) ;;
    fuzz_pattern_text) files=(tests/data/patterns/*.xy tests/data/patterns/*.csv tests/data/patterns/*.dat
                              tests/data/patterns/*.txt) ;;
    fuzz_pattern_xrdml) files=(tests/data/patterns/*.xrdml) ;;
    fuzz_pattern_ras) files=(tests/data/patterns/*.ras) ;;
    fuzz_pattern_pdcif) files=(tests/data/patterns/*.cif) ;;
    fuzz_library) files=(fuzz/seeds/library/*) ;;
    fuzz_safetensors) files=(fuzz/seeds/safetensors/*) ;;
    fuzz_model_config) files=(fuzz/seeds/model_config/*) ;;
  esac
  if [[ -n "${XRDID_DATA:-}" && -d "$XRDID_DATA/measured" ]]; then
    local pat=""
    case $t in
      fuzz_pattern_text) pat='.*\.\(xy\|xye\|csv\|txt\|dat\)' ;;
      fuzz_pattern_xrdml) pat='.*\.xrdml' ;;
      fuzz_pattern_ras) pat='.*\.ras' ;;
      fuzz_pattern_pdcif) pat='.*\.cif' ;;
    esac
    if [[ -n $pat ]]; then
      while IFS= read -r f; do files+=("$f"); done < <(find "$XRDID_DATA/measured" -iregex "$pat" -size -16k | sort | head -40)
    fi
  fi
  local i=0
  for f in "${files[@]}"; do [[ -f $f ]] && cp "$f" "$d/seed$((i++))-$(basename "$f")"; done
  echo "$d"
}

status=0
# 1. Regression inputs: each runs once; any crash fails the script at once.
for t in "${targets[@]}"; do
  r=tests/data/fuzz-regressions/${t#fuzz_}
  if compgen -G "$r/*" >/dev/null; then
    if ! "$B/fuzz/$t" -runs=1 "$r"/* >"$B/$t.replay.log" 2>&1; then
      echo "fuzz: $t fails on a kept regression input (see $B/$t.replay.log)"; tail -30 "$B/$t.replay.log"; exit 1
    fi
    echo "fuzz: $t replays $(ls "$r" | wc -l) regression inputs"
  fi
done

# 2. Fuzzing.
run_one() {
  local t=$1 corpus="$B/corpus/$1" art="$B/artifacts/$1/"
  mkdir -p "$corpus" "$art"
  local seeds; seeds=$(seed_dir "$t")
  local regr=tests/data/fuzz-regressions/${t#fuzz_}
  local extra=(); [[ -d $regr ]] && extra+=("$regr")
  local start=$SECONDS rc=0
  local runs=(); [[ -n "${FUZZ_RUNS:-}" ]] && runs=(-runs="$FUZZ_RUNS")
  "$B/fuzz/$t" -max_total_time="$seconds" "${runs[@]}" -timeout=20 -rss_limit_mb=2560 -max_len="$(max_len_of "$t")" -print_final_stats=1 \
    -dict="fuzz/dict/$(dict_of "$t").dict" -artifact_prefix="$art" "$corpus" "$seeds" "${extra[@]}" \
    >"$B/$t.log" 2>&1 || rc=$?
  local execs; execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$B/$t.log" | grep -o '[0-9]*$' || echo "?")
  printf '%-20s %12s execs %6ss  %s\n' "$t" "$execs" "$((SECONDS - start))" "$([[ $rc == 0 ]] && echo ok || echo "FAILED rc=$rc")"
  return $rc
}

rm -f "$B/summary.txt"
pids=()
for t in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || status=1; done
  run_one "$t" >>"$B/summary.txt" &
done
while (( $(jobs -rp | wc -l) > 0 )); do wait -n || status=1; done
cat "$B/summary.txt"
if (( status )); then
  for t in "${targets[@]}"; do
    if grep -q "ERROR\|==ERROR\|runtime error" "$B/$t.log" 2>/dev/null; then
      echo "---- $t"; grep -m1 -A25 "ERROR\|runtime error" "$B/$t.log"
    fi
  done
  echo "fuzz: a target failed; inputs are in $B/artifacts/"
fi
exit $status
