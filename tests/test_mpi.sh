#!/bin/sh
# sheaf-mpi (examples/mpi): mpirun -np N prints byte for byte what sheaf
# cluster prints, for N = 1, 2, 4, in near and story mode, on the shared
# corpora and on generated ones; bad input is reported once with the same
# exit status; a rank that dies ends the job with an error, not a hang.
# Skipped with a message where Open MPI is absent.
build=${SHEAF_BUILD:-build}
mpi=$build/sheaf-mpi
sheaf=$build/sheaf
shared=${SHEAF_SHARED:-../shared}
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$mpi" ]; then
    echo "mpi: skipped: no mpirun or no $mpi (make deps installs Open MPI; make mpi builds it)"
    exit 0
fi
if [ -n "$SHEAF_SANITIZE" ]; then
    echo "mpi: skipped under sanitizers (Open MPI's own allocations read as leaks)"
    exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Shared-memory transport only: the job stays on this machine.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }
run() { np=$1; shift; timeout 300 mpirun --oversubscribe -np "$np" "$mpi" cluster "$@"; }

# same NAME ARGS...: stdout and exit status of sheaf cluster, at every N.
same() {
    name=$1; shift
    "$sheaf" cluster --threads 1 "$@" > "$tmp/want" 2> "$tmp/want.err"
    want=$?
    for np in 1 2 4; do
        run "$np" --threads 1 "$@" > "$tmp/got" 2> "$tmp/got.err"
        got=$?
        if [ "$got" = "$want" ] && cmp -s "$tmp/want" "$tmp/got"; then ok
        else bad "$name, -np $np: exit $got (want $want), output $(cmp "$tmp/want" "$tmp/got" 2>&1 | head -c 200)"; fi
    done
}

"$build/sheaf-bench" gen --articles 3000 --length 900 --out "$tmp/gen.jsonl" > /dev/null 2>&1 ||
    bad "sheaf-bench gen"
same "generated, near" --quiet "$tmp/gen.jsonl"
same "generated, near, jsonl" --quiet --format jsonl "$tmp/gen.jsonl"
same "generated, near, groups" --quiet --format groups "$tmp/gen.jsonl"
same "generated, near, 64 hashes 16x4" --quiet --hashes 64 --bands 16 --rows 4 --threshold 0.6 "$tmp/gen.jsonl"
same "generated, story" --quiet --mode story --format jsonl "$tmp/gen.jsonl"
same "demo, groups" --quiet --format groups examples/demo/articles.jsonl
# Many identical texts (boilerplate pages): the groups of equal signatures.
for i in $(seq 1 40); do printf '{"id":"b%d","text":"Subscribe to our newsletter for the latest news and offers today"}\n' "$i"; done > "$tmp/same.jsonl"
head -n 200 "$tmp/gen.jsonl" >> "$tmp/same.jsonl"
same "identical texts" --quiet --format jsonl "$tmp/same.jsonl"

val=$shared/corpora/multinews/val.jsonl.gz
if [ -f "$val" ]; then
    same "Multi-News, near" --quiet "$val"
    same "Multi-News, story" --quiet --mode story "$val"
    same "Multi-News, story, jsonl" --quiet --mode story --format jsonl "$val"
else
    echo "mpi: $shared absent: the Multi-News runs are skipped"
fi

# Bad input: the same output and exit status, and every message once.
{
    echo '{"id":"ok1","text":"a perfectly good article about the harbour"}'
    echo '{"id":"ok1","text":"the same id again, another article"}'
    echo 'not json at all'
    echo '{"id":"no-text"}'
    echo '{"id":"bad\u0001id","text":"control character in the id"}'
    head -n 600 "$tmp/gen.jsonl"
    echo '{"id":"late","text":'
} > "$tmp/bad.jsonl"
same "bad records" --quiet "$tmp/bad.jsonl" "$tmp/missing.jsonl"
# (mpirun adds a notice of its own when ranks exit non-zero: only sheaf's
# lines are compared.)
"$sheaf" cluster --quiet --threads 1 "$tmp/bad.jsonl" "$tmp/missing.jsonl" 2>&1 >/dev/null | sort > "$tmp/want.err"
[ "$(grep -c . "$tmp/want.err")" -ge 5 ] || bad "the bad input makes sheaf cluster complain"
for np in 2 4; do
    run "$np" --quiet --threads 1 "$tmp/bad.jsonl" "$tmp/missing.jsonl" 2>&1 >/dev/null | grep '^sheaf' | sort > "$tmp/got.err"
    cmp -s "$tmp/want.err" "$tmp/got.err" && ok || bad "messages at -np $np: $(diff "$tmp/want.err" "$tmp/got.err" | head -5)"
done
same "bad records, --strict" --quiet --strict "$tmp/bad.jsonl"
run 2 --quiet --strict "$tmp/bad.jsonl" 2> "$tmp/strict.err" > /dev/null
[ "$(grep -c 'stopped at the first problem' "$tmp/strict.err")" = 1 ] &&
    [ "$(grep -c 'record skipped' "$tmp/strict.err")" = 1 ] && ok ||
    bad "--strict says its first problem once: $(cat "$tmp/strict.err")"

# What sheaf-mpi does not do is said once, with the usage status.
run 2 --quiet --index "$tmp/idx" "$tmp/gen.jsonl" > /dev/null 2> "$tmp/idx.err"
st=$?
[ "$st" = 2 ] && [ "$(grep -c -- '--index' "$tmp/idx.err")" = 1 ] && ok ||
    bad "--index refused once (exit $st): $(cat "$tmp/idx.err")"
run 2 --bogus "$tmp/gen.jsonl" > /dev/null 2> "$tmp/opt.err"
st=$?
[ "$st" = 2 ] && [ "$(grep -c 'bogus' "$tmp/opt.err")" = 1 ] && ok ||
    bad "a bad option said once (exit $st): $(cat "$tmp/opt.err")"

# A rank that dies: both ranks wait on a FIFO nobody writes; killing one
# must end the job with an error, not leave the other waiting.
mkfifo "$tmp/fifo"
mpirun --oversubscribe -np 2 "$mpi" cluster --quiet --threads 1 "$tmp/fifo" > /dev/null 2> "$tmp/die.err" &
job=$!
ranks=""
for i in $(seq 1 100); do
    ranks=$(pgrep -P "$job" -f sheaf-mpi)
    [ "$(echo "$ranks" | grep -c .)" = 2 ] && break
    sleep 0.1
done
victim=$(echo "$ranks" | tail -n 1)
if [ -n "$victim" ]; then
    sleep 0.5
    kill -9 "$victim"
    waited=0
    while kill -0 "$job" 2>/dev/null && [ "$waited" -lt 300 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$job" 2>/dev/null; then
        bad "the job hangs after a rank died"
        kill "$job"
        for r in $ranks; do kill -9 "$r" 2>/dev/null; done
    else
        wait "$job"
        st=$?
        [ "$st" != 0 ] && grep -qi 'signal\|exited\|abort\|killed' "$tmp/die.err" && ok ||
            bad "a dead rank ends the job with an error (exit $st): $(head -c 300 "$tmp/die.err")"
    fi
else
    bad "could not find the ranks of the job"
    kill "$job" 2>/dev/null
fi
echo "mpi: $pass passed, $fail failed"
[ "$fail" = 0 ]
