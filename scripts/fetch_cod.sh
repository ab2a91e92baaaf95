#!/usr/bin/env bash
# Downloads CIFs from the Crystallography Open Database (COD): by id/URL list or by element query.
# Query: GET BASE/cod/result?el1=..&el2=..(up to el8)[&strictmax=N]&format=urls (COD REST search).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: fetch_cod.sh (--ids FILE_OR_IDS | --elements El1,El2,... [--strictmax N]) -o DIR [options]

  --ids FILE_OR_IDS   a file with one COD id or CIF URL per line (e.g.
                      http://www.crystallography.net/cod/1000067.cif; '#' starts a comment),
                      "-" for stdin, or ids/URLs separated by commas or spaces
  --elements LIST     comma-separated element symbols (at most 8) that every structure must
                      contain; COD query parameters used: el1..el8, strictmax, format=urls
  --strictmax N       with --elements: at most N distinct elements in the structure
  -o, --output DIR    where <id>.cif files go (created if missing)
  --base URL          COD server (default https://www.crystallography.net); files are
                      fetched from BASE/cod/<id>.cif whatever host the list names
  --jobs N            parallel downloads (default 4)
  --retries N         retries per file on transient errors (default 3)
  --timeout S         seconds allowed per request (default 120; connecting: min(S, 20))
  -q, --quiet         no per-file lines, only the summary
  -h, --help          this text

Files already present in DIR that look like a CIF (contain a data_ block) are skipped. Each
download goes to a temporary file in DIR and is renamed into place only when it contains a
data_ block; anything else is deleted and reported. Exit status: 0 when nothing failed,
1 when any file or the query failed, 2 for a usage error.
EOF
}

die_usage() { echo "fetch_cod: $*" >&2; echo "try: fetch_cod.sh --help" >&2; exit 2; }

ids_arg="" elements="" strictmax="" out="" base="https://www.crystallography.net"
jobs=4 retries=3 timeout=120 quiet=0
while (( $# )); do
  case "$1" in
    --ids) [[ $# -ge 2 ]] || die_usage "--ids needs a value"; ids_arg=$2; shift 2 ;;
    --elements) [[ $# -ge 2 ]] || die_usage "--elements needs a value"; elements=$2; shift 2 ;;
    --strictmax) [[ $# -ge 2 ]] || die_usage "--strictmax needs a value"; strictmax=$2; shift 2 ;;
    -o|--output) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; out=$2; shift 2 ;;
    --base) [[ $# -ge 2 ]] || die_usage "--base needs a value"; base=${2%/}; shift 2 ;;
    --jobs) [[ $# -ge 2 ]] || die_usage "--jobs needs a value"; jobs=$2; shift 2 ;;
    --retries) [[ $# -ge 2 ]] || die_usage "--retries needs a value"; retries=$2; shift 2 ;;
    --timeout) [[ $# -ge 2 ]] || die_usage "--timeout needs a value"; timeout=$2; shift 2 ;;
    -q|--quiet) quiet=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

[[ -n $out ]] || die_usage "-o DIR is required"
if [[ -n $ids_arg && -n $elements ]] || [[ -z $ids_arg && -z $elements ]]; then
  die_usage "give exactly one of --ids and --elements"
fi
[[ -z $strictmax || -n $elements ]] || die_usage "--strictmax goes with --elements"
for pair in "jobs:$jobs" "retries:$retries" "timeout:$timeout" "strictmax:${strictmax:-1}"; do
  [[ ${pair#*:} =~ ^[0-9]+$ ]] || die_usage "--${pair%%:*} must be a whole number, got '${pair#*:}'"
done
(( jobs >= 1 )) || die_usage "--jobs must be at least 1"
(( timeout >= 1 )) || die_usage "--timeout must be at least 1"
[[ $base =~ ^https?://[^[:space:]]+$ ]] || die_usage "--base must be an http(s) URL, got '$base'"

if command -v curl >/dev/null 2>&1; then
  fetcher=curl
elif command -v wget >/dev/null 2>&1; then
  fetcher=wget
else
  echo "fetch_cod: neither curl nor wget is installed" >&2
  exit 1
fi

mkdir -p -- "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/fetch_cod.XXXXXX")
cleanup() {
  rm -rf -- "$work"
  # Partial downloads of workers that were interrupted.
  find "$out" -maxdepth 1 -name '.*.cif.part.*' -type f -delete 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# http_get URL DEST: one request with retries; prints an error reason on failure.
http_get() {
  local url=$1 dest=$2 connect=$((timeout < 20 ? timeout : 20)) rc code
  if [[ $fetcher == curl ]]; then
    code=$(curl -sS -L -o "$dest" -w '%{http_code}' --connect-timeout "$connect" --max-time "$timeout" \
                --retry "$retries" --retry-delay 1 --retry-max-time $((timeout * (retries + 1))) \
                -- "$url" 2>"$dest.err") && rc=0 || rc=$?
    if (( rc != 0 )); then
      echo "curl exit $rc: $(head -c 200 "$dest.err" | tr '\n' ' ')"; rm -f -- "$dest.err"; return 1
    fi
    rm -f -- "$dest.err"
    if [[ $code != 2?? ]]; then echo "HTTP $code"; return 1; fi
  else
    wget -q -O "$dest" --timeout="$timeout" --tries=$((retries + 1)) --waitretry=1 -- "$url" && rc=0 || rc=$?
    if (( rc != 0 )); then
      if (( rc == 8 )); then echo "HTTP error (wget exit 8)"; else echo "wget exit $rc"; fi
      return 1
    fi
  fi
}

is_cif() { grep -qm1 '^[[:space:]]*data_' -- "$1" 2>/dev/null; }

# Turns list text (ids, URLs, comments) into one id per line on stdout; bad tokens to $work/bad.
parse_ids() {
  local tok id
  sed -e 's/#.*//' | tr ', \t\r' '\n' | while IFS= read -r tok; do
    [[ -n $tok ]] || continue
    if [[ $tok =~ ^[0-9]{7}$ ]]; then
      id=$tok
    elif [[ $tok =~ ^https?://[^?#]*/([0-9]{7})\.cif$ ]]; then
      id=${BASH_REMATCH[1]}
    else
      printf '%s\n' "$tok" >>"$work/bad"
      continue
    fi
    printf '%s\n' "$id"
  done | awk '!seen[$0]++'
}

: >"$work/bad"
if [[ -n $ids_arg ]]; then
  if [[ $ids_arg == - ]]; then
    parse_ids >"$work/ids"
  elif [[ -f $ids_arg ]]; then
    parse_ids <"$ids_arg" >"$work/ids"
  elif [[ $ids_arg =~ ^[0-9,[:space:]]+$ || $ids_arg =~ ^https?:// ]]; then
    printf '%s\n' "$ids_arg" | parse_ids >"$work/ids"
  else
    die_usage "--ids: '$ids_arg' is neither a file nor a list of COD ids"
  fi
else
  query="" n=0
  IFS=',' read -r -a els <<<"$elements"
  for el in "${els[@]}"; do
    el=${el//[[:space:]]/}
    [[ -n $el ]] || continue
    [[ $el =~ ^[A-Z][a-z]?$ ]] || die_usage "--elements: '$el' is not an element symbol"
    n=$((n + 1))
    (( n <= 8 )) || die_usage "--elements: COD accepts at most 8 elements"
    query+="el$n=$el&"
  done
  (( n >= 1 )) || die_usage "--elements: no element given"
  [[ -z $strictmax ]] || query+="strictmax=$strictmax&"
  query+="format=urls"
  url="$base/cod/result?$query"
  [[ $quiet == 1 ]] || echo "fetch_cod: query $url" >&2
  if ! reason=$(http_get "$url" "$work/result"); then
    echo "fetch_cod: the query failed: $reason" >&2
    echo "fetch_cod: 0 downloaded, 0 skipped, 0 failed; query failed"
    exit 1
  fi
  parse_ids <"$work/result" >"$work/ids"
  if [[ -s $work/bad ]]; then
    if [[ ! -s $work/ids ]]; then
      echo "fetch_cod: the query answer is not a list of CIF URLs; it starts: $(head -c 120 "$work/result" | tr '\n' ' ')" >&2
      echo "fetch_cod: 0 downloaded, 0 skipped, 0 failed; query failed"
      exit 1
    fi
    echo "fetch_cod: ignored $(wc -l <"$work/bad") tokens of the query answer that are not CIF URLs" >&2
    : >"$work/bad"
  fi
fi

total=$(wc -l <"$work/ids")
[[ $quiet == 1 ]] || echo "fetch_cod: $total CIFs to fetch into $out with $jobs jobs ($fetcher)" >&2

# fetch_one ID: writes "downloaded", "skipped" or "failed<TAB>reason" to $work/status/ID.
fetch_one() {
  local id=$1 dest="$out/$1.cif" tmp reason="" status
  if [[ -f $dest ]] && is_cif "$dest"; then
    status=skipped
  else
    tmp=$(mktemp "$out/.$id.cif.part.XXXXXX")
    if reason=$(http_get "$base/cod/$id.cif" "$tmp"); then
      if is_cif "$tmp"; then
        chmod 644 -- "$tmp"
        mv -f -- "$tmp" "$dest"
        status=downloaded
      else
        rm -f -- "$tmp"
        reason="not a CIF (no data_ block), deleted"
        status=$'failed\t'"$reason"
      fi
    else
      rm -f -- "$tmp"
      status=$'failed\t'"$reason"
    fi
  fi
  printf '%s\n' "$status" >"$work/status/$id"
  [[ $quiet == 1 ]] || printf '  %-10s %s%s\n' "${status%%$'\t'*}" "$id" "${reason:+ ($reason)}" >&2
}

mkdir -p "$work/status"
export -f fetch_one http_get is_cif
export out base work fetcher retries timeout quiet
if (( total > 0 )); then
  # shellcheck disable=SC2016  # $1 is expanded by the inner bash
  xargs -P "$jobs" -n 1 bash -c 'fetch_one "$1"' _ <"$work/ids" || true
fi

downloaded=0 skipped=0 failed=0
failures=()
while IFS= read -r id; do
  if [[ ! -f $work/status/$id ]]; then
    failed=$((failed + 1)); failures+=("$id: worker did not finish"); continue
  fi
  line=$(<"$work/status/$id")
  case "$line" in
    downloaded) downloaded=$((downloaded + 1)) ;;
    skipped) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)); failures+=("$id: ${line#failed$'\t'}") ;;
  esac
done <"$work/ids"
while IFS= read -r tok; do
  failed=$((failed + 1)); failures+=("'$tok': not a COD id or CIF URL")
done <"$work/bad"

echo "fetch_cod: $downloaded downloaded, $skipped skipped (already present), $failed failed"
for f in "${failures[@]+"${failures[@]}"}"; do echo "  failed $f"; done
(( failed == 0 ))
