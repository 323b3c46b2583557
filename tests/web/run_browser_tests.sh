#!/usr/bin/env bash
# The web view's browser tests: each file under node's test runner next to
# a real psd of its own on a veth pair (with_psd.sh), inside psd's
# namespace, driving Debian's Chromium through playwright-core:
#   browser.test.mjs        every page, the live stream, keyboard and axe
#                           (psd with no analyzer: no test's traffic gets
#                           the peer blocked for the next)
#   browser_flood.test.mjs  a ping flood, the embedded detector's block and
#                           its decision
#   browser_token.test.mjs  beyond loopback with a token
#
#   tests/web/run_browser_tests.sh PSD PSC NODE_MODULES WORKDIR
#
# Screenshots of every page: WORKDIR/screenshots/. Exit 77 (skipped) when
# not root or without Chromium, unless PSC_REQUIRE_BPF=1 (CI), where that
# is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
psd=$1 psc=$2 node_modules=$3 work=$4

skip() {
  if [[ ${PSC_REQUIRE_BPF:-0} == 1 ]]; then
    echo "run_browser_tests.sh: $1 (PSC_REQUIRE_BPF=1: a failure)" >&2
    exit 1
  fi
  echo "run_browser_tests.sh: skipped: $1" >&2
  exit 77
}
((EUID == 0)) || skip "needs root (network namespaces, XDP)"
chromium=${PSW_CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || skip "no Chromium at $chromium (Debian's package chromium; scripts/deps)"
[[ -d $node_modules/playwright-core ]] || skip "no playwright-core in $node_modules (npm ci)"

mkdir -p "$work"
rm -rf "$work/screenshots"
# Chromium's profile: fresh for each run, removed afterwards.
profile=$(mktemp -d /tmp/psw-chromium-XXXXXX)
trap 'rm -rf "$profile"' EXIT
export PSW_NODE_MODULES=$node_modules PSW_SCREENSHOTS=$work/screenshots \
  PSW_CHROMIUM=$chromium HOME=$profile XDG_CONFIG_HOME=$profile XDG_CACHE_HOME=$profile
PSW_ANALYZER=none "$here/with_psd.sh" "$psd" "$psc" "$work/psd" -- \
  node --test --test-concurrency=1 "$here/browser.test.mjs"
PSW_ANALYZER=embedded "$here/with_psd.sh" "$psd" "$psc" "$work/psd-flood" -- \
  node --test "$here/browser_flood.test.mjs"
# Beyond loopback, with a token (a new one each run).
PSW_ANALYZER=none PSW_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n') \
  "$here/with_psd.sh" "$psd" "$psc" "$work/psd-token" -- \
  node --test "$here/browser_token.test.mjs"
