#!/usr/bin/env bash
# Command-line behaviour of `xrdid`: help, exit codes, one-line errors, no half-written files.
# Usage: run_cli_tests.sh PATH/TO/xrdid REPO_ROOT
set -u
X=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: some checks change directory
ROOT=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect CODE DESCRIPTION -- command...   (CODE: 0 or "nz" for non-zero)
expect() {
  local code=$1 desc=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [[ $code == 0 && $rc -ne 0 ]] || [[ $code == nz && $rc -eq 0 ]]; then
    bad "$desc (exit $rc)"; sed 's/^/  | /' "$T/err" | head -5
  else
    ok
  fi
}
contains() {  # contains FILE TEXT DESC
  if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; sed 's/^/  | /' "$1" | head -5; fi
}

expect 0 "xrdid --help" -- "$X" --help
contains "$T/out" "model" "top-level help lists subcommands"
expect nz "no subcommand" -- "$X"
expect nz "unknown subcommand" -- "$X" frobnicate
expect 0 "model --help" -- "$X" model --help
contains "$T/out" "--bench" "model help"

expect 0 "model --config seed" -- "$X" model --config seed
contains "$T/out" "trainable parameters (backbone): 30654000" "seed parameter count"
contains "$T/out" "6000 -> 3000 -> 1500 -> 750 -> 375 -> 188 -> 94 -> 47 -> 24" "seed lengths"
expect nz "unknown config" -- "$X" model --config nonsense
contains "$T/err" "unknown model config" "unknown config message"
[[ $(wc -l <"$T/err") -eq 1 ]] && ok || bad "unknown config: error is not one line"
expect nz "bad --bench value" -- "$X" model --bench sideways
expect nz "negative batch" -- "$X" model --bench infer --batch -3
echo '{"name": "broken", "filter_list": [8, 16], "m_blocks_list": [1]}' >"$T/bad.json"
expect nz "inconsistent JSON config" -- "$X" model --config "$T/bad.json"
contains "$T/err" "equal length" "inconsistent config message"
echo '{"name": ' >"$T/trunc.json"
expect nz "truncated JSON config" -- "$X" model --config "$T/trunc.json"
contains "$T/err" "invalid JSON" "truncated config message"
expect 0 "tiny bench runs" -- "$X" model --config tiny --bench train --batch 2 --classes 5 --steps 1 --warmup 0
contains "$T/out" "ms_per_step=" "bench prints ms_per_step"
expect 0 "tiny bench on the planned engine" -- "$X" model --config tiny --bench train --batch 2 --classes 5 --steps 1 \
  --warmup 0 --engine planned
contains "$T/err" "engine: planned (cpu)" "bench names its engine"
expect 0 "planned memory of the seed model" -- "$X" model --config seed --memory --batch 16
contains "$T/out" "training step activations + gradients: 1.30 GB" "seed batch-16 training plan size"
contains "$T/out" "inference: parameters 0.16 GB" "seed inference keeps parameters only"

