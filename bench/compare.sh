#!/usr/bin/env bash
# gslb beside gdnsd and PowerDNS (geoip backend) in one sitting, with the shared peer scripts (../shared/bench/peers):
# the same zone, workloads S (static), G (weighted pool of 4), Ggeo (a subnet rule in front of it), GgeoEcs (Ggeo with
# ECS from 3,840 client subnets), interleaved rounds,
# medians; servers on CPU 0, dnsperf on CPU 1. Needs: apt-get install -y dnsperf gdnsd pdns-server pdns-backend-geoip.
# Env: PEERS (path to the peer scripts), SECS (default 5), ROUNDS (3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PEERS=${PEERS:-$root/../shared/bench/peers}
SECS=${SECS:-5} ROUNDS=${ROUNDS:-3}
export PEERS_RUN=$(mktemp -d /tmp/gslb-compare.XXXXXX)
declare -A port=([ceiling]=5351 [gdnsd]=5352 [pdns-geoip]=5353 [gslb]=5354)
gslb_pid=
cleanup() {
  "$PEERS/node-dgram.sh" stop ${port[ceiling]} >/dev/null 2>&1 || true
  "$PEERS/gdnsd.sh" stop ${port[gdnsd]} >/dev/null 2>&1 || true
  "$PEERS/pdns.sh" stop ${port[pdns-geoip]} >/dev/null 2>&1 || true
  [[ -n $gslb_pid ]] && kill "$gslb_pid" 2>/dev/null || true
}
trap cleanup EXIT
"$PEERS/node-dgram.sh" start ${port[ceiling]} >/dev/null
"$PEERS/gdnsd.sh" start ${port[gdnsd]} >/dev/null
"$PEERS/pdns.sh" start ${port[pdns-geoip]} geoip >/dev/null
taskset -c 0 env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=2 --expose-gc "$root/bin/gslb.js" serve --zones "$here/zones-peers" --geoip "$PEERS_RUN/no-geoip" --db "$PEERS_RUN/gslb.sqlite" \
  --dns-listen 127.0.0.1:${port[gslb]} --api-listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 >"$PEERS_RUN/gslb.log" 2>&1 &
gslb_pid=$!
for p in "${port[@]}"; do
  for _ in $(seq 1 80); do [[ $(dig +short +tries=1 +time=1 @127.0.0.1 -p "$p" static.example.test A 2>/dev/null) == 192.0.2.1 ]] && break; sleep 0.25; done
done

# GgeoEcs: Ggeo with EDNS Client Subnet from 3,840 different /24s (dnsperf -B binary queries, bench/ecs-queries.ts),
# so an answer cache keyed by subnet cannot carry it; both PowerDNS (edns-subnet-processing=yes) and gslb decide per
# subnet.
(cd "$root" && node --import=tsx bench/ecs-queries.ts geo.example.test "$PEERS_RUN/geo-ecs.bin" >/dev/null)
results=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
  for wl in S G Ggeo GgeoEcs; do
    for server in ceiling gdnsd pdns-geoip gslb; do
      [[ $server == ceiling && $wl != S ]] && continue
      if [[ $wl == GgeoEcs ]]; then
        line=$(DNSPERF_EXTRA=-B "$PEERS/run.sh" 127.0.0.1 "${port[$server]}" "$PEERS_RUN/geo-ecs.bin" "$SECS" 8 200)
      else
        line=$("$PEERS/run.sh" 127.0.0.1 "${port[$server]}" "$wl" "$SECS" 8 200)
      fi
      echo "$server $wl $(sed -E 's/.*qps=([0-9.]+) avg_lat_ms=([0-9.]+).*/\1 \2/' <<<"$line")" >>"$results"
    done
  done
done
unloaded=$(for server in gdnsd gslb; do echo "$server $("$PEERS/run.sh" 127.0.0.1 "${port[$server]}" S 5 1 1 | sed -E 's/.*avg_lat_ms=([0-9.]+).*/\1/')"; done)

echo "## $(date -u +%Y-%m-%d) — $(nproc) CPUs, node $(node --version), median of $ROUNDS × ${SECS}s"
echo
printf '| server | workload | queries/s | avg latency ms |\n|---|---|---:|---:|\n'
# Median per (server, workload): the middle line by queries/s.
for key in $(awk '{print $1"|"$2}' "$results" | sort -u); do
  grep "^${key%|*} ${key#*|} " "$results" | sort -n -k3 | awk '{v[NR]=$0} END {print v[int((NR+1)/2)]}'
done | awk '{printf "| %s | %s | %.0f | %.3f |\n", $1, $2, $3, $4}'
echo
echo "Unloaded average latency (-c 1 -q 1, S): $(tr '\n' ' ' <<<"$unloaded")ms"
for server in gdnsd pdns-geoip; do echo "$server RSS: $("$PEERS/${server%%-*}.sh" mem ${port[$server]} 2>/dev/null || echo '?')"; done
echo "gslb RSS: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$gslb_pid/status)"
