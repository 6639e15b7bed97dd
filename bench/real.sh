#!/usr/bin/env bash
# npm run bench:real -- [REV_OLD]: gslb on the real GeoLite2-City database (npm package geolite2) with continent rules,
# ECS from 20,000 seeded routable IPv4 /24s and 2,000 IPv6 /48s the database has, beside the Node.js ceiling
# (bench/dgram-fixed.cjs), PowerDNS's geoip backend and gdnsd's geoip plugin on the same file and rules (when
# installed: apt-get install -y pdns-server pdns-backend-geoip gdnsd) and, when REV_OLD is given, an older build. Servers pinned to CPU 0, dnsperf to CPU 1,
# interleaved rounds, medians, and each server's CPU time per query. Also: RSS of each gslb after the load, and a reload of the new one under load
# (queries lost). Env: SECS (5), ROUNDS (3). Needs dnsperf, dig, taskset, git.
# Every load is bounded by dnsperf -l; every server and worktree made here is removed here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SECS=${SECS:-5} ROUNDS=${ROUNDS:-3}
rev_old=${1:-}
for tool in dnsperf dig taskset git; do command -v $tool >/dev/null || { echo "$tool is missing: apt-get install -y dnsperf bind9-dnsutils util-linux git" >&2; exit 2; }; done
work=$(mktemp -d /tmp/gslb-real.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ -n "$rev_old" ] && git -C "$root" worktree remove --force "$work/old" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

city=$(cd "$root" && node -e "import('geolite2').then((m) => console.log(m.paths.city))")
mkdir -p "$work/geoip" && ln -s "$city" "$work/geoip/GeoLite2-City.mmdb"
(cd "$root" && npm run -s build >/dev/null)
dirs=(new) ; declare -A dir=([new]="$root")
if [ -n "$rev_old" ]; then
  git -C "$root" worktree add --detach "$work/old" "$rev_old" >/dev/null 2>&1
  ln -s "$root/node_modules" "$work/old/node_modules"
  (cd "$work/old" && npm run -s build >/dev/null)
  dirs=(old new); dir[old]="$work/old"
fi

