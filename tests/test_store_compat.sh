#!/bin/sh
# A stored index written by sheaf 0.2 (format 1, near mode) still opens:
# tests/data/v1-near.idx holds the first 20 articles of
# tests/data/v1-near.jsonl.gz (`sheaf-bench gen --articles 40 --length 400`
# away from ../shared), and a run over the other 20 must print what sheaf
# 0.2 printed continuing it (tests/data/v1-near.expected). The fixture is copied: the run writes
# format 2 records into it beside the old ones.
build=${SHEAF_BUILD:-build}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }

gzip -dc tests/data/v1-near.jsonl.gz > "$tmp/g.jsonl" &&
    tail -n 20 "$tmp/g.jsonl" > "$tmp/g2.jsonl" && ok || bad "unpack the articles"
cp tests/data/v1-near.idx "$tmp/v1.idx"
"$build/sheaf" cluster --quiet --index "$tmp/v1.idx" "$tmp/g2.jsonl" > "$tmp/out" &&
    cmp -s "$tmp/out" tests/data/v1-near.expected && ok || bad "format 1 index continued"
# Reopened, with both formats in it, it assigns a repeat of each to its
# cluster (the repeats' ids differ; their texts are the stored ones).
sed 's/"id": "gen-/"id": "again-/' "$tmp/g.jsonl" > "$tmp/again.jsonl"
"$build/sheaf" cluster --quiet --index "$tmp/v1.idx" "$tmp/again.jsonl" > "$tmp/again" && ok || bad "reopen mixed formats"
[ "$(cut -f2 "$tmp/again" | grep -c '^again-')" = 0 ] && ok || bad "every repeat joins a stored article"

echo "store compat: $pass passed, $fail failed"
[ "$fail" = 0 ]
