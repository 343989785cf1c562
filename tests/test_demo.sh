#!/bin/sh
# make demo's script: the sample corpus's copies stay together with a
# window over its publication times, and with ../shared/seeds the Lima
# reports make one story and the Hangzhou one another.
build=${SHEAF_BUILD:-build}
out=$(sh examples/demo/demo.sh "$build" ../shared 2>&1)
rc=$?
fail=0
[ $rc = 0 ] || { echo "$out"; echo "FAILED: examples/demo/demo.sh exited $rc"; fail=1; }
echo "$out" | grep -q 'window 72h: the same clusters' || { echo "FAILED: windowed demo"; fail=1; }
if [ -d ../shared/seeds ]; then
    lima=$(echo "$out" | sed -n '/^story 1: 4 article/,/^story 2/p' | grep -c '^  00[0-3]_')
    hz=$(echo "$out" | sed -n '/^story 2: 1 article/,$p' | grep -c '^  004_')
    [ "$lima" = 4 ] && [ "$hz" = 1 ] || { echo "$out"; echo "FAILED: the two stories (Lima $lima/4, Hangzhou $hz/1)"; fail=1; }
else
    echo "skipped: ../shared/seeds absent (the two stories)"
fi
[ $fail = 0 ] && echo "demo: ok"
[ $fail = 0 ]
