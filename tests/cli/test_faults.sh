#!/usr/bin/env bash
# Faults around xrdid's files: a training killed (SIGKILL) at random points and while writing
# its checkpoint, then resumed; full disks; missing and read-only output folders; outputs that
# name inputs; concurrent readers; files replaced while a process reads them.
# Usage: test_faults.sh PATH/TO/xrdid REPO_ROOT [PATH/TO/fault_inject.so]
# XRDID_FAULT_SEED=N repeats a run's random kill times (the seed is printed).
set -u
X=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$2
SHIM=${3:-}
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect CODE DESCRIPTION -- command...   (CODE: 0 or "nz" for non-zero; a signal is never expected)
expect() {
  local code=$1 desc=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [[ $code == 0 && $rc -ne 0 ]] || [[ $code == nz && ($rc -eq 0 || $rc -ge 128) ]]; then
    bad "$desc (exit $rc)"; sed 's/^/  | /' "$T/err" | head -5
  else
    ok
  fi
}
contains() {  # contains FILE TEXT DESC
  if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; sed 's/^/  | /' "$1" | head -5; fi
}
one_line() {  # one_line FILE DESC: exactly one line, an xrdid error
  if [[ $(wc -l <"$1") -eq 1 ]] && grep -q '^xrdid: error: ' "$1"; then ok
  else bad "$2: not one 'xrdid: error:' line"; sed 's/^/  | /' "$1" | head -5; fi
}
same_file() {  # same_file A B DESC
  if cmp -s "$1" "$2"; then ok; else bad "$3: $1 and $2 differ"; fi
}
no_temps() {  # no_temps DIR DESC: no temporary (".NAME.tmp…") left in DIR
  local left
  left=$(find "$1" -maxdepth 1 -name '.*.tmp*' -printf '%f ')
  if [[ -z $left ]]; then ok; else bad "$2: temporaries left in $1: $left"; fi
}
section_start=$SECONDS
section() {
  echo "-- $1 (previous section $((SECONDS - section_start)) s)"
  section_start=$SECONDS
}
# The tensor data of a safetensors file (everything after the 8-byte length and the JSON header).
data_of() {
  local hlen
  hlen=$(od -An -tu8 -N8 "$1" | tr -d ' ')
  tail -c +$((9 + hlen)) "$1"
}
# Runs a command with SIGKILL injected at a write (XRDID_FAULT, tests/cli/fault_inject.cpp).
faulted() {
  local spec=$1
  shift
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" LD_PRELOAD="$SHIM" XRDID_FAULT="$spec" "$@"
}
# Runs a command on a "full disk": files may grow to KIB KiB; a longer write fails (EFBIG).
full_disk() {
  local kib=$1
  shift
  (trap '' XFSZ; ulimit -f "$kib"; exec "$@")
}

