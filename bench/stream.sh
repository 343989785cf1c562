#!/bin/sh
# The windowed stream as issue 13 measures it, printed as markdown: the
# Multi-News stories told again every 30 days (`sheaf-bench replay`), one
# month (~15k articles) against four (~61k), through
#   sheaf cluster --quiet --threads 1 --mode M --time-field time --window 72h
# in near and story mode: wall time and peak RSS, best of RUNS (default 5).
# Memory with a window must not grow with the months (target: 4-month RSS
# <= 1.3x the 1-month run, time <= 4.6x). Then what a restart costs: a
# stored near index of eight months without a window (~122k articles) is
# opened by a run over an empty input, timed the same way.
#
#   sh bench/stream.sh [BUILD_DIR]        (default build)
set -e
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${RUNS:-5}
make --no-print-directory BUILD="$build" "$build/sheaf" "$build/sheaf-bench" >/dev/null
if [ ! -f ../shared/corpora/multinews/val.jsonl.gz ]; then
    echo "skipped: ../shared/corpora/multinews absent"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in 1 4 8; do
    "$build/sheaf-bench" replay --months "$m" --out "$tmp/r$m.jsonl" 2>/dev/null
done

# "SECONDS KB": the fastest wall time and the least peak RSS of $runs runs.
best() {
    i=0
    out=""
    while [ "$i" -lt "$runs" ]; do
        /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null
        out="$out$(cat "$tmp/time")
"
        i=$((i + 1))
    done
    printf '%s' "$out" | awk 'NR == 1 || $1 < t { t = $1 } NR == 1 || $2 < k { k = $2 } END { print t, k }'
}

echo "Windowed stream, \`sheaf cluster --quiet --threads 1 --mode M --time-field time --window 72h\`,"
echo "Multi-News stories replayed every 30 days; best of $runs runs."
echo
echo "| mode | months | articles | best s | peak RSS MB | time ratio | RSS ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for mode in near story; do
    for m in 1 4; do
        set -- $(best "$build/sheaf" cluster --quiet --threads 1 --mode "$mode" \
            --time-field time --window 72h "$tmp/r$m.jsonl")
        if [ "$m" = 1 ]; then t1=$1 k1=$2; fi
        n=$(wc -l <"$tmp/r$m.jsonl")
        echo "$mode $m $n $1 $2 $t1 $k1" | awk '{ printf "| %s | %d | %d | %.2f | %.1f | %.2fx | %.2fx |\n", $1, $2, $3, $4, $5 / 1024, $4 / $6, $5 / $7 }'
    done
done

echo
"$build/sheaf" cluster --quiet --threads 1 --index "$tmp/r8.idx" "$tmp/r8.jsonl" >/dev/null
: >"$tmp/empty.jsonl"
set -- $(best "$build/sheaf" cluster --quiet --index "$tmp/r8.idx" "$tmp/empty.jsonl")
set -- $(best "$build/sheaf" cluster --quiet "$tmp/empty.jsonl") "$@"
n=$(wc -l <"$tmp/r8.jsonl")
bytes=$(wc -c <"$tmp/r8.idx")
echo "$n $3 $4 $1 $2 $bytes" | awk '{ printf "Restart: opening a stored near index of %d articles (%.0f MB on disk) takes %.2f s and %.0f MB (a run without an index: %.2f s, %.0f MB): %.1f us and %.0f bytes of memory per article.\n", $1, $6 / 1e6, $2, $3 / 1024, $4, $5 / 1024, ($2 - $4) * 1e6 / $1, ($3 - $5) * 1024 / $1 }'