# Subcommands added by other stages: only checked when present.
if "$X" --help | grep -q simulate; then
  cif=$(ls "$ROOT"/tests/data/cif/*.cif 2>/dev/null | head -1)
  if [[ -n $cif ]]; then
    expect 0 "simulate a CIF" -- "$X" simulate "$cif" -o "$T/p.xy"
    [[ -s $T/p.xy ]] && ok || bad "simulate wrote no file"
  fi
  printf 'data_x\n_cell_length_a 4\n' >"$T/broken.cif"
  expect nz "simulate a broken CIF" -- "$X" simulate "$T/broken.cif" -o "$T/q.xy"
  [[ ! -e $T/q.xy ]] && ok || bad "broken CIF left an output file"
fi
if "$X" --help | grep -q denoise; then
  : >"$T/empty.xy"
  expect nz "denoise an empty pattern" -- "$X" denoise "$T/empty.xy" -o "$T/d.xy"
  [[ ! -e $T/d.xy ]] && ok || bad "empty pattern left an output file"
fi

# Library, training, identification on the bundled phases (tiny settings).
if "$X" --help | grep -q identify; then
  expect 0 "library build of the bundled phases" -- "$X" library build "$ROOT/data/phases" -o "$T/ph.xrdlib"
  ! grep -q "^warning" "$T/err" && ok || bad "the bundled phases drew an incomplete-CIF warning"
  mkdir -p "$T/light" && cp "$ROOT/data/phases/NaCl.cif" "$T/light/"
  printf 'data_na\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n_symmetry_space_group_name_H-M %s\nloop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 Na 0 0 0\n' "'P 1'" >"$T/light/Na_only.cif"
  expect 0 "library build with an incomplete CIF" -- "$X" library build "$T/light" -o "$T/light.xrdlib"
  contains "$T/err" "1 entries hold atoms that would fill less than 0.5 of their cells" "incomplete CIF draws the warning"
  contains "$T/err" "Na_only.cif: Na1, P m -3 m (declared P 1), fill 0.22, 0.21 g/cm3" \
    "the warning names the file, its detected and declared space group, its fill and its density"
  expect 0 "library info of a library with an incomplete CIF" -- "$X" library info "$T/light.xrdlib"
  contains "$T/out" "fill        1 entries hold atoms that would fill less than 0.5" "library info counts the incomplete CIFs"
  contains "$T/out" "records     1 entries declare P 1 and record only part of a structure" \
    "library info counts the partial records"
  expect 0 "train tiny for 1 epoch" -- "$X" train "$ROOT/data/phases" -o "$T/m.safetensors" --config tiny --epochs 1 \
    --copies 2 --no-progress
  [[ -s $T/m.safetensors && -s $T/m.safetensors.ckpt && -s $T/learning_curve.csv ]] && ok || bad "train wrote no model/ckpt/curve"
  expect 0 "train with --plot" -- "$X" train "$ROOT/data/phases" -o "$T/m3.safetensors" --config tiny --epochs 2 \
    --copies 1 --no-progress --plot "$T/curve.svg"
  contains "$T/curve.svg" "<polyline" "learning-curve SVG has curves"
  expect 0 "train from a library file" -- "$X" train "$T/ph.xrdlib" -o "$T/m2.safetensors" --config tiny --epochs 1 \
    --copies 1 --no-progress
  n_phases=$(find "$ROOT/data/phases" -maxdepth 1 -name '*.cif' | wc -l)
  contains "$T/err" "$n_phases structures" "training from a library reads its $n_phases CIFs"
  # A library built from relative paths, used from another directory, still finds its CIFs.
  mkdir -p "$T/rel/a" "$T/rel/b"
  cp "$ROOT/data/phases/NaCl.cif" "$ROOT/data/phases/Si.cif" "$T/rel/a/"
  (cd "$T/rel" && "$X" library build a -o b/rel.xrdlib >/dev/null 2>&1)
  expect 0 "train from a relative-path library elsewhere" -- "$X" train "$T/rel/b/rel.xrdlib" -o "$T/m4.safetensors" \
    --config tiny --epochs 1 --copies 2 --no-progress --augment measured
  contains "$T/err" "2 structures" "training from a moved-cwd library reads its 2 CIFs"
  "$X" simulate "$ROOT/data/phases/NaCl.cif" --range 10,80 -o "$T/nacl.xy" >/dev/null 2>&1
  expect 0 "identify by profile" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --top 3
  contains "$T/out" "NaCl" "profile finds NaCl"
  contains "$T/out" "assumed: the file gives none" "identify says the wavelength was assumed"
  expect 0 "identify --require in lower case" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --require na,cl
  contains "$T/out" "NaCl" "--require na,cl keeps NaCl"
  expect nz "identify --require with an unknown element" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --require Xx
  contains "$T/err" "--require: unknown element 'Xx'" "unknown element message"
  expect 0 "identify --wavelength" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --wavelength CuKa --json
  contains "$T/out" '"wavelength_from": "--wavelength option"' "JSON says where the wavelength came from"
  contains "$T/out" '"at_search_limit"' "JSON flags a shift or scale at its search limit"
  contains "$T/out" '"reference_incomplete": false' "JSON says a complete reference is complete"
  expect 0 "identify against a library with an incomplete CIF" -- "$X" identify "$T/nacl.xy" --library "$T/light.xrdlib" \
    --top 2 --json
  contains "$T/out" '"reference_incomplete": true' "JSON flags the reference whose CIF lacks atoms"
  expect 0 "identify against it, text" -- "$X" identify "$T/nacl.xy" --library "$T/light.xrdlib" --top 2 \
    --report "$T/light.html"
  contains "$T/out" "would fill 0.22 of its cell; the CIF probably lacks atoms" "text flags the reference whose CIF lacks atoms"
  contains "$T/light.html" "(CIF lacks atoms?)" "the report marks the reference whose CIF lacks atoms"
  expect 0 "identify --skip-incomplete" -- "$X" identify "$T/nacl.xy" --library "$T/light.xrdlib" --top 2 --json \
    --skip-incomplete
  ! grep -q '"reference_incomplete": true' "$T/out" && ok || bad "--skip-incomplete listed the reference that lacks atoms"
  contains "$T/out" '"reduced_formula": "NaCl"' "--skip-incomplete keeps the complete reference"
  # A mixture of NaCl and a minor phase known only from a CIF that lacks atoms (1 Si in a 4 Å cell).
  mkdir -p "$T/light2" && cp "$ROOT/data/phases/NaCl.cif" "$T/light2/"
  printf 'data_si\n_cell_length_a 4.0\n_cell_length_b 4.0\n_cell_length_c 4.0\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n_symmetry_space_group_name_H-M %s\nloop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nSi1 Si 0 0 0\n' "'P 1'" >"$T/light2/Si_only.cif"
  "$X" library build "$T/light2" -o "$T/light2.xrdlib" >/dev/null 2>&1
  "$X" simulate "$T/light2/Si_only.cif" --range 10,80 -o "$T/sio.xy" >/dev/null 2>&1
  paste "$T/nacl.xy" "$T/sio.xy" | awk '!/^#/ { printf "%s %.3f\n", $1, 50 + 60 * $2 + 10 * $4 }' >"$T/mix2.xy"
  phases() { python3 -c 'import json, sys; print(" ".join(p["id"] for p in json.load(open(sys.argv[1]))["queries"][0]["phases"]))' "$1"; }
  expect 0 "identify --mixture with a minor phase whose CIF lacks atoms" -- "$X" identify "$T/mix2.xy" \
    --library "$T/light2.xrdlib" --mixture --json
  [[ $(phases "$T/out") == NaCl ]] && ok || bad "a reference that lacks atoms joined a mixture: $(phases "$T/out")"
  expect 0 "identify --mixture --mixture-incomplete" -- "$X" identify "$T/mix2.xy" --library "$T/light2.xrdlib" \
    --mixture --mixture-incomplete --json
  [[ $(phases "$T/out") == "NaCl Si_only" ]] && ok || bad "--mixture-incomplete kept the reference out: $(phases "$T/out")"
  "$X" simulate "$T/light/Na_only.cif" --range 10,80 -o "$T/na.xy" >/dev/null 2>&1
  expect 0 "identify --mixture whose best row lacks atoms" -- "$X" identify "$T/na.xy" --library "$T/light.xrdlib" \
    --mixture --json
  [[ $(phases "$T/out") == Na_only ]] && ok || bad "the first phase is not the search's best row: $(phases "$T/out")"
  expect nz "identify with a CIF as the library" -- "$X" identify "$T/nacl.xy" --library "$ROOT/data/phases/NaCl.cif"
  contains "$T/err" "but a CIF" "CIF-as-library message"
  # Whole-pattern fit of one phase, and verification of the best rows by such fits.
  expect 0 "fit NaCl to its own pattern" -- "$X" fit "$T/nacl.xy" --cif "$ROOT/data/phases/NaCl.cif" --json -o "$T/fit.json"
  contains "$T/fit.json" '"rwp"' "fit JSON has Rwp"
  contains "$T/fit.json" '"cell"' "fit JSON has the refined cell"
  printf '10 1\n10.1 2\n10.2 1\n' >"$T/short.xy"
  expect nz "fit a 3-point pattern" -- "$X" fit "$T/short.xy" --cif "$ROOT/data/phases/NaCl.cif"
  contains "$T/err" "xrdid: error:" "fit of a too-short pattern: one error line"
  expect 0 "identify --verify" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --top 3 --verify 2 --json
  contains "$T/out" '"fit"' "verified rows carry their fit"
  # The report fits its best rows; where a fit is impossible (here: the CIF is gone) it says why
  # and keeps the static plot.
  expect 0 "identify --report fits the best rows" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --top 3 \
    --report "$T/fit.html"
  contains "$T/fit.html" 'Rwp [0-9.]* %' "the report's fit caption gives Rwp"
  contains "$T/fit.html" 'refined cell a = 5\.[0-9]*([0-9]*) Å' "the report's fit caption gives NaCl's refined cell"
  mkdir -p "$T/gone"
  cp "$ROOT/data/phases/NaCl.cif" "$T/gone/"
  "$X" library build "$T/gone" -o "$T/gone.xrdlib" >/dev/null 2>&1
  rm "$T/gone/NaCl.cif"
  expect 0 "identify --report without the CIF" -- "$X" identify "$T/nacl.xy" --library "$T/gone.xrdlib" \
    --report "$T/gone.html"
  contains "$T/gone.html" "no whole-pattern fit: .*NaCl" "an impossible fit is named with its reason"
  contains "$T/gone.html" "<svg" "an impossible fit keeps the static plot"
  expect 0 "identify --report --report-fits 0" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" \
    --report "$T/nofit.html" --report-fits 0
  if grep -q 'Whole-pattern fits' "$T/nofit.html"; then bad "--report-fits 0 still fits"; else ok; fi
  # eval: a labelled folder (NAME.xy beside NAME.cif), perturbations, and one clear error when
  # nothing can be scored.
  mkdir -p "$T/labelled"
  cp "$T/nacl.xy" "$T/labelled/NaCl.xy"
  cp "$ROOT/data/phases/NaCl.cif" "$T/labelled/NaCl.cif"
  expect 0 "eval a labelled folder" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" --perturb strain=0.005
  contains "$T/out" "100.0%" "eval finds NaCl under 0.5 % strain"
  ! grep -q "complete CIFs" "$T/out" && ok || bad "eval reports a complete-CIF subset when every label is complete"
  mkdir -p "$T/labelled2" && cp "$T/labelled/"* "$T/labelled2/" && cp "$T/nacl.xy" "$T/labelled2/Na_only.xy"
  cp "$T/light/Na_only.cif" "$T/labelled2/"
  expect 0 "eval with a label that lacks atoms" -- "$X" eval "$T/labelled2" --library "$T/ph.xrdlib" --ranks "$T/r2.csv"
  contains "$T/out" "(complete CIFs) 100.0%" "eval scores the patterns with complete labels apart"
  contains "$T/out" "1 of 2 patterns" "eval counts the patterns with complete labels"
  contains "$T/r2.csv" "Na_only,profile,0,.*,0.2" "the ranks file gives each label's fill"
  expect nz "eval with an unknown perturbation" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" --perturb twist=1
  contains "$T/err" "unknown perturbation 'twist'" "unknown perturbation message"
  expect nz "eval when no pattern survives the perturbation" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" \
    --perturb range=200:300
  contains "$T/err" "no pattern could be scored" "nothing-scored message"
  # The perturbed patterns written out, scored by the plain cosine search of scripts/peer_cosine.py.
  expect 0 "eval --write-perturbed" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" --perturb strain=0.005 \
    --write-perturbed "$T/perturbed"
  contains "$T/perturbed/NaCl.xy" "perturbed: strain=0.005" "the written pattern names its perturbation"
  expect 0 "identify a written perturbed pattern" -- "$X" identify "$T/perturbed/NaCl.xy" --library "$T/ph.xrdlib"
  contains "$T/out" "NaCl" "the written perturbed pattern is still NaCl"
  expect 0 "peer_cosine.py on the perturbed patterns" -- /usr/bin/python3 "$ROOT/scripts/peer_cosine.py" \
    "$T/ph.xrdlib" "$T/perturbed"
  contains "$T/out" "peer_cosine  100.0%" "the plain cosine search finds NaCl"
  expect nz "eval --write-perturbed without --perturb" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" \
    --write-perturbed "$T/perturbed2"
  cp "$T/labelled/NaCl.xy" "$T/nacl_before.xy"
  expect nz "eval --write-perturbed into the pattern folder" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" \
    --perturb strain=0.005 --write-perturbed "$T/labelled"
  contains "$T/err" "is the pattern folder" "write-perturbed refuses the pattern folder"
  if cmp -s "$T/labelled/NaCl.xy" "$T/nacl_before.xy"; then ok; else bad "the pattern folder was written to"; fi
  # Per-pattern ranks, and the cross-validated choice of a setting over folds (scripts/cv.py).
  expect 0 "eval --ranks" -- "$X" eval "$T/labelled" --library "$T/ph.xrdlib" --method profile peaks --ranks "$T/ranks.csv"
  contains "$T/ranks.csv" "NaCl,profile,1" "ranks CSV has the profile rank"
  contains "$T/ranks.csv" "NaCl,peaks," "ranks CSV has the peaks row"
  printf 'name,fold\nA,0\nB,0\nC,1\nD,1\n' >"$T/folds.csv"
  printf 'name,method,rank\nA,profile,1\nB,profile,2\nC,profile,1\nD,profile,0\n' >"$T/good.csv"
  printf 'name,method,rank\nA,profile,3\nB,profile,1\nC,profile,4\nD,profile,1\n' >"$T/other.csv"
  expect 0 "cv.py" -- python3 "$ROOT/scripts/cv.py" --folds "$T/folds.csv" good="$T/good.csv" other="$T/other.csv"
  contains "$T/out" "fold 0: chose other" "cv.py chooses on the other fold (equal top-1, better top-5)"
  contains "$T/out" "cross-validated estimate: top-1 50.0 %" "cv.py held-out estimate"
  printf 'name,method,rank,reference_fill\nA,profile,1,1.5\nB,profile,2,0.3\nC,profile,1,2\nD,profile,0,0.2\n' >"$T/fill.csv"
  expect 0 "cv.py --complete-only" -- python3 "$ROOT/scripts/cv.py" --complete-only --folds "$T/folds.csv" f="$T/fill.csv"
  contains "$T/out" "cross-validated estimate: top-1 100.0 %" "cv.py --complete-only leaves out the labels that lack atoms"
  expect nz "cv.py --complete-only without the column" -- python3 "$ROOT/scripts/cv.py" --complete-only --folds "$T/folds.csv" \
    g="$T/good.csv"
  contains "$T/err" "no reference_fill column" "cv.py --complete-only message"
  printf 'name,method,rank,reference_fill\nA,profile,1,abc\nB,profile,1,1\nC,profile,1,1\nD,profile,1,1\n' >"$T/badfill.csv"
  expect nz "cv.py --complete-only with a fill that is not a number" -- python3 "$ROOT/scripts/cv.py" --complete-only \
    --folds "$T/folds.csv" b="$T/badfill.csv"
  contains "$T/err" "reference_fill of A is not a number" "cv.py names the bad fill"
  { echo "name,method,rank,score1,score2,probability,chance1,volume1,reference_fill"
    echo "A,profile,1,0.9,0.5,0,0.1,0.1,1.5"; echo "B,profile,1,0.8,0.6,0,0.1,0.2,0.3"
    echo "C,profile,2,0.6,0.55,0,0.2,1.5,2"; echo "D,profile,1,0.85,0.4,0,0.1,0.1,1.2"; } >"$T/present.csv"
  { echo "name,method,rank,score1,score2,probability,chance1,volume1,reference_fill"
    echo "A,profile,0,0.5,0.45,0,0.3,2,1.5"; echo "B,profile,0,0.9,0.5,0,0.1,0.1,0.3"
    echo "C,profile,0,0.55,0.5,0,0.3,3,2"; echo "D,profile,0,0.5,0.48,0,0.3,2.5,1.2"; } >"$T/absent.csv"
  expect 0 "calibrate.py --train-complete-only" -- python3 "$ROOT/scripts/calibrate.py" --folds "$T/folds.csv" \
    --train-complete-only "$T/present.csv" "$T/absent.csv"
  contains "$T/out" "fitted on the 6 examples whose true CIF is complete, scored on all" \
    "calibrate.py fits on the complete-CIF examples"
  contains "$T/out" "== profile: 8 examples" "calibrate.py --train-complete-only scores every example"
  expect 0 "calibrate.py --complete-only" -- python3 "$ROOT/scripts/calibrate.py" --folds "$T/folds.csv" --complete-only \
    "$T/present.csv" "$T/absent.csv"
  contains "$T/out" "== profile: 6 examples" "calibrate.py --complete-only leaves out the labels that lack atoms"
  expect nz "calibrate.py --complete-only without the column" -- python3 "$ROOT/scripts/calibrate.py" \
    --folds "$T/folds.csv" --complete-only "$T/good.csv" "$T/good.csv"
  contains "$T/err" "no score1 column" "calibrate.py names the missing column"
  printf 'name,method,rank\nA,profile,1\n' >"$T/short.csv"
  expect nz "cv.py with a ranks file lacking patterns" -- python3 "$ROOT/scripts/cv.py" --folds "$T/folds.csv" x="$T/short.csv"
  contains "$T/err" "lacks 3 patterns" "cv.py missing-pattern message"
  expect 0 "identify --json with a model" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --model "$T/m.safetensors" \
    --method hybrid --json --report "$T/r.html"
  contains "$T/out" '"queries"' "identify JSON"
  contains "$T/out" '"reduced_formula"' "identify JSON candidates"
  contains "$T/r.html" "<svg" "HTML report has inline SVG"
  expect 0 "chemistry filter" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --exclude Na --top 1 --json
  if grep -q '"NaCl"' "$T/out"; then bad "--exclude Na still lists NaCl"; else ok; fi
  expect nz "model method without a model" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --method model
  head -c 100 "$T/m.safetensors" >"$T/trunc.safetensors"
  expect nz "truncated model" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" --model "$T/trunc.safetensors"
  contains "$T/err" "trunc.safetensors" "truncated model message names the file"
  printf '10 1\n11 nan\n12 3\n' >"$T/nan.xy"
  expect nz "NaN pattern" -- "$X" identify "$T/nan.xy" --library "$T/ph.xrdlib"
  contains "$T/err" "nan.xy" "NaN pattern message names the file"
  expect nz "missing library" -- "$X" identify "$T/nacl.xy" --library "$T/none.xrdlib"
  # Without --library: the bundled library of common phases (beside the program, else simulated
  # from the bundled CIFs), said on stderr.
  expect 0 "identify without --library" -- "$X" identify "$T/nacl.xy" --top 1 --json
  contains "$T/err" "bundled common phases" "identify names the bundled library"
  contains "$T/out" '"reduced_formula": "NaCl"' "the bundled library finds NaCl"
  # --mixture: two bundled phases (Cu Kα1+Kα2, as the fit assumes for a file without a wavelength)
  # summed, Si the stronger, on a flat background of counts.
  "$X" simulate "$ROOT/data/phases/Si.cif" --range 10,80 --wavelength CuKa12 -o "$T/si.xy" >/dev/null 2>&1
  "$X" simulate "$ROOT/data/phases/TiO2_rutile.cif" --range 10,80 --wavelength CuKa12 -o "$T/ru.xy" >/dev/null 2>&1
  paste "$T/si.xy" "$T/ru.xy" | awk '{ printf "%s %.3f\n", $1, 50 + 60 * $2 + 30 * $4 }' >"$T/mix.xy"
  expect 0 "identify --mixture" -- "$X" identify "$T/mix.xy" --mixture --json
  contains "$T/out" '"weight_fraction"' "mixture JSON has weight fractions"
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found"
  contains "$T/out" '"rwp"' "mixture JSON has Rwp"
  expect 0 "identify --mixture as text" -- "$X" identify "$T/mix.xy" --mixture --max-phases 2
  contains "$T/out" "wt%" "mixture text lists weight fractions"
  for tex in --mixture-texture --no-mixture-texture; do
    expect 0 "identify --mixture $tex" -- "$X" identify "$T/mix.xy" --mixture $tex --json
    contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found ($tex)"
  done
  expect 0 "identify --mixture-first fit" -- "$X" identify "$T/mix.xy" --mixture --mixture-first fit --json
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found (--mixture-first fit)"
  expect nz "identify --mixture-first bad" -- "$X" identify "$T/mix.xy" --mixture --mixture-first best
  expect nz "identify --mixture-cell-bound 0.5" -- "$X" identify "$T/mix.xy" --mixture --mixture-cell-bound 0.5
  expect nz "identify --max-phases 0" -- "$X" identify "$T/mix.xy" --mixture --max-phases 0
  contains "$T/err" "max-phases" "the bad --max-phases is named"
  # A number option given nan or inf is refused by name (CLI11's range checks alone let nan through).
  expect nz "identify --min-probability nan" -- "$X" identify "$T/mix.xy" --min-probability nan
  contains "$T/err" "min-probability: Value nan is not a finite number" "nan named as not finite"
  expect nz "identify --noise-floor inf" -- "$X" identify "$T/mix.xy" --noise-floor inf
  contains "$T/err" "noise-floor: Value inf is not a finite number" "inf named as not finite"
  expect nz "fit --displacement-sigma nan" -- "$X" fit "$T/mix.xy" --cif "$ROOT/data/phases/NaCl.cif" --displacement-sigma nan
  contains "$T/err" "displacement-sigma: Value nan is not a finite number" "fit's nan named as not finite"
  expect nz "identify --max-phases 9" -- "$X" identify "$T/mix.xy" --mixture --max-phases 9
  contains "$T/err" "max-phases" "--max-phases above 8 is named"
  expect nz "identify --mixture-max-reflections -1" -- "$X" identify "$T/mix.xy" --mixture --mixture-max-reflections -1
  contains "$T/err" "mixture-max-reflections" "the bad --mixture-max-reflections is named"
  expect 0 "identify --mixture-common-prior with --library" -- "$X" identify "$T/mix.xy" --library "$T/ph.xrdlib" \
    --mixture --mixture-common-prior 0.05 --json
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found (--mixture-common-prior 0.05)"
  expect nz "identify --mixture-common-prior -0.1" -- "$X" identify "$T/mix.xy" --mixture --mixture-common-prior -0.1
  contains "$T/err" "mixture-common-prior" "the bad --mixture-common-prior is named"
  expect 0 "identify --mixture-common-candidates with --library" -- "$X" identify "$T/mix.xy" --library "$T/ph.xrdlib" \
    --mixture --mixture-common-candidates 2 --mixture-readmit --mixture-texture-range 3 --json
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found (--mixture-common-candidates 2)"
  contains "$T/err" "common phases:" "the common phases searched are named"
  expect nz "identify --mixture-common-candidates 21" -- "$X" identify "$T/mix.xy" --mixture --mixture-common-candidates 21
  contains "$T/err" "mixture-common-candidates" "the bad --mixture-common-candidates is named"
  expect nz "identify --mixture-texture-range 0.5" -- "$X" identify "$T/mix.xy" --mixture --mixture-texture-range 0.5
  contains "$T/err" "mixture-texture-range" "the bad --mixture-texture-range is named"
  expect 0 "identify --mixture-judge-first 1 --mixture-texture-lines 3" -- "$X" identify "$T/mix.xy" --mixture \
    --mixture-judge-first 1 --mixture-texture-lines 3 --json
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's phases are found with the first judged and more texture directions"
  expect nz "identify --mixture-texture-lines 21" -- "$X" identify "$T/mix.xy" --mixture --mixture-texture-lines 21
  contains "$T/err" "mixture-texture-lines" "the bad --mixture-texture-lines is named"
  expect 0 "identify --min-lines-chi2-drop 0.5" -- "$X" identify "$T/mix.xy" --mixture --min-lines-chi2-drop 0.5 --json
  contains "$T/out" '"lines_chi2_drop"' "mixture JSON has each phase's share over its own lines"
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found (--min-lines-chi2-drop 0.5)"
  expect 0 "identify --mixture-selection stepwise" -- "$X" identify "$T/mix.xy" --mixture --mixture-selection stepwise --json
  contains "$T/out" '"reduced_formula": "TiO2"' "the mixture's second phase is found (--mixture-selection stepwise)"
  expect nz "identify --mixture-selection bad" -- "$X" identify "$T/mix.xy" --mixture --mixture-selection greedy
  expect nz "identify --min-lines-chi2-drop 1.5" -- "$X" identify "$T/mix.xy" --mixture --min-lines-chi2-drop 1.5
  expect 0 "identify --profile-exponent 0.3" -- "$X" identify "$T/mix.xy" --profile-exponent 0.3 --json
  contains "$T/out" '"candidates"' "identify with another profile exponent answers"
  expect nz "identify --profile-exponent 0" -- "$X" identify "$T/mix.xy" --profile-exponent 0
  # Quantification: Si as internal standard (absolute fractions, the amorphous rest) and Brindley's
  # micro-absorption correction, in one search; bad input refused before any search.
  expect 0 "identify --mixture --standard Si --brindley-size 10" -- "$X" identify "$T/mix.xy" --mixture \
    --standard Si --standard-fraction 0.1 --brindley-size 10 --json
  contains "$T/out" '"amorphous_fraction"' "mixture JSON has the amorphous fraction"
  contains "$T/out" '"amorphous_fraction_esd"' "mixture JSON has the amorphous fraction's ESD"
  contains "$T/out" '"absolute_fraction"' "each phase has its absolute fraction"
  contains "$T/out" '"brindley_weight_fraction"' "each phase has its Brindley-corrected fraction"
  contains "$T/out" '"mu_per_cm"' "each phase has its linear attenuation coefficient"
  expect 0 "identify --mixture --standard as text" -- "$X" identify "$T/mix.xy" --mixture --max-phases 2 \
    --standard Si --standard-fraction 0.1
  contains "$T/out" "amorphous and unidentified" "mixture text gives the amorphous fraction"
  expect nz "--standard not among the phases" -- "$X" identify "$T/mix.xy" --mixture --max-phases 2 \
    --standard Al2O3 --standard-fraction 0.2 --json
  contains "$T/err" "the standard Al2O3 is not among the phases found" "a missing standard is named"
  contains "$T/err" "found (Si, TiO2_rutile (TiO2))" "a missing standard's message lists the phases found"
  for f in 0 1 1.5 -0.2; do
    expect nz "--standard-fraction $f" -- "$X" identify "$T/mix.xy" --mixture --standard Si --standard-fraction $f
    contains "$T/err" "strictly between 0 and 1" "--standard-fraction $f is refused clearly"
  done
  expect nz "--standard without --standard-fraction" -- "$X" identify "$T/mix.xy" --mixture --standard Si
  expect nz "--standard-fraction without --standard" -- "$X" identify "$T/mix.xy" --mixture --standard-fraction 0.2
  contains "$T/err" "needs --standard" "--standard-fraction alone is refused clearly"
  expect nz "--brindley-size -5" -- "$X" identify "$T/mix.xy" --mixture --brindley-size -5
  contains "$T/err" "particle diameter" "a negative grain size is refused clearly"
  expect nz "--standard without --mixture" -- "$X" identify "$T/mix.xy" --standard Si --standard-fraction 0.2
  contains "$T/err" "need --mixture" "quantification without --mixture is refused clearly"
  awk 'NR % 150 == 1' "$T/mix.xy" | head -30 >"$T/short.xy"  # 24 points: too few to fit
  expect nz "identify --mixture on a pattern too short to fit" -- "$X" identify "$T/short.xy" --mixture --json
  contains "$T/out" '"mixture_error"' "the JSON still holds the query, with why the mixture failed"
  [[ $(grep -c 'error' "$T/err") -eq 1 ]] && ok || bad "a failed mixture search is not one error line"
  contains "$T/err" "fewer than 50 points" "a failed mixture search says why"
  # --device cuda on a machine without a GPU (CI) or a build without CUDA: one clear error, no
  # output, before any simulation. (On a GPU machine scripts/gpu_check.sh tests the real thing.)
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    expect nz "train --device cuda is refused clearly" -- "$X" train "$ROOT/data/phases" -o "$T/c.safetensors" --device cuda
    [[ ! -e $T/c.safetensors ]] && ok || bad "refused training left a model file"
    contains "$T/err" "device cuda: no usable CUDA device\|device cuda: this build has no CUDA" "cuda refusal says why"
    [[ $(wc -l <"$T/err") -eq 1 ]] && ok || bad "cuda refusal is not one line"
    expect nz "identify --device cuda is refused clearly" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" \
      --model "$T/m.safetensors" --device cuda
    contains "$T/err" "device cuda" "identify cuda refusal says why"
  fi
  expect nz "sgd with the planned engine is refused" -- "$X" train "$ROOT/data/phases" -o "$T/s.safetensors" \
    --engine planned --optimizer sgd
  contains "$T/err" "adam or adamw" "sgd refusal says why"
  # The planned engine (the GPU's step, here on the CPU backend) trains like the tape.
  mkdir -p "$T/pl" "$T/tp"
  expect 0 "train with the planned engine" -- "$X" train "$ROOT/data/phases" -o "$T/pl/m.safetensors" --config tiny \
    --epochs 2 --copies 2 --no-progress --engine planned
  expect 0 "train with the tape engine" -- "$X" train "$ROOT/data/phases" -o "$T/tp/m.safetensors" --config tiny \
    --epochs 2 --copies 2 --no-progress --engine tape
  if paste -d, "$T/pl/learning_curve.csv" "$T/tp/learning_curve.csv" | awk -F, 'NR > 1 {
       d = $3 - $12; if (d < 0) d = -d; if (d > 1e-3 * $12) bad = 1 } END { exit bad }'; then ok
  else bad "planned and tape learning curves differ"; paste -d' ' "$T/pl/learning_curve.csv" "$T/tp/learning_curve.csv" | head -3; fi
  expect 0 "identify with a planned-engine model" -- "$X" identify "$T/nacl.xy" --library "$T/ph.xrdlib" \
    --model "$T/pl/m.safetensors" --method hybrid
fi

if "$X" --help | grep -q augment; then
  expect 0 "augment writes variants and a plot" -- "$X" augment "$ROOT/data/phases/NaCl.cif" -n 3 -o "$T/aug" --range 10,80 --plot
  [[ -s $T/aug/variant_000.xy && -s $T/aug/variant_002.xy && -s $T/aug/variants.svg ]] && ok || bad "augment outputs missing"
  expect nz "augment a broken CIF" -- "$X" augment "$T/broken.cif" -n 2 -o "$T/aug_bad"
  [[ ! -e $T/aug_bad ]] && ok || bad "augment of a broken CIF created its output folder"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
