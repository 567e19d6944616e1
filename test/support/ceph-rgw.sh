#!/usr/bin/env bash
# Throwaway Ceph cluster with an S3 gateway, for end-to-end tests, on 127.0.0.1 only:
# one ceph-mon, one ceph-osd with memstore (objects in RAM) and radosgw (Ceph 16 "pacific",
# Debian 12 packages: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw).
#
# usage: ceph-rgw.sh --dir DIR --port S3_PORT --mon-port MON_PORT --access-key KEY --secret-key SECRET
#                    [--bind-ports MIN-MAX] [--memstore-bytes N] [--supervise [--cleanup]]
#
#   --dir             state dir (created if missing; should be empty). Config: DIR/ceph.conf, logs: DIR/log/
#   --port            S3 endpoint http://127.0.0.1:S3_PORT (radosgw beast frontend)
#   --mon-port        monitor port (msgr v1)
#   --bind-ports      port range for the OSD's messenger sockets (ms_bind_port_min/max), default 6800-7300.
#                     The OSD takes the first free ports in the range, so clusters may share a range;
#                     keep it outside the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range).
#   --memstore-bytes  memstore capacity, default 2147483648 (RAM is only used for what is stored)
#   --access-key/--secret-key  credentials of the S3 user "test" created at start
#
# Prints MON_PID=, OSD_PID=, RGW_PID=, S3_ENDPOINT= and finally a line READY.
# Default mode: the daemons keep running after the script exits. Stop them in this order:
#   kill -9 RGW_PID (and wait until gone), then OSD_PID, then MON_PID; then rm -rf DIR.
#   (radosgw hangs on SIGTERM once the OSD or the monitor is gone.)
# --supervise: the script stays in the foreground as the daemons' parent and reads commands from stdin,
#   one per line, answering on stdout:
#     stop-gateway   SIGTERM radosgw (SIGKILL after 15 s), wait for it -> "gateway-stopped"
#     start-gateway  start radosgw again on the same port -> "RGW_PID=<pid>" then "gateway-started"
#                                                            (or "error: ...", log tail on stderr)
#     stop           tear down and exit
#   End of stdin, SIGTERM, SIGINT or SIGHUP tear the cluster down too (radosgw, OSD, monitor; SIGKILL,
#   waiting for each), so the daemons die with whoever holds the script's stdin. DIR is left in place
#   unless --cleanup is given (then it is removed after the teardown, also when the start fails).
#
# Gotchas handled (Ceph 16.2):
#  - a monitor on a port other than 6789 must be in the monmap as a v1 address ("[v1:127.0.0.1:PORT]");
#    with a plain --add it speaks msgr2 only and every ceph command hangs.
#  - start the OSD only once the monitor has quorum, else it exits with "wrong fsid" (retried anyway).
#  - pre-create the rgw pools, else the first CreateBucket/PutObject each stall ~2 s creating them.
#  - paxos_propose_interval 0.05 (default 1 s, each pool/OSD change waits for it): start ~2 s, not ~13 s.
#  - stop-gateway uses SIGTERM: after a SIGKILLed radosgw the next one's first metadata write
#    (CreateBucket) stalls ~30 s on the dead watcher. Lifecycle threads are off so SIGTERM takes ~0.1 s.
set -euo pipefail

die() { echo "ceph-rgw: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

DIR='' S3_PORT='' MON_PORT='' ACCESS_KEY='' SECRET_KEY='' SUPERVISE=0 CLEANUP=0
BIND_MIN=6800 BIND_MAX=7300 MEMSTORE_BYTES=2147483648
while (($#)); do
  case $1 in
    --dir) DIR=${2:?}; shift 2 ;;
    --port) S3_PORT=${2:?}; shift 2 ;;
    --mon-port) MON_PORT=${2:?}; shift 2 ;;
    --access-key) ACCESS_KEY=${2:?}; shift 2 ;;
    --secret-key) SECRET_KEY=${2:?}; shift 2 ;;
    --bind-ports) BIND_MIN=${2%%-*}; BIND_MAX=${2##*-}; shift 2 ;;
    --memstore-bytes) MEMSTORE_BYTES=${2:?}; shift 2 ;;
    --supervise) SUPERVISE=1; shift ;;
    --cleanup) CLEANUP=1; shift ;;
    -h | --help) usage ;;
    *) echo "ceph-rgw: unknown argument: $1" >&2; usage ;;
  esac
