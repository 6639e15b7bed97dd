#!/usr/bin/env bash
# npm run bench:ab -- [REV_A] [REV_B]: two builds of gslb (git revisions, default HEAD~1 and the work tree) side by
# side in one sitting, both pinned to CPU 0, driven by dnsperf pinned to CPU 1, in interleaved rounds (A B, B A, ...)
# so drift on a shared machine falls on both. Prints per workload the median queries/s of each and the ratio B/A.
# Each round also measures the fixed-answer Node.js ceiling (bench/dgram-fixed.cjs) on the same CPU, and the ratios
# of A and B to it are printed beside B/A. ARGS_A and ARGS_B add serve flags to one side (B may be the same revision
# as A with other settings: ARGS_B="--config bench/no-rrl.yaml").
# Env: SECS (default 5), ROUNDS (5), WORKLOADS (default "static geo-isp-ecs"; also weighted, nxdomain, mix and
# tcp-static, as in bench.sh), ARGS_A, ARGS_B. Needs dnsperf, dig, git.
# Every load is bounded by dnsperf -l; every server and worktree made here is removed here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SECS=${SECS:-5} ROUNDS=${ROUNDS:-5} WORKLOADS=${WORKLOADS:-"static geo-isp-ecs"} ARGS_A=${ARGS_A:-} ARGS_B=${ARGS_B:-}
rev_a=${1:-HEAD~1} rev_b=${2:-}
for tool in dnsperf dig taskset git; do command -v $tool >/dev/null || { echo "$tool is missing: apt-get install -y dnsperf bind9-dnsutils util-linux git" >&2; exit 2; }; done
work=$(mktemp -d /tmp/gslb-ab.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  git -C "$root" worktree remove --force "$work/a" 2>/dev/null || true
  [ -n "$rev_b" ] && git -C "$root" worktree remove --force "$work/b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A checkout of each revision (the work tree itself for B when none is given), built as npm run build builds.
checkout() {
  git -C "$root" worktree add --detach "$work/$1" "$2" >/dev/null 2>&1
  ln -s "$root/node_modules" "$work/$1/node_modules"
  (cd "$work/$1" && npm run -s build >/dev/null)
  echo "$work/$1"
}
dir_a=$(checkout a "$rev_a")
if [ -n "$rev_b" ]; then dir_b=$(checkout b "$rev_b"); else dir_b=$root; (cd "$root" && npm run -s build >/dev/null); fi

free_port() { node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_ready() { for _ in $(seq 1 80); do [[ $(dig +short +tries=1 +time=1 @127.0.0.1 -p "$1" static.example.test A 2>/dev/null) == 192.0.2.1 ]] && return 0; sleep 0.25; done; echo "server on $1 did not answer" >&2; exit 1; }
start() { # DIR PORT EXTRA_ARGS -> pid
  taskset -c 0 env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=2 --expose-gc "$1/bin/gslb.js" serve --zones "$here/zones" --geoip "$root/geoip" --db "$work/$2.sqlite" \
    --dns-listen "127.0.0.1:$2" --api-listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 $3 >"$work/$2.log" 2>&1 &
  echo $!
}
port_a=$(free_port); port_b=$(free_port); port_c=$(free_port)
pid_a=$(start "$dir_a" "$port_a" "$ARGS_A"); pids+=("$pid_a")
pid_b=$(start "$dir_b" "$port_b" "$ARGS_B"); pids+=("$pid_b")
taskset -c 0 node "$here/dgram-fixed.cjs" "$port_c" 127.0.0.1 >"$work/ceiling.log" 2>&1 & pids+=($!)
wait_ready "$port_a"; wait_ready "$port_b"; wait_ready "$port_c"

printf 'static.example.test A\n' >"$work/static.txt"
printf 'www.example.test A\n' >"$work/weighted.txt"
for i in $(seq 1 1000); do echo "nope-$i.example.test A"; done >"$work/nxdomain.txt"
{ for i in $(seq 1 50); do echo "static.example.test A"; echo "www.example.test A"; echo "geo.example.test A"; echo "www.example.test AAAA"; echo "nope-$i.example.test A"; done; } >"$work/mix.txt"
(cd "$root" && node --import=tsx bench/ecs-queries.ts geo.example.test "$work/geo-ecs.bin" >/dev/null)
# The workloads of npm run bench (bench.sh), by name.
file_of() {
  case $1 in
    static) echo "static.txt|";; weighted) echo "weighted.txt|";; geo-isp-ecs) echo "geo-ecs.bin|-B";;
    nxdomain) echo "nxdomain.txt|";; mix) echo "mix.txt|";; tcp-static) echo "static.txt|-m tcp";;
    *) echo "unknown workload $1" >&2; exit 2;;
  esac
}
qps() { # PORT FILE ARGS
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$1" -d "$work/$2" -l "$SECS" -c 8 -q 200 -t 2 $3 2>&1 | awk '/Queries per second:/ {print $4}'
}
median() { sort -n | awk '{v[NR]=$0} END {print v[int((NR+1)/2)]}'; }

echo "A: $rev_a ($(git -C "$dir_a" log -1 --format=%h)) $ARGS_A, B: ${rev_b:-work tree} ($(git -C "$dir_b" log -1 --format=%h)) $ARGS_B; $ROUNDS rounds of $SECS s"
printf '%-12s %10s %10s %10s %8s %8s %8s\n' workload ceiling A_qps B_qps A/ceil B/ceil B/A
for w in $WORKLOADS; do
  IFS='|' read -r file args <<<"$(file_of "$w")"
  a=() b=() c=()
  for r in $(seq 1 "$ROUNDS"); do
    c+=("$(qps "$port_c" "$file" "${args/-m tcp/}")") # the ceiling answers UDP only
    if (( r % 2 )); then a+=("$(qps "$port_a" "$file" "$args")"); b+=("$(qps "$port_b" "$file" "$args")");
    else b+=("$(qps "$port_b" "$file" "$args")"); a+=("$(qps "$port_a" "$file" "$args")"); fi
  done
  ma=$(printf '%s\n' "${a[@]}" | median); mb=$(printf '%s\n' "${b[@]}" | median); mc=$(printf '%s\n' "${c[@]}" | median)
  printf '%-12s %10.0f %10.0f %10.0f %7.3fx %7.3fx %7.3fx   (A: %s; B: %s)\n' "$w" "$mc" "$ma" "$mb" \
    "$(awk -v a="$ma" -v c="$mc" 'BEGIN{print (c>0?a/c:0)}')" "$(awk -v b="$mb" -v c="$mc" 'BEGIN{print (c>0?b/c:0)}')" \
    "$(awk -v a="$ma" -v b="$mb" 'BEGIN{print (a>0?b/a:0)}')" "$(printf '%.0f ' "${a[@]}")" "$(printf '%.0f ' "${b[@]}")"
done
echo "$(date -Is), $(nproc) CPUs, node $(node --version)"
