#!/bin/sh
# examples/stream: one line out per article in, as it arrives; with --index,
# two runs over halves of a corpus give the lines of one run over all of it,
# and assignments agree with `sheaf cluster`.
build=${SHEAF_BUILD:-build}
stream=$build/sheaf-stream
demo=examples/demo/articles.jsonl
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }

"$stream" < "$demo" > "$tmp/all" && ok || bad "stream over the demo corpus"
[ "$(wc -l < "$tmp/all")" = "$(grep -c . "$demo")" ] && ok || bad "one line per article"
cut -f1,2 "$tmp/all" > "$tmp/all.tsv"
"$build/sheaf" cluster --quiet "$demo" > "$tmp/cli.tsv"
cmp -s "$tmp/all.tsv" "$tmp/cli.tsv" && ok || bad "same clusters as sheaf cluster"

n=$(grep -c . "$demo")
half=$((n / 2))
head -n "$half" "$demo" | "$stream" --index "$tmp/idx" > "$tmp/a" && ok || bad "first half"
tail -n +"$((half + 1))" "$demo" | "$stream" --index "$tmp/idx" > "$tmp/b" && ok || bad "second half"
cat "$tmp/a" "$tmp/b" | cmp -s - "$tmp/all" && ok || bad "stored index: halves = whole"

# Each line is written before the next article is read: a reader sees the
# first answer while the writer still holds the pipe open.
mkfifo "$tmp/in"
( head -n 1 "$demo"; sleep 2; tail -n +2 "$demo" | head -n 1 ) > "$tmp/in" &
"$stream" < "$tmp/in" > "$tmp/live" &
pid=$!
sleep 1
[ "$(wc -l < "$tmp/live")" = 1 ] && ok || bad "flushed per line"
wait "$pid"

printf '{"id": "x"}\nnot json\n' | "$stream" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && ok || bad "bad records: exit status 1"
grep -q 'stdin:1: no string "text"' "$tmp/err" && grep -q 'stdin:2:' "$tmp/err" && ok || bad "bad records named by line"

"$stream" --threshold 2 < /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q 'threshold' "$tmp/err" && ok || bad "bad parameter refused, named"

# With a window, the stream expires as time advances and still decides as
# the clusterer does, in both modes (times: Multi-News replayed, ../shared).
if [ -f ../shared/corpora/multinews/val.jsonl.gz ]; then
    "$build/sheaf-bench" replay --months 2 --out "$tmp/r.jsonl" 2> /dev/null
    for mode in near story; do
        "$stream" --mode $mode --window 72h < "$tmp/r.jsonl" | cut -f1,2 > "$tmp/s" &&
            "$build/sheaf" cluster --quiet --mode $mode --time-field time --window 72h "$tmp/r.jsonl" |
            cmp -s - "$tmp/s" && ok || bad "windowed $mode stream = sheaf cluster"
    done
else
    echo "skipped: ../shared/corpora/multinews absent (windowed stream)"
fi

echo "stream: $pass passed, $fail failed"
[ "$fail" = 0 ]
