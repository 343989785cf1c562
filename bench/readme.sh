#!/bin/sh
# Regenerates the figures of README.md's "## Performance" section: builds
# the harness, runs `sheaf-bench --markdown` and bench/cli.sh (the
# clusterer's whole process) and puts their output between
# the BEGIN and END marker lines of that section, so the table is never
# edited by hand.
#
#   sh bench/readme.sh [BUILD_DIR]     (default build; extra arguments for
#                                       the harness in BENCH_ARGS)
set -e
cd "$(dirname "$0")/.."
build=${1:-build}
make --no-print-directory BUILD="$build" "$build/sheaf-bench" >/dev/null
out=$(mktemp)
trap 'rm -f "$out" "$out.readme"' EXIT
# shellcheck disable=SC2086
"$build/sheaf-bench" --markdown --repeats 15 $BENCH_ARGS >"$out"
echo >>"$out"
sh bench/cli.sh "$build" >>"$out"
begin='<!-- BEGIN sheaf-bench --markdown (bench/readme.sh) -->'
end='<!-- END sheaf-bench --markdown -->'
grep -qF "$begin" README.md && grep -qF "$end" README.md || {
    echo "readme.sh: README.md lacks the marker lines" >&2
    exit 1
}
awk -v begin="$begin" -v end="$end" -v out="$out" '
    $0 == begin { print; while ((getline line < out) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }
' README.md >"$out.readme"
mv "$out.readme" README.md
echo "readme.sh: README.md updated"
