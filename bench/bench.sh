#!/usr/bin/env bash
# npm run bench: gslb beside the Node.js ceiling (bench/dgram-fixed.cjs), both pinned to CPU 0, driven by dnsperf
# pinned to CPU 1, over loopback. Prints, per workload, the median of REPS runs: queries/s, average and p99 latency,
# server CPU and RSS, and the ratio to the ceiling measured in the same run.
# Env: SECS (default 10), REPS (3), CLIENTS (8), OUTSTANDING (200). Needs dnsperf and dig (apt-get install -y dnsperf bind9-dnsutils).
# Every load is bounded by dnsperf -l; every server started here is stopped here, by its PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SECS=${SECS:-10} REPS=${REPS:-3} CLIENTS=${CLIENTS:-8} OUTSTANDING=${OUTSTANDING:-200}
for tool in dnsperf dig taskset; do command -v $tool >/dev/null || { echo "$tool is missing: apt-get install -y dnsperf bind9-dnsutils util-linux" >&2; exit 2; }; done
work=$(mktemp -d /tmp/gslb-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_ready() { for _ in $(seq 1 80); do [[ $(dig +short +tries=1 +time=1 @127.0.0.1 -p "$1" static.example.test A 2>/dev/null) == 192.0.2.1 ]] && return 0; sleep 0.25; done; echo "server on $1 did not answer" >&2; exit 1; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

ceiling_port=$(free_port); gslb_port=$(free_port)
taskset -c 0 node "$here/dgram-fixed.cjs" "$ceiling_port" 127.0.0.1 >"$work/ceiling.log" 2>&1 & pids+=($!); ceiling_pid=$!
taskset -c 0 env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=2 --expose-gc "$root/bin/gslb.js" serve --zones "$here/zones" --geoip "$root/geoip" --db "$work/state.sqlite" \
  --dns-listen "127.0.0.1:$gslb_port" --api-listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 >"$work/gslb.log" 2>&1 & pids+=($!); gslb_pid=$!
wait_ready "$ceiling_port"; wait_ready "$gslb_port"

# Query files. The geo/ISP workload is binary (dnsperf -B): each query carries ECS from one of 3,840 client /24s in
# 14 places of the sample GeoIP data and 256 outside it (bench/ecs-queries.ts), so no per-subnet cache can carry it.
printf 'static.example.test A\n' >"$work/static.txt"
printf 'www.example.test A\n' >"$work/weighted.txt"
(cd "$root" && node --import=tsx bench/ecs-queries.ts geo.example.test "$work/geo-ecs.bin" >/dev/null)
for i in $(seq 1 1000); do echo "nope-$i.example.test A"; done >"$work/nxdomain.txt"
{ for i in $(seq 1 50); do echo "static.example.test A"; echo "www.example.test A"; echo "geo.example.test A"; echo "www.example.test AAAA"; echo "nope-$i.example.test A"; done; } >"$work/mix.txt"

# name, query file, extra dnsperf args
workloads=(
  "static|static.txt|"
  "weighted|weighted.txt|"
  "geo-isp-ecs|geo-ecs.bin|-B"
  "nxdomain|nxdomain.txt|"
  "mix|mix.txt|"
  "tcp-static|static.txt|-m tcp"
)

# one_run PORT PID FILE ARGS -> "qps avg_ms p99_ms cpu% rss"
one_run() {
  local port=$1 pid=$2 file=$3 args=$4 t0 t1 out
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/$file" -l "$SECS" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 -v $args 2>&1 || true)
  t1=$(cpu_ticks "$pid")
  local qps avg p99
  qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
  avg=$(awk '/Average Latency/ && !done {printf "%.3f", $4*1000; done=1}' <<<"$out")
  # -v prints "> RCODE name type seconds" per response: the 99th percentile of those.
  p99=$(awk '/^> / {print $NF*1000}' <<<"$out" | sort -n | awk '{v[NR]=$1} END {if (NR) printf "%.3f", v[int(NR*0.99)]; else print "-"}')
  local hz; hz=$(getconf CLK_TCK)
  echo "${qps:-0} ${avg:--} ${p99:--} $(( (t1 - t0) * 100 / hz / SECS )) $(rss_mib "$pid")"
}

median() { sort -n | awk '{v[NR]=$0} END {print v[int((NR+1)/2)]}'; }

printf '%-12s %10s %10s %8s %8s %6s %6s %8s\n' workload ceiling_qps gslb_qps ratio avg_ms p99_ms cpu% rss_MiB
for w in "${workloads[@]}"; do
  IFS='|' read -r name file args <<<"$w"
  ceil=() mine=()
  for _ in $(seq 1 "$REPS"); do
    # The ceiling answers UDP only: every workload (TCP included) is compared with its UDP figure.
    ceil+=("$(one_run "$ceiling_port" "$ceiling_pid" static.txt "" | cut -d' ' -f1)")
    mine+=("$(one_run "$gslb_port" "$gslb_pid" "$file" "$args")")
  done
  c=$(printf '%s\n' "${ceil[@]}" | median)
  m=$(printf '%s\n' "${mine[@]}" | sort -n -k1 | awk '{v[NR]=$0} END {print v[int((NR+1)/2)]}')
  read -r qps avg p99 cpu rss <<<"$m"
  printf '%-12s %10.0f %10.0f %7.2fx %8s %6s %6s %8s\n' "$name" "$c" "$qps" "$(awk -v a="$qps" -v b="$c" 'BEGIN{print (b>0?a/b:0)}')" "$avg" "$p99" "$cpu" "$rss"
done
echo "unloaded latency (-c 1 -q 1, static): gslb $(taskset -c 1 dnsperf -s 127.0.0.1 -p "$gslb_port" -d "$work/static.txt" -l 5 -c 1 -q 1 2>&1 | awk '/Average Latency/ {printf "%.3f ms", $4*1000}'), ceiling $(taskset -c 1 dnsperf -s 127.0.0.1 -p "$ceiling_port" -d "$work/static.txt" -l 5 -c 1 -q 1 2>&1 | awk '/Average Latency/ {printf "%.3f ms", $4*1000}')"
echo "gslb RSS serving the benchmark zone: $(rss_mib "$gslb_pid") MiB; $(date -Is), $(nproc) CPUs, node $(node --version)"
