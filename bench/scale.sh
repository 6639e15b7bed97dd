#!/usr/bin/env bash
# npm run bench:scale: a generated zone of RECORDS records (DYNAMIC of them dynamic) — how long `gslb check` takes and
# how much memory it needs, how long the server takes to start and its RSS, and what dnsperf sees while the server
# reloads the zone twice under load (the second time with a changed file): queries lost, latency, RSS.
# Env: RECORDS (100000), DYNAMIC (10000), SECS (20). Needs dnsperf, dig, /usr/bin/time (apt-get install -y dnsperf
# bind9-dnsutils time). Every load is bounded by dnsperf -l; the server started here is stopped here, by its PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RECORDS=${RECORDS:-100000} DYNAMIC=${DYNAMIC:-10000} SECS=${SECS:-20}
for tool in dnsperf dig taskset /usr/bin/time; do command -v $tool >/dev/null || { echo "$tool is missing: apt-get install -y dnsperf bind9-dnsutils time util-linux" >&2; exit 2; }; done
work=$(mktemp -d /tmp/gslb-scale.XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
mkdir "$work/zones"
(cd "$root" && node --import=tsx bench/big-zone.ts "$work/zones/big.test.yaml" "$RECORDS" "$DYNAMIC")
echo "zone file: $(du -h "$work/zones/big.test.yaml" | cut -f1)"

/usr/bin/time -f '%e %M' -o "$work/check.time" "$root/bin/gslb.js" check --zones "$work/zones" >/dev/null
read -r secs kb <"$work/check.time"
echo "gslb check: ${secs} s, peak RSS $((kb / 1024)) MiB"

port=$(node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
start=$(date +%s.%N)
taskset -c 0 env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=2 --expose-gc "$root/bin/gslb.js" serve --zones "$work/zones" --geoip "$root/geoip" --db "$work/state.sqlite" \
  --dns-listen "127.0.0.1:$port" --api-listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 >"$work/gslb.log" 2>&1 &
pid=$!
until grep -q 'dns listening' "$work/gslb.log"; do kill -0 "$pid" || { cat "$work/gslb.log"; exit 1; }; sleep 0.05; done
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }
echo "serve: answering after $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s, RSS $(rss) MiB (peak $(hwm) MiB)"

# Queries: static and dynamic names spread over the zone, one pass of 20,000 lines repeated.
awk -v n="$RECORDS" -v d="$DYNAMIC" 'BEGIN { srand(7); for (i = 0; i < 20000; i++) { if (i % 5 == 0) printf "d%d.big.test A\n", int(rand() * d); else printf "h%d.big.test A\n", int(rand() * (n - d)) } }' >"$work/queries.txt"
taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$SECS" -c 8 -q 200 -t 5 -S 1 >"$work/dnsperf.txt" 2>&1 &
perf=$!
sleep $((SECS / 4))
kill -HUP "$pid"; echo "reload 1 (same file) sent at $((SECS / 4)) s"
sleep $((SECS / 3))
printf 'added-by-scale-bench: {type: A, value: 192.0.2.99}\n' >>"$work/zones/big.test.yaml"
kill -HUP "$pid"; echo "reload 2 (one record added) sent at $((SECS / 4 + SECS / 3)) s"
wait "$perf" || true
grep -E 'Queries (sent|completed|lost)|Queries per second|Average Latency|Latency StdDev' "$work/dnsperf.txt" | sed 's/^ */  /'
echo "  queries/s second by second (dnsperf -S 1): $(awk '/^[0-9]+\.[0-9]+: [0-9.]+$/ {printf "%d ", $2}' "$work/dnsperf.txt")"
grep -E 'reloaded|reload' "$work/gslb.log" | sed 's/^/  /'
echo "  new record: $(dig +short +tries=1 +time=2 @127.0.0.1 -p "$port" added-by-scale-bench.big.test A)"
echo "RSS after the reloads: $(rss) MiB (peak $(hwm) MiB); $(date -Is), $(nproc) CPUs, node $(node --version)"
