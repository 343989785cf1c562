#!/bin/sh
# The clusterer's whole process as issue 4 measures it, printed as markdown:
# `sheaf cluster --threads 1` timed end to end (best of RUNS, default 11, of
# the wall time) and, when valgrind is installed, its instructions per input
# byte counted by callgrind (repeatable where times are not), parsing and
# output included, on two inputs:
#   - the Multi-News validation JSONL, uncompressed (from ../shared);
#   - a news dump of 20,000 articles, ~40 MB, that `sheaf-bench gen` writes
#     from the Multi-News text (from its built-in paragraph without
#     ../shared, which the table then says).
#
#   sh bench/cli.sh [BUILD_DIR]        (default build)
set -e
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${RUNS:-11}
make --no-print-directory BUILD="$build" "$build/sheaf" "$build/sheaf-bench" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

multinews=../shared/corpora/multinews/val.jsonl.gz
inputs=""
if [ -f "$multinews" ]; then
    gzip -dc "$multinews" >"$tmp/multinews.jsonl"
    inputs="multinews"
    source_note="from the Multi-News text"
else
    source_note="from sheaf-bench's built-in paragraph (../shared absent)"
fi
"$build/sheaf-bench" gen --articles 20000 --length 1800 --out "$tmp/news20k.jsonl" >/dev/null
inputs="$inputs news20k"

# Seconds of the fastest of $runs runs of the command.
best_time() {
    i=0
    best=""
    while [ "$i" -lt "$runs" ]; do
        t0=$(date +%s.%N)
        "$@" >/dev/null
        t1=$(date +%s.%N)
        best=$(echo "$t0 $t1 $best" | awk '{ d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3 }')
        i=$((i + 1))
    done
    echo "$best"
}

echo "Whole process, \`$build/sheaf cluster --threads 1 --quiet -o OUT FILE\`: wall time best of $runs runs;"
echo "instructions per input byte from \`valgrind --tool=callgrind\` (which runs the AVX2 level)."
echo
echo "| input | articles | MB | best s | MB/s | articles/s | instructions/byte |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in $inputs; do
    f="$tmp/$name.jsonl"
    bytes=$(wc -c <"$f")
    lines=$(wc -l <"$f")
    secs=$(best_time "$build/sheaf" cluster --threads 1 --quiet -o "$tmp/out.tsv" "$f")
    ipb="-"
    if command -v valgrind >/dev/null 2>&1; then
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
            "$build/sheaf" cluster --threads 1 --quiet -o "$tmp/out.tsv" "$f" \
            2>"$tmp/cg.log" >/dev/null
        refs=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$tmp/cg.log")
        ipb=$(echo "$refs $bytes" | awk '{ printf "%.1f", $1 / $2 }')
    fi
    case $name in
    multinews) label="Multi-News validation JSONL (real news)" ;;
    news20k) label="\`sheaf-bench gen --articles 20000 --length 1800\` $source_note" ;;
    esac
    echo "$label $lines $bytes $secs $ipb" | awk -v label="$label" '{
        n = split($0, f, " "); lines = f[n - 3]; bytes = f[n - 2]; secs = f[n - 1]; ipb = f[n]
        printf "| %s | %d | %.1f | %.3f | %.0f | %.0f | %s |\n", label, lines, bytes / 1e6, secs,
               bytes / 1e6 / secs, lines / secs, ipb }'
    echo "$name $bytes $secs $ipb" >>"$tmp/verdicts"
done
# Both cores: signing runs on a second thread.
f="$tmp/news20k.jsonl"
bytes=$(wc -c <"$f")
lines=$(wc -l <"$f")
secs=$(best_time "$build/sheaf" cluster --threads 2 --quiet -o "$tmp/out.tsv" "$f")
echo "$lines $bytes $secs" | awk '{
    printf "| the same dump, `--threads 2` | %d | %.1f | %.3f | %.0f | %.0f | - |\n", $1, $2 / 1e6, $3,
           $2 / 1e6 / $3, $1 / $3 }'

# Issue 4's targets for the whole process: at most 20 instructions per
# byte; on the 40 MB dump, 100 times datasketch's MinHashLSH (~5 MB/s
# here) and 25 times a compiled Go MinHash-LSH (~11 MB/s here).
echo
awk '
    function verdict(ok) { return ok ? "met" : "not met" }
    { mbs[$1] = $2 / 1e6 / $3; ipb[$1] = $4 }
    END {
        printf "Targets of issue 4 for the whole process:"
        split("multinews news20k", order, " ")
        label["multinews"] = "Multi-News"
        label["news20k"] = "the 20k-article dump"
        for (i = 1; i <= 2; i++) {
            k = order[i]
            if ((k in ipb) && ipb[k] != "-")
                printf " %s instructions per byte on %s (at most 20: %s);", ipb[k], label[k], verdict(ipb[k] + 0 <= 20)
        }
        printf " %.0f MB/s on the 20k-article dump, %.0fx datasketch (100x: %s) and %.0fx the Go reference (25x: %s).\n",
            mbs["news20k"], mbs["news20k"] / 5, verdict(mbs["news20k"] >= 500),
            mbs["news20k"] / 11, verdict(mbs["news20k"] >= 275)
    }' "$tmp/verdicts"
