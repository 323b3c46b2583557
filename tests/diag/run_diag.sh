#!/usr/bin/env bash
# Expected-diagnostics runner: for each CASE.psl under tests/diag, runs
#   psc check --color never CASE.psl        (from tests/diag, relative path)
# and compares its standard output plus a final `# exit: N` line with
# CASE.expected, byte for byte. See README.md.
#
# usage: run_diag.sh [--psc PATH] [--update] [CASE.psl ...]
#   --psc PATH  the psc binary (default: $PSC, else the newest
#               build*/compiler/tools/psc/psc of this checkout)
#   --update    write CASE.expected from the actual output instead of
#               comparing (review the diff by hand before committing)
#   CASE.psl    cases, relative to tests/diag or to the current directory
#               (default: every *.psl below tests/diag)
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
psc="${PSC:-}"
update=0
cases=()

while [ $# -gt 0 ]; do
  case "$1" in
    --psc) psc="$2"; shift 2 ;;
    --psc=*) psc="${1#--psc=}"; shift ;;
    --update) update=1; shift ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_diag.sh: unknown option '$1'" >&2; exit 2 ;;
    *)
      # A path that exists from here (tests/diag/x/y.psl from the root)
      # becomes relative to tests/diag; anything else is taken as given.
      if [ -f "$1" ]; then
        abs="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
        cases+=("${abs#"$here"/}")
      else
        cases+=("${1#./}")
      fi
      shift ;;
  esac
done

if [ -z "$psc" ]; then
  psc="$(ls -t "$root"/build*/compiler/tools/psc/psc 2>/dev/null | head -n 1)"
fi
if [ -z "$psc" ] || [ ! -x "$psc" ]; then
  echo "run_diag.sh: no psc binary found; build it or pass --psc PATH" >&2
  exit 2
fi
case "$psc" in /*) ;; *) psc="$(pwd)/$psc" ;; esac

cd "$here" || exit 2
if [ ${#cases[@]} -eq 0 ]; then
  while IFS= read -r f; do cases+=("${f#./}"); done < <(find . -name '*.psl' -type f | LC_ALL=C sort)
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
passed=0
failed=0
updated=0

for case in "${cases[@]}"; do
  expected="${case%.psl}.expected"
  { "$psc" check --color never "$case" 2>/dev/null; echo "# exit: $?"; } > "$tmp"
  if grep -qx '# exit: 2' "$tmp"; then
    echo "warning: psc exited 2 (usage or internal error) on $case" >&2
  fi
  if [ "$update" -eq 1 ]; then
    if [ ! -f "$expected" ] || ! cmp -s "$tmp" "$expected"; then
      cp "$tmp" "$expected"
      echo "updated $expected"
      updated=$((updated + 1))
    fi
    passed=$((passed + 1))
    continue
  fi
  if [ ! -f "$expected" ]; then
    echo "FAIL $case: no $expected (run tests/diag/run_diag.sh --update $case, then review it)"
    failed=$((failed + 1))
  elif cmp -s "$tmp" "$expected"; then
    passed=$((passed + 1))
  else
    echo "FAIL $case: output differs from $expected"
    diff -u --label "$expected" --label "actual" "$expected" "$tmp"
    failed=$((failed + 1))
  fi
done

if [ "$update" -eq 1 ]; then
  echo "$updated of ${#cases[@]} expected files updated"
  exit 0
fi
if [ ${#cases[@]} -gt 1 ]; then
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
