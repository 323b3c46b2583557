#!/usr/bin/env bash
# Runs a command next to a real psd on a veth pair between two network
# namespaces that this script creates (names with its pid, so concurrent
# runs never collide) and removes on exit, also when the command fails or
# the script is interrupted:
#
#   <victim ns>   psw0 192.0.2.1   psd runs here (nsenter --net, so bpffs
#                                  stays visible), its API and the web view
#                                  on 127.0.0.1:9477 of this namespace only
#   <peer ns>     psw1 192.0.2.2   traffic comes from here
#
#   tests/web/with_psd.sh PSD_BINARY PSC_BINARY WORKDIR -- COMMAND...
#
# COMMAND runs inside the victim namespace (so 127.0.0.1:9477 is psd) with
# PSW_NS, PSW_PEER_NS, PSW_IFACE, PSW_ADDR, PSW_PEER_ADDR, PSW_URL,
# PSW_PSC (psc, for `set add`), PSW_PIN_ROOT, PSW_STATE_DIR and
# PSW_WORKDIR in its environment. psd's log is WORKDIR/psd.log; the
# window is 1 s (PSW_WINDOW sets another) and every packet's path is
# sampled. With PSW_TOKEN set, psd listens on 192.0.2.1:9477 (beyond
# loopback: every API request needs the token) with that token in a 0600
# file, and PSW_URL says so. PSW_ANALYZER (embedded, none) is psd's
# --analyzer; its default is psd's (embedded).
set -euo pipefail

if (($# < 5)) || [[ $4 != -- ]]; then
  echo "usage: with_psd.sh PSD_BINARY PSC_BINARY WORKDIR -- COMMAND..." >&2
  exit 2
fi
psd=$1 psc=$2 work=$3
shift 4

if ((EUID != 0)); then
  echo "with_psd.sh: needs root (network namespaces, XDP)" >&2
  exit 77
fi

tag=$$
ns=psw${tag}v peer=psw${tag}p
pin_root=/sys/fs/bpf/psw-test-${tag}
iface=psw0 peer_if=psw1
mkdir -p "$work"
rm -rf "$work/state" "$work/policies"
mkdir -p "$work/policies" "$work/state"
psd_pid=

cleanup() {
  local rc=$?
  if [[ -n $psd_pid ]] && kill -0 "$psd_pid" 2>/dev/null; then
    kill -TERM "$psd_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$psd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$psd_pid" 2>/dev/null || true
  fi
  ip netns pids "$peer" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns del "$peer" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$pin_root"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add "$ns"
ip netns add "$peer"
ip link add "$iface" netns "$ns" type veth peer name "$peer_if" netns "$peer"
ip -n "$ns" addr add 192.0.2.1/24 dev "$iface"
ip -n "$peer" addr add 192.0.2.2/24 dev "$peer_if"
for n in "$ns" "$peer"; do ip -n "$n" link set lo up; done
ip -n "$ns" link set "$iface" up
ip -n "$peer" link set "$peer_if" up
# XDP on veth needs the peer to have a program or GRO for native mode;
# psd falls back to generic mode itself (xdp_mode auto).

cat >"$work/psd.toml" <<TOML
[trace]
sample_every = 1
sample_max_per_sec = 200
TOML

listen=127.0.0.1:9477 auth=() token_args=()
if [[ -n ${PSW_TOKEN:-} ]]; then
  listen=192.0.2.1:9477
  (umask 077 && printf '%s\n' "$PSW_TOKEN" >"$work/token")
  token_args=(--token-file "$work/token")
  auth=(-H "Authorization: Bearer $PSW_TOKEN")
fi

analyzer_args=()
if [[ -n ${PSW_ANALYZER:-} ]]; then
  analyzer_args=(--analyzer "$PSW_ANALYZER")
fi

nsenter --net=/var/run/netns/"$ns" "$psd" --config "$work/psd.toml" \
  --iface "$iface" --policy-dir "$work/policies" --state-dir "$work/state" \
  --pin-root "$pin_root" --window "${PSW_WINDOW:-1s}" --listen "$listen" \
  "${token_args[@]}" "${analyzer_args[@]}" >"$work/psd.log" 2>&1 &
psd_pid=$!

up=
for _ in $(seq 300); do
  if ! kill -0 "$psd_pid" 2>/dev/null; then
    echo "with_psd.sh: psd exited while starting; its log:" >&2
    cat "$work/psd.log" >&2
    exit 1
  fi
  if nsenter --net=/var/run/netns/"$ns" curl -sf -o /dev/null "${auth[@]}" \
    "http://$listen/api/v1/summary"; then
    up=1
    break
  fi
  sleep 0.1
done
if [[ -z $up ]]; then
  echo "with_psd.sh: psd's API gave no summary within 30 s; its log:" >&2
  cat "$work/psd.log" >&2
  exit 1
fi

export PSW_NS=$ns PSW_PEER_NS=$peer PSW_IFACE=$iface PSW_ADDR=192.0.2.1 \
  PSW_PEER_ADDR=192.0.2.2 PSW_URL=http://$listen PSW_PSC=$psc \
  PSW_PIN_ROOT=$pin_root PSW_STATE_DIR=$work/state PSW_WORKDIR=$work
set +e
nsenter --net=/var/run/netns/"$ns" "$@"
rc=$?
set -e
exit "$rc"