mkdir -p "$T/data"
cp "$ROOT"/data/phases/*.cif "$T/data/"
"$X" simulate "$ROOT/data/phases/NaCl.cif" --range 10,80 -o "$T/nacl.xy" >/dev/null 2>&1

# ---------------------------------------------------------------------------------------------
section "training killed and resumed"
TRAIN_ANY=("$X" train "$T/data" --config tiny --epochs 4 --copies 4 --batch 4 --seed 7 --no-progress)
TRAIN=("${TRAIN_ANY[@]}" --threads 1)
ms() { date +%s%3N; }
# Waits (up to 5 s) until the training in the background has simulated its data.
wait_training() {
  for _ in $(seq 500); do grep -q '^training on' "$1" 2>/dev/null && return; sleep 0.01; done
}
mkdir -p "$T/ref"
"${TRAIN[@]}" -o "$T/ref/m.safetensors" >"$T/ref/out" 2>"$T/ref/err" &
pid=$!
wait_training "$T/ref/err"
t0=$(ms)
wait "$pid" && ok || { bad "uninterrupted training"; sed 's/^/  | /' "$T/ref/err" | head -5; }
train_ms=$(( $(ms) - t0 ))  # the 4 epochs, without the data simulation
grep -c '^epoch ' "$T/ref/err" | grep -qx 4 && ok || bad "the reference run did not train 4 epochs"
# A resumed run ends bit-identical to the uninterrupted one: the best model byte for byte, the
# final checkpoint's tensors (weights and optimiser state; its metadata holds timings), and the
# learning curve without its seconds column.
same_as_ref() {  # same_as_ref DIR DESC
  same_file "$T/ref/m.safetensors" "$1/m.safetensors" "$2: best model"
  if cmp -s <(data_of "$T/ref/m.safetensors.ckpt") <(data_of "$1/m.safetensors.ckpt"); then ok
  else bad "$2: final checkpoint tensors differ from the uninterrupted run"; fi
  if cmp -s <(cut -d, -f1-8 "$T/ref/learning_curve.csv") <(cut -d, -f1-8 "$1/learning_curve.csv"); then ok
  else bad "$2: learning curve differs from the uninterrupted run"; fi
  no_temps "$1" "$2"
}

# Killed at random moments after training started, resumed each time, until it completes.
seed=${XRDID_FAULT_SEED:-$(( $$ % 30000 ))}
RANDOM=$seed
echo "random kill times from XRDID_FAULT_SEED=$seed"
# A machine busier during these runs than during the reference one can let a run finish before
# its kill; then the whole sequence starts again (at most 3 times) until 2 kills land mid-training.
for sequence in 1 2 3; do
  rm -rf "$T/kill" && mkdir -p "$T/kill"
  kills=0 mid=0 resumed=0 done_epochs=0
  for attempt in 1 2 3 4 5 6; do
    args=(-o "$T/kill/m.safetensors")
    [[ -e $T/kill/m.safetensors.ckpt ]] && args+=(--resume) && resumed=$((resumed + 1))
    "${TRAIN[@]}" "${args[@]}" >"$T/kill/out" 2>"$T/kill/err" &
    pid=$!
    if [[ $attempt -le 4 ]]; then
      # A kill at a random moment of what is left to train: at 0-70 % of the remaining epochs'
      # time. The first run is killed after its first checkpoint (the kill before it is tested
      # below), so that every later run resumes.
      if [[ $attempt -eq 1 ]]; then
        for _ in $(seq 1000); do grep -q '^epoch 1/' "$T/kill/err" 2>/dev/null && break; sleep 0.01; done
        done_epochs=1
        since="its first epoch"
      else
        wait_training "$T/kill/err"
        since="it started training"
      fi
      left_ms=$(( train_ms * (4 - done_epochs) / 4 * 7 / 10 + 1 ))
      r=$(( (RANDOM * 32768 + RANDOM) % left_ms ))
      delay=$(printf '%d.%03d' $((r / 1000)) $((r % 1000)))
      sleep "$delay"
      if kill -KILL "$pid" 2>/dev/null; then
        kills=$((kills + 1))
        n=$(grep -c '^epoch ' "$T/kill/err")
        echo "   run $attempt killed $delay s after $since ($n epochs done in this run)"
        [[ $attempt -eq 1 ]] && done_epochs=$n || done_epochs=$((done_epochs + n))
        [[ $done_epochs -lt 4 ]] && mid=$((mid + 1))
      fi
    fi
    wait "$pid" 2>/dev/null
    rc=$?
    [[ $rc -eq 0 ]] && break
    [[ $rc -eq 137 ]] || { bad "killed training: run $attempt ended with $rc"; sed 's/^/  | /' "$T/kill/err" | head -3; break; }
  done
  [[ $mid -ge 2 && $resumed -ge 2 ]] && break
  echo "   sequence $sequence: $mid kills landed mid-training; again"
done
echo "   $kills kills, $mid during training, $resumed resumes (the 4 epochs take $train_ms ms)"
[[ $mid -ge 2 && $resumed -ge 2 ]] && ok || bad "fewer than 2 random kills interrupted the training and were resumed"
same_as_ref "$T/kill" "killed at random and resumed"
# Exactness holds for the same thread count; another one is named when resuming.
cp -r "$T/ref" "$T/threads"
expect 0 "resume with another thread count" -- "${TRAIN_ANY[@]}" --threads 2 -o "$T/threads/m.safetensors" --resume
contains "$T/err" "not bit-identically" "resuming with another thread count says so"

if [[ -n $SHIM && -f $SHIM ]]; then
  # Killed while writing the 3rd checkpoint (half of its 4th write done), and just before the
  # 3rd checkpoint's complete temporary is renamed into place: the 2nd checkpoint stays, and
  # --resume ends like the uninterrupted run (and removes the dead run's temporary).
  for spec in "write:.ckpt.tmp:3:4" "rename:.ckpt.tmp:3" "write:m.safetensors.tmp:2:2"; do
    d="$T/ck-${spec//[:.]/_}"
    mkdir -p "$d"
    faulted "$spec" "${TRAIN[@]}" -o "$d/m.safetensors" >"$d/out" 2>"$d/err"
    rc=$?
    # The model is written at every epoch that improves on the best so far: how often depends on
    # the build's rounding (CPU path, compiler flags). A run whose best epoch is its first wrote
    # it once, and a fault at its second write has nothing to interrupt.
    if [[ $rc -eq 0 && $spec == write:m.safetensors* ]] &&
       grep -aq '"epoch":"1"' "$d/m.safetensors" 2>/dev/null; then
      echo "   ($spec: this build's training wrote its model once, at epoch 1; nothing to interrupt)"
      continue
    fi
    [[ $rc -eq 137 ]] && ok || bad "fault $spec did not kill the training (exit $rc)"
    if [[ $spec == *ckpt* ]]; then
      ls -a "$d" | grep -q '^\.m\.safetensors\.ckpt\.tmp' && ok || bad "fault $spec: no partial checkpoint left to test"
    fi
    expect 0 "resume after $spec" -- "${TRAIN[@]}" -o "$d/m.safetensors" --resume
    contains "$T/err" "resuming from .* at epoch [23]" "resume after $spec starts from the last complete checkpoint"
    same_as_ref "$d" "killed at $spec and resumed"
  done
  # Killed before the first checkpoint is in place: --resume says so in one line.
  d="$T/first"
  mkdir -p "$d"
  faulted "rename:.ckpt.tmp:1" "${TRAIN[@]}" -o "$d/m.safetensors" >/dev/null 2>&1
  [[ ! -e $d/m.safetensors.ckpt ]] && ok || bad "a checkpoint exists although its first rename was prevented"
else
  echo "   (no fault-injection library: the kills during checkpoint writes are skipped)"
  d="$T/first"
  mkdir -p "$d"
fi
# (Also killed during data simulation, before anything is written.)
"${TRAIN[@]}" -o "$d/m.safetensors" >/dev/null 2>&1 &
pid=$!
sleep 0.05
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
expect nz "--resume without a checkpoint" -- "${TRAIN[@]}" -o "$d/m.safetensors" --resume
one_line "$T/err" "--resume without a checkpoint"
contains "$T/err" "no checkpoint .*m.safetensors.ckpt" "--resume without a checkpoint names it"
if grep -q '^simulating' "$T/err"; then bad "--resume without a checkpoint simulated the data first"; else ok; fi
expect 0 "training again from the start" -- "${TRAIN[@]}" -o "$d/m.safetensors"
same_as_ref "$d" "killed before the first checkpoint, trained again"

# ---------------------------------------------------------------------------------------------
section "full disk"
# Every writer on a disk with room for a few KiB: a one-line error naming the file, the previous
# file intact, no temporary left.
mkdir -p "$T/full"
"$X" library build "$T/data" -o "$T/full/lib.xrdlib" >/dev/null 2>&1
cp "$T/full/lib.xrdlib" "$T/full/lib.before"
expect nz "library build on a full disk" -- full_disk 64 "$X" library build "$T/data" -o "$T/full/lib.xrdlib"
one_line "$T/err" "library build on a full disk"
contains "$T/err" "lib.xrdlib: write failed" "library build on a full disk names the file"
same_file "$T/full/lib.before" "$T/full/lib.xrdlib" "library kept on a full disk"
cp "$T/ref/m.safetensors" "$T/full/m.safetensors"
cp "$T/ref/m.safetensors.ckpt" "$T/full/m.safetensors.ckpt"
expect nz "train -o on a full disk" -- full_disk 8 "${TRAIN[@]}" -o "$T/full/m.safetensors"
grep -v '^simulating\|^[0-9]* patterns\|^training on' "$T/err" >"$T/err.train"
one_line "$T/err.train" "train -o on a full disk"
contains "$T/err" "m.safetensors: write failed" "train on a full disk names the model file"
same_file "$T/ref/m.safetensors" "$T/full/m.safetensors" "model kept on a full disk"
# Room for the model (17 KiB) but not the checkpoint (43 KiB).
expect nz "checkpoint on a full disk" -- full_disk 24 "${TRAIN[@]}" -o "$T/full/m.safetensors"
contains "$T/err" "m.safetensors.ckpt: write failed" "checkpoint on a full disk names the file"
same_file "$T/ref/m.safetensors.ckpt" "$T/full/m.safetensors.ckpt" "checkpoint kept on a full disk"
echo '<html>old report</html>' >"$T/full/r.html"
cp "$T/full/r.html" "$T/full/r.before"
expect nz "identify --report on a full disk" -- full_disk 64 "$X" identify "$T/nacl.xy" --library "$T/full/lib.xrdlib" \
  --report "$T/full/r.html" --report-fits 0
one_line "$T/err" "identify --report on a full disk"
contains "$T/err" "r.html: write failed" "report on a full disk names the file"
same_file "$T/full/r.before" "$T/full/r.html" "report kept on a full disk"
echo '{"old": true}' >"$T/full/fit.json"
cp "$T/full/fit.json" "$T/full/fit.before"
expect nz "fit --json -o on a full disk" -- full_disk 1 "$X" fit "$T/nacl.xy" --cif "$ROOT/data/phases/NaCl.cif" --json \
  --curves -o "$T/full/fit.json"
one_line "$T/err" "fit --json -o on a full disk"
same_file "$T/full/fit.before" "$T/full/fit.json" "JSON kept on a full disk"
echo "10 1" >"$T/full/d.xy"
expect nz "denoise -o on a full disk" -- full_disk 4 "$X" denoise "$T/nacl.xy" -o "$T/full/d.xy"
one_line "$T/err" "denoise -o on a full disk"
same_file <(echo "10 1") "$T/full/d.xy" "pattern kept on a full disk"
no_temps "$T/full" "full disk"
# Standard output on a full device: an error, not a silent success.
expect nz "identify --json to a full device" -- sh -c "\"$X\" identify \"$T/nacl.xy\" --library \"$T/full/lib.xrdlib\" --json >/dev/full"
one_line "$T/err" "identify --json to a full device"
contains "$T/err" "standard output" "a full standard output is named"
expect nz "simulate to a full device" -- sh -c "\"$X\" simulate \"$ROOT/data/phases/NaCl.cif\" >/dev/full"
one_line "$T/err" "simulate to a full device"

# ---------------------------------------------------------------------------------------------
section "output paths"
# A missing folder: refused before any work, one line naming the folder.
for cmd in "library build $T/data -o $T/nowhere/lib.xrdlib" \
           "train $T/data --config tiny --epochs 1 --copies 1 -o $T/nowhere/m.safetensors" \
           "identify $T/nacl.xy --library $T/full/lib.xrdlib --report $T/nowhere/r.html" \
           "fit $T/nacl.xy --cif $ROOT/data/phases/NaCl.cif --json -o $T/nowhere/f.json" \
           "denoise $T/nacl.xy -o $T/nowhere/d.xy" \
           "simulate $ROOT/data/phases/NaCl.cif -o $T/nowhere/s.xy"; do
  # shellcheck disable=SC2086
  expect nz "missing output folder: ${cmd%% *}" -- "$X" $cmd
  one_line "$T/err" "missing output folder: ${cmd%% *}"
  contains "$T/err" "nowhere" "missing output folder: ${cmd%% *} names it"
done
contains "$T/err" "does not exist" "a missing folder is called missing"
[[ ! -e $T/nowhere ]] && ok || bad "a command created the missing output folder"
# A read-only folder (root ignores permissions: checked only for other users).
if [[ $(id -u) -ne 0 ]]; then
  mkdir -p "$T/ro"
  cp "$T/full/lib.xrdlib" "$T/ro/lib.xrdlib"
  chmod 555 "$T/ro"
  expect nz "library build into a read-only folder" -- "$X" library build "$T/data" -o "$T/ro/new.xrdlib"
  one_line "$T/err" "library build into a read-only folder"
  contains "$T/err" "cannot write" "read-only folder message"
  expect nz "train into a read-only folder" -- "${TRAIN[@]}" -o "$T/ro/m.safetensors"
  one_line "$T/err" "train into a read-only folder"
  expect nz "identify --report into a read-only folder" -- "$X" identify "$T/nacl.xy" --library "$T/ro/lib.xrdlib" \
    --report "$T/ro/r.html"
  one_line "$T/err" "identify --report into a read-only folder"
  expect nz "denoise into a read-only folder" -- "$X" denoise "$T/nacl.xy" -o "$T/ro/d.xy"
  one_line "$T/err" "denoise into a read-only folder"
  contains "$T/err" "Permission denied" "denoise into a read-only folder says why"
  [[ $(ls -A "$T/ro") == lib.xrdlib ]] && ok || bad "something was written into the read-only folder: $(ls -A "$T/ro")"
  chmod 755 "$T/ro"
else
  echo "   (running as root: the read-only folder checks are skipped)"
fi
# An output that is one of the inputs: refused where it would replace a source with something else.
mkdir -p "$T/same"
cp "$ROOT/data/phases/NaCl.cif" "$ROOT/data/phases/Si.cif" "$T/same/"
cp "$T/same/NaCl.cif" "$T/same/NaCl.before"
expect nz "library build -o one of its CIFs" -- "$X" library build "$T/same" -o "$T/same/NaCl.cif"
one_line "$T/err" "library build -o one of its CIFs"
contains "$T/err" "is also an input" "library build -o an input says so"
expect nz "library build -o an input spelled differently" -- "$X" library build "$T/same" -o "$T/same/../same/./NaCl.cif"
expect nz "train -o one of its CIFs" -- "$X" train "$T/same" --config tiny --epochs 1 --copies 2 --no-progress \
  -o "$T/same/NaCl.cif"
one_line "$T/err" "train -o one of its CIFs"
expect nz "simulate -o its CIF" -- "$X" simulate "$T/same/NaCl.cif" -o "$T/same/NaCl.cif"
one_line "$T/err" "simulate -o its CIF"
same_file "$T/same/NaCl.before" "$T/same/NaCl.cif" "a refused output left its input intact"
cp "$T/nacl.xy" "$T/same/p.xy"
expect nz "identify --report over its pattern" -- "$X" identify "$T/same/p.xy" --library "$T/full/lib.xrdlib" \
  --report "$T/same/p.xy"
same_file "$T/nacl.xy" "$T/same/p.xy" "identify --report left its pattern intact"
# denoise in place is allowed: the input is read whole, the output written atomically.
expect 0 "denoise to a separate file" -- "$X" denoise "$T/same/p.xy" -o "$T/same/d.xy"
expect 0 "denoise in place" -- "$X" denoise "$T/same/p.xy" -o "$T/same/p.xy"
if cmp -s <(grep -v '^#' "$T/same/d.xy") <(grep -v '^#' "$T/same/p.xy"); then ok
else bad "denoise in place differs from denoise to another file"; fi
no_temps "$T/same" "outputs over inputs"

# ---------------------------------------------------------------------------------------------
section "concurrent readers, files replaced while read"
LIB="$T/full/lib.xrdlib"
MODEL="$T/ref/m.safetensors"
ID=("$X" identify "$T/nacl.xy" --method hybrid --json --top 5)
expect 0 "identify alone" -- "${ID[@]}" --library "$LIB" --model "$MODEL"
cp "$T/out" "$T/conc.serial"
"${ID[@]}" --library "$LIB" --model "$MODEL" >"$T/conc.1" 2>"$T/conc.1.err" &
p1=$!
"${ID[@]}" --library "$LIB" --model "$MODEL" >"$T/conc.2" 2>"$T/conc.2.err" &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
[[ $r1 -eq 0 && $r2 -eq 0 ]] && ok || bad "two identify processes on one library: exits $r1 $r2"
same_file "$T/conc.serial" "$T/conc.1" "concurrent identify 1"
same_file "$T/conc.serial" "$T/conc.2" "concurrent identify 2"
# Two versions of the library (all phases; five phases) and of the model (seed; measured input),
# renamed over the paths in use again and again while identify runs: each run ends with one
# version's answer, or one error line — never a crash, never a mixture.
mkdir -p "$T/swap" "$T/m2"
ls "$T/data"/*.cif | head -5 | xargs -I{} cp {} "$T/m2/"
"$X" library build "$T/m2" -o "$T/swap/lib.B" >/dev/null 2>&1
cp "$LIB" "$T/swap/lib.A"
"$X" train "$T/data" --config tiny --epochs 1 --copies 2 --batch 8 --seed 3 --threads 1 --no-progress \
  --augment measured -o "$T/swap/m.B" >/dev/null 2>&1
cp "$MODEL" "$T/swap/m.A"
for v in A B; do
  for w in A B; do
    "${ID[@]}" --library "$T/swap/lib.$v" --model "$T/swap/m.$w" >"$T/swap/want.$v$w" 2>/dev/null
  done
done
cmp -s "$T/swap/want.AA" "$T/swap/want.AB" && bad "the two models give the same answer (the swap test sees nothing)"
cmp -s "$T/swap/want.AA" "$T/swap/want.BA" && bad "the two libraries give the same answer (the swap test sees nothing)"
# A background process renames (hard links of) the other version over lib and m as fast as it
# can until $T/swap/stop exists; it counts its swaps in $T/swap/count.
swapper() {
  if command -v python3 >/dev/null; then
    python3 -S - "$T/swap" <<'PY'
import os, sys
d = sys.argv[1]
n = 0
while not os.path.exists(f"{d}/stop"):
    v = "AB"[n % 2]
    for name in ("lib", "m"):
        try:
            os.unlink(f"{d}/.{name}.new")  # renaming a link over its own file leaves it
        except FileNotFoundError:
            pass
        os.link(f"{d}/{name}.{v}", f"{d}/.{name}.new")
        os.replace(f"{d}/.{name}.new", f"{d}/{name}")
    n += 1
    if n == 10:
        open(f"{d}/ready", "w").close()
with open(f"{d}/count", "w") as f:
    f.write(str(n))
PY
  else
    local n=0 v name
    while [[ ! -e $T/swap/stop ]]; do
      v=$([[ $((n % 2)) -eq 0 ]] && echo B || echo A)
      for name in lib m; do ln -f "$T/swap/$name.$v" "$T/swap/.$name.new" && mv -f "$T/swap/.$name.new" "$T/swap/$name"; done
      n=$((n + 1))
      [[ $n -eq 10 ]] && : >"$T/swap/ready"
    done
    echo "$n" >"$T/swap/count"
  fi
}
cp "$T/swap/lib.A" "$T/swap/lib"
cp "$T/swap/m.A" "$T/swap/m"
swapper &
swapper_pid=$!
for _ in $(seq 500); do [[ -e $T/swap/ready ]] && break; sleep 0.01; done
outcomes=""
for run in $(seq 10); do
  "${ID[@]}" --library "$T/swap/lib" --model "$T/swap/m" >"$T/swap/got" 2>"$T/swap/err"
  rc=$?
  if [[ $rc -eq 0 ]]; then
    got=""
    for k in AA AB BA BB; do cmp -s "$T/swap/got" "$T/swap/want.$k" && got=$k; done
    [[ -n $got ]] && ok || bad "identify during swaps (run $run): an answer of neither version"
    outcomes+="${got:-?} "
  elif [[ $rc -lt 128 ]]; then
    one_line "$T/swap/err" "identify during swaps (run $run)"
    outcomes+="error "
  else
    bad "identify during swaps (run $run) died with signal $((rc - 128))"
  fi
done
: >"$T/swap/stop"
wait "$swapper_pid"
n=$(cat "$T/swap/count" 2>/dev/null || echo 0)
[[ $n -ge 10 ]] && ok || bad "the files were not replaced while identify ran ($n swaps)"
echo "   identify while its files were replaced ($n swaps in all): $outcomes"
section "done"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
