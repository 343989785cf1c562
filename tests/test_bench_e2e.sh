#!/bin/sh
# sheaf-bench e2e reads zstd dumps (with a leading skippable frame, as
# pzstd writes) as it reads gzip and plain ones, and refuses an input it
# read no article from.
build=${SHEAF_BUILD:-build}
bench=$build/sheaf-bench
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }
articles() { "$bench" e2e --json "$1" | sed -n 's/.*"articles": \([0-9]*\),.*/\1/p'; }

"$bench" gen --articles 500 --length 600 --out "$tmp/d.jsonl" 2> /dev/null || bad "gen"
[ "$(articles "$tmp/d.jsonl")" = 500 ] && ok || bad "plain JSONL: 500 articles"
gzip -c "$tmp/d.jsonl" > "$tmp/d.jsonl.gz"
[ "$(articles "$tmp/d.jsonl.gz")" = 500 ] && ok || bad "gzip: 500 articles"
if command -v zstd > /dev/null; then
    zstd -q -c "$tmp/d.jsonl" > "$tmp/d.jsonl.zst"
    [ "$(articles "$tmp/d.jsonl.zst")" = 500 ] && ok || bad "zstd: 500 articles"
    # A skippable frame of 4 bytes first, and two frames after it.
    { printf '\120\052\115\030\004\000\000\000abcd'; head -n 200 "$tmp/d.jsonl" | zstd -q -c;
      tail -n +201 "$tmp/d.jsonl" | zstd -q -c; } > "$tmp/p.zst"
    [ "$(articles "$tmp/p.zst")" = 500 ] && ok || bad "zstd with a skippable frame and two frames"
    size=$(wc -c < "$tmp/d.jsonl.zst")
    head -c $((size - 100)) "$tmp/d.jsonl.zst" > "$tmp/cut.zst"
    "$bench" e2e "$tmp/cut.zst" > /dev/null 2> "$tmp/err"
    [ $? = 1 ] && grep -q 'cannot read' "$tmp/err" && ok || bad "a cut zstd file is refused"
else
    echo "skipped: no zstd command (the zstd inputs)"
fi
"$bench" e2e README.md > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q 'README.md: no article read' "$tmp/err" && ok || bad "an input with no article is refused"
: > "$tmp/empty.jsonl"
"$bench" e2e "$tmp/empty.jsonl" > /dev/null 2>&1 && bad "an empty input is refused" || ok
echo "bench e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