done
if [ -z "$DIR" ] || [ -z "$ACCESS_KEY" ] || [ -z "$SECRET_KEY" ]; then usage; fi
for n in "$S3_PORT" "$MON_PORT" "$BIND_MIN" "$BIND_MAX" "$MEMSTORE_BYTES"; do
  [[ $n =~ ^[0-9]+$ ]] || die "not a number: '$n' (see --help)"
done
((BIND_MIN < BIND_MAX)) || die "bad --bind-ports $BIND_MIN-$BIND_MAX"
if [ "$CLEANUP" = 1 ] && [ "$SUPERVISE" != 1 ]; then die "--cleanup needs --supervise"; fi
for cmd in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
  command -v "$cmd" >/dev/null \
    || die "$cmd not found; apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw"
done

if [ "$CLEANUP" = 1 ] && [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
  die "--cleanup needs a new or empty --dir, $DIR is not empty"
fi
mkdir -p "$DIR"
C=$(cd "$DIR" && pwd)
CONF=$C/ceph.conf
RGW_NAME=client.rgw.test
MON='' OSD='' RGW='' KEEP=0

# A TCP connect through bash's /dev/tcp: no ss/netcat/curl needed.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
ceph_cli() { ceph -c "$CONF" --connect-timeout 20 "$@"; }
stamp() { echo "ceph-rgw: [$((($(date +%s%N) - T0) / 1000000)) ms] $*" >&2; }
# SIGKILL one of our daemons and reap it (they are children of this shell).
kill_wait() {
  if [ -n "$1" ]; then
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
# SIGTERM radosgw and reap it (~0.1-0.2 s); SIGKILL after 15 s. A graceful stop removes radosgw's watches on the
# control objects: after a SIGKILL the next radosgw's first metadata write (e.g. CreateBucket) waits
# ~30 s for the dead watcher (osd_client_watch_timeout).
stop_rgw() {
  local i
  if [ -z "$RGW" ]; then return 0; fi
  kill -TERM "$RGW" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    alive "$RGW" || break
    sleep 0.1
  done
  kill_wait "$RGW"
  RGW=''
}
# shellcheck disable=SC2317  # teardown/on_exit are reached through the traps
teardown() {
  kill_wait "$RGW"; RGW=
  kill_wait "$OSD"; OSD=
  kill_wait "$MON"; MON=
}
# shellcheck disable=SC2317
on_exit() {
  local rc=$?
  if [ "$KEEP" != 1 ]; then
    teardown
    if [ "$CLEANUP" = 1 ]; then rm -rf "$C"; fi
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to $2 tenths of a second for 127.0.0.1:$1 to accept connections while pid $3 lives.
wait_port() {
  local i
  for ((i = 0; i < $2; i++)); do
    port_open "$1" && return 0
    alive "$3" || return 1
    sleep 0.1
  done
  return 1
}

start_rgw() {
  if port_open "$S3_PORT"; then
    echo "ceph-rgw: port $S3_PORT already in use" >&2
    return 1
  fi
  nohup radosgw -c "$CONF" -n "$RGW_NAME" -f >>"$C/log/rgw.out" 2>&1 </dev/null &
  RGW=$!
}
wait_rgw() {
  if ! wait_port "$S3_PORT" 900 "$RGW"; then
    echo "ceph-rgw: radosgw did not start listening on 127.0.0.1:$S3_PORT; log tail:" >&2
    tail -n 20 "$C/log/rgw.out" "$C/log/$RGW_NAME.log" >&2 2>/dev/null || true
    kill_wait "$RGW"; RGW=
    return 1
  fi
}

T0=$(date +%s%N)
for p in "$S3_PORT" "$MON_PORT"; do
  if port_open "$p"; then die "port $p already in use"; fi
done
mkdir -p "$C/run" "$C/log" "$C/mon-a"
FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon_host = v1:127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr2 = false
ms_bind_port_min = $BIND_MIN
ms_bind_port_max = $BIND_MAX
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
osd_objectstore = memstore
memstore_device_bytes = $MEMSTORE_BYTES
run_dir = $C/run
admin_socket = $C/run/\$name.asok
log_file = $C/log/\$name.log
mon_data = $C/mon-\$id
osd_data = $C/osd\$id
keyring = $C/keyring
# each osdmap change (pool create, application enable, osd new) waits for the next paxos proposal,
# 1 s apart by default: radosgw's first start creates 4 pools (~9 s). 0.05 s is plenty for one monitor.
paxos_propose_interval = 0.05
[$RGW_NAME]
rgw_frontends = beast endpoint=127.0.0.1:$S3_PORT
# lifecycle (expiry) processing off: its worker sleeps in 5 s steps and held up every SIGTERM by ~4 s
rgw_enable_lc_threads = false
EOF
: >"$C/keyring"

monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" --enable-all-features \
  --set-min-mon-release pacific "$C/monmap" >"$C/log/monmap.out" 2>&1 \
  || { cat "$C/log/monmap.out" >&2; die "monmaptool failed"; }
ceph-mon -c "$CONF" -i a --mkfs --monmap "$C/monmap" >"$C/log/mkfs-mon.out" 2>&1 \
  || { cat "$C/log/mkfs-mon.out" >&2; die "ceph-mon --mkfs failed"; }
nohup ceph-mon -c "$CONF" -i a -f >"$C/log/mon.out" 2>&1 </dev/null &
MON=$!
echo "MON_PID=$MON"
wait_port "$MON_PORT" 200 "$MON" || { tail -n 20 "$C/log/mon.out" >&2; die "ceph-mon did not start"; }
# An OSD started before the monitor has quorum gets "wrong fsid" and exits.
for ((i = 0; ; i++)); do
  ceph_cli quorum_status >/dev/null 2>&1 && break
  ((i < 80)) || die "no monitor quorum after 20 s"
  sleep 0.25
done
stamp "monitor up"

OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(ceph_cli osd new "$OSD_UUID")
mkdir -p "$C/osd$OSD_ID"
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$C/log/mkfs-osd.out" 2>&1 \
  || { cat "$C/log/mkfs-osd.out" >&2; die "ceph-osd --mkfs failed"; }
for attempt in 1 2 3 4 5 6; do
  # 'wrong fsid' comes in bursts while the monitor settles: back off 0.5 s, 1 s, 1.5 s, ... between tries
  ((attempt == 1)) || sleep "$((attempt / 2)).$((attempt % 2 * 5))"
  nohup ceph-osd -c "$CONF" -i "$OSD_ID" -f >>"$C/log/osd.out" 2>&1 </dev/null &
  OSD=$!
  for ((i = 0; i < 120; i++)); do
    if ceph_cli osd stat 2>/dev/null | grep -q ' 1 up'; then break 2; fi
    alive "$OSD" || break
    sleep 0.25
  done
  echo "ceph-rgw: ceph-osd attempt $attempt did not come up (usually 'wrong fsid' at boot), retrying" >&2
  kill_wait "$OSD"; OSD=
done
[ -n "$OSD" ] || { tail -n 20 "$C/log/osd.out" >&2; die "ceph-osd did not come up"; }
echo "OSD_PID=$OSD"
stamp "osd up"

start_rgw || die "cannot start radosgw"
# While radosgw initialises, create the bucket pools in one ceph CLI session (commands on stdin).
for p in default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
  echo "osd pool create $p 8 8"
  echo "osd pool application enable $p rgw"
done | ceph_cli >"$C/log/pools.out" 2>&1 || echo "ceph-rgw: creating the bucket pools failed (see $C/log/pools.out)" >&2
wait_rgw || die "radosgw did not start"
echo "RGW_PID=$RGW"
stamp "radosgw up"

# own log file and no admin socket: radosgw-admin would otherwise clash with radosgw's
radosgw-admin -c "$CONF" -n "$RGW_NAME" --admin-socket= --log-file="$C/log/radosgw-admin.log" user create --uid=test --display-name=test \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$C/log/user.json" 2>&1 \
  || { cat "$C/log/user.json" >&2; die "radosgw-admin user create failed"; }
stamp "user created"
echo "S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
echo "READY"

if [ "$SUPERVISE" != 1 ]; then
  KEEP=1
  echo "stop: kill -9 $RGW; then kill -9 $OSD; then kill -9 $MON (each after the previous is gone); rm -rf $C" >&2
  exit 0
fi

while IFS= read -r cmd; do
  case $cmd in
    stop-gateway)
      stop_rgw
      echo "gateway-stopped"
      ;;
    start-gateway)
      if alive "$RGW" || { start_rgw && wait_rgw; }; then
        echo "RGW_PID=$RGW"
        echo "gateway-started"
      else
        echo "error: radosgw did not start (see $C/log/rgw.out)"
      fi
      ;;
    stop) break ;;
    '') ;;
    *) echo "error: unknown command '$cmd'" ;;
  esac
done
exit 0