free_port() { node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_ready() { for _ in $(seq 1 240); do [[ $(dig +short +tries=1 +time=1 @127.0.0.1 -p "$1" static.real.test A 2>/dev/null) == 192.0.2.1 ]] && return 0; sleep 0.25; done; echo "server on $1 did not answer" >&2; exit 1; }
declare -A port pid
for s in "${dirs[@]}"; do
  port[$s]=$(free_port)
  mkdir -p "$work/zones-$s" && cp "$here/zones-real/"*.yaml "$work/zones-$s/"
  taskset -c 0 env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=2 --expose-gc "${dir[$s]}/bin/gslb.js" serve --zones "$work/zones-$s" --geoip "$work/geoip" \
    --db "$work/$s.sqlite" --dns-listen "127.0.0.1:${port[$s]}" --api-listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 >"$work/$s.log" 2>&1 &
  pid[$s]=$!; pids+=($!)
done
port[ceiling]=$(free_port)
taskset -c 0 node "$here/dgram-fixed.cjs" "${port[ceiling]}" 127.0.0.1 >"$work/ceiling.log" 2>&1 & pids+=($!); pid[ceiling]=$!
peers=()
declare -A peer_pid
if command -v pdns_server >/dev/null; then # geoip backend, %cn: the continent of the ECS address or the source
  port[pdns]=$(free_port); mkdir -p "$work/pdns"
  printf '%s\n' "local-address=127.0.0.1" "local-port=${port[pdns]}" "socket-dir=$work/pdns" daemon=no guardian=no \
    disable-syslog=yes loglevel=4 receiver-threads=1 distributor-threads=1 edns-subnet-processing=yes webserver=no api=no \
    security-poll-suffix= launch=geoip "geoip-database-files=mmdb:$city" "geoip-zones-file=$work/pdns/geo.yaml" >"$work/pdns/pdns.conf"
  { printf 'domains:\n- domain: real.test\n  ttl: 300\n  records:\n    real.test:\n'
    printf '      - soa: ns1.example.net. hostmaster.example.net. 1 3600 600 86400 60\n      - ns: ns1.example.net.\n'
    printf '    static.real.test:\n      - a: 192.0.2.1\n    unknown.geo.real.test:\n      - a: {content: 192.0.2.1, ttl: 60}\n'
    i=10; for c in eu na as sa af oc; do printf '    %s.geo.real.test:\n      - a: {content: 192.0.2.%s, ttl: 60}\n' $c $i; i=$((i + 1)); done
    printf "  services:\n    geo.real.test: '%%cn.geo.real.test'\n"; } >"$work/pdns/geo.yaml"
  taskset -c 0 pdns_server --config-dir="$work/pdns" >"$work/pdns.log" 2>&1 & peer_pid[pdns]=$!; pids+=($!); peers+=(pdns)
fi
if command -v gdnsd >/dev/null; then # geoip plugin, a continent map over the same file
  port[gdnsd]=$(free_port); g="$work/gdnsd"; mkdir -p "$g/etc/zones" "$g/etc/geoip" "$g/run" "$g/state"
  ln -s "$city" "$g/etc/geoip/GeoLite2-City.mmdb"
  cat >"$g/etc/config" <<EOF
options => { listen => [ 127.0.0.1 ], dns_port => ${port[gdnsd]}, udp_threads => 1, tcp_threads => 1, run_dir => $g/run, state_dir => $g/state, edns_client_subnet => true }
plugins => { geoip => {
  maps => { continents => { geoip2_db => GeoLite2-City.mmdb, datacenters => [ eu, na, as, sa, af, oc, other ],
    map => { EU => [ eu ], NA => [ na ], AS => [ as ], SA => [ sa ], AF => [ af ], OC => [ oc ], default => [ other ] } } }
  resources => { geo => { map => continents, dcmap => { eu => 192.0.2.10, na => 192.0.2.11, as => 192.0.2.12, sa => 192.0.2.13, af => 192.0.2.14, oc => 192.0.2.15, other => 192.0.2.1 } } }
} }
EOF
  printf '%s\n' '@ 300 SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 60' '@ 300 NS ns1.example.net.' \
    'static 300 A 192.0.2.1' 'geo 60 DYNA geoip!geo' >"$g/etc/zones/real.test"
  taskset -c 0 gdnsd -c "$g/etc" -f start >"$work/gdnsd.log" 2>&1 & peer_pid[gdnsd]=$!; pids+=($!); peers+=(gdnsd)
fi
for s in "${dirs[@]}" "${peers[@]}"; do wait_ready "${port[$s]}"; done
sleep 0.5
for s in "${peers[@]}"; do pid[$s]=${peer_pid[$s]}; done
for s in "${dirs[@]}" "${peers[@]}"; do echo "$s: idle RSS $(( $(ps -o rss= -p "${pid[$s]}") / 1024 )) MB"; done

(cd "$root" && node --import=tsx bench/real-ecs.ts geo.real.test "$work/v4.bin" "$work/v6.bin")
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# PORT FILE PID -> q/s, and the server's CPU time per query in µs (dnsperf can saturate its own core before a
# server does: CPU per query compares servers whatever the load generator manages).
qps() {
  local before after out
  before=$(cpu_ticks "$3")
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$1" -d "$work/$2" -B -l "$SECS" -c 8 -q 200 -t 2 2>&1)
  after=$(cpu_ticks "$3")
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '/Queries completed:/ {n=$3} /Queries per second:/ {q=$4}
    END {printf "%s %.2f\n", q, (n > 0 ? ticks / hz * 1e6 / n : 0)}' <<<"$out"
}
median() { sort -n | awk '{v[NR]=$0} END {print v[int((NR+1)/2)]}'; }
servers=(ceiling "${peers[@]}" "${dirs[@]}")
printf '%-8s' workload; for s in "${servers[@]}"; do printf ' %10s' "$s"; done; printf '   ratios\n'
for w in v4 v6; do
  declare -A runs=() cpus=()
  for r in $(seq 1 "$ROUNDS"); do
    order=("${servers[@]}"); (( r % 2 )) || order=($(printf '%s\n' "${servers[@]}" | tac))
    for s in "${order[@]}"; do
      read -r q c <<<"$(qps "${port[$s]}" "$w.bin" "${pid[$s]}")"
      runs[$s]+="$q "; cpus[$s]+="$c "
    done
  done
  declare -A med=()
  printf '%-8s' "$w"
  for s in "${servers[@]}"; do med[$s]=$(printf '%s\n' ${runs[$s]} | median); printf ' %10.0f' "${med[$s]}"; done
  printf '   new/ceiling %.2f' "$(awk -v a="${med[new]}" -v c="${med[ceiling]}" 'BEGIN{print a/c}')"
  [ -n "$rev_old" ] && printf ', new/old %.2f' "$(awk -v a="${med[new]}" -v o="${med[old]}" 'BEGIN{print a/o}')"
  for p in "${peers[@]}"; do printf ', new/%s %.2f' "$p" "$(awk -v a="${med[new]}" -v o="${med[$p]}" 'BEGIN{print a/o}')"; done
  printf '\n'
  declare -A cpu=()
  printf '%-8s' "  µs/q"
  for s in "${servers[@]}"; do cpu[$s]=$(printf '%s\n' ${cpus[$s]} | median); printf ' %10.2f' "${cpu[$s]}"; done
  printf '   server CPU per query; ceiling/new %.2f' "$(awk -v a="${cpu[new]}" -v c="${cpu[ceiling]}" 'BEGIN{print (a>0?c/a:0)}')"
  for p in "${peers[@]}"; do printf ', %s/new %.2f' "$p" "$(awk -v a="${cpu[new]}" -v o="${cpu[$p]}" 'BEGIN{print (a>0?o/a:0)}')"; done
  printf '\n'
done
for s in "${dirs[@]}" "${peers[@]}"; do echo "$s: RSS after the load $(( $(ps -o rss= -p "${pid[$s]}") / 1024 )) MB"; done

# A reload with changed rules (compiled again over the database) while dnsperf runs: every query sent is answered.
sed -i 's/- {geos: \[OC\], pool: oc}/- {geos: [OC, AN], pool: oc}/' "$work/zones-new/real.test.yaml"
taskset -c 1 dnsperf -s 127.0.0.1 -p "${port[new]}" -d "$work/v4.bin" -B -l 8 -c 8 -Q 20000 -t 2 >"$work/reload.out" 2>&1 &
perf=$!; sleep 1; kill -HUP "${pid[new]}"; wait "$perf" || true
echo "reload under load (new): $(awk '/Queries sent:/ {s=$3} /Queries completed:/ {c=$3} /Queries lost:/ {l=$3} END {print s" sent, "c" completed, "l" lost"}' "$work/reload.out")"
grep -E 'reloaded|compiled' "$work/new.log" | tail -3 || true
# Idle RSS of the new build with GeoLite2-City and GeoLite2-ASN (the rules' databases, and the ASN one beside them).
asn=$(cd "$root" && node -e "import('geolite2').then((m) => console.log(m.paths.asn))")
mkdir -p "$work/geoip-asn" && ln -s "$city" "$work/geoip-asn/GeoLite2-City.mmdb" && ln -s "$asn" "$work/geoip-asn/GeoLite2-ASN.mmdb"
port[asn]=$(free_port)
"$root/bin/gslb.js" serve --zones "$work/zones-new" --geoip "$work/geoip-asn" --db "$work/asn.sqlite" \
  --dns-listen "127.0.0.1:${port[asn]}" --api-listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 >"$work/asn.log" 2>&1 &
asn_pid=$!; pids+=($!)
wait_ready "${port[asn]}"; sleep 3
echo "new with GeoLite2-City + ASN: idle RSS $(( $(ps -o rss= -p "$asn_pid") / 1024 )) MB"
echo "$(date -Is), $(nproc) CPUs, node $(node --version)"
