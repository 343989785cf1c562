#!/bin/sh
# The Python binding against the command line: add_many over the 20,000
# generated articles of bench/cli.sh (sheaf-bench gen --articles 20000
# --length 1800) and `sheaf cluster --quiet --threads 1` on the same file,
# best of 7 each, run in turn (bench/python_bench.py). Usage: sh bench/python.sh [BUILD]
build=${1:-build}
make --no-print-directory -s "$build/sheaf" "$build/sheaf-bench" python BUILD="$build" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$build/sheaf-bench" gen --articles 20000 --length 1800 --out "$tmp/gen.jsonl" 2> /dev/null || exit 1
PYTHONPATH="$build/python" ${PYTHON:-python3} bench/python_bench.py "$build" "$tmp/gen.jsonl" 7
