#!/bin/sh
# The stored index's fuzz target (tests/fuzz_store.c) run briefly in make
# test: its seeds and kept crash inputs (tests/fuzz-seeds/fuzz_store)
# once each, then SHEAF_FUZZ_SECONDS (default 10) of fuzzing. `make fuzz`
# runs every target for longer. Skips with a message without clang and
# libFuzzer (make fuzz installs them).
set -u
SECONDS_=${SHEAF_FUZZ_SECONDS:-10}
if ! command -v clang >/dev/null 2>&1 ||
    [ -z "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ]; then
    echo "fuzz: skipped (no clang with libFuzzer; 'make fuzz' installs them)"
    exit 0
fi
if ! ${MAKE:-make} -s --no-print-directory build-fuzz/fuzz_store >/dev/null 2>"${TMPDIR:-/tmp}/fuzz-build.$$"; then
    echo "fuzz: cannot build build-fuzz/fuzz_store:"
    cat "${TMPDIR:-/tmp}/fuzz-build.$$"
    rm -f "${TMPDIR:-/tmp}/fuzz-build.$$"
    exit 1
fi
rm -f "${TMPDIR:-/tmp}/fuzz-build.$$"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
if ! build-fuzz/fuzz_store -runs=0 tests/fuzz-seeds/fuzz_store >"$T/log" 2>&1; then
    echo "fuzz: a kept input fails:"
    tail -n 30 "$T/log"
    exit 1
fi
mkdir "$T/corpus"
if ! build-fuzz/fuzz_store -seed=1 -runs=300 -max_len=256 -len_control=0 \
    -artifact_prefix="$T/" "$T/corpus" tests/fuzz-seeds/fuzz_store >"$T/log" 2>&1; then
    echo "fuzz: fuzz_store found a failure (input kept in tests/fuzz-seeds/fuzz_store):"
    for f in "$T"/crash-* "$T"/timeout-* "$T"/leak-*; do
        [ -e "$f" ] && cp "$f" tests/fuzz-seeds/fuzz_store/
    done
    tail -n 30 "$T/log"
    exit 1
fi
echo "fuzz: fuzz_store $(grep -o 'Done [0-9]* runs' "$T/log" | head -1) clean (fixed seed 1; the long run is make fuzz)"
