#!/bin/sh
# make demo: what sheaf is for. Near mode bundles the copies of the sample
# corpus (the same clusters with a 72-hour window over its publication
# times); story mode, when ../shared/seeds is there, tells the four reports
# of Obama and Putin's talk in Lima (Nov 2016) from the one on their
# meeting in Hangzhou (Sep 2016), although they share every name.
# Usage: sh examples/demo/demo.sh [BUILD [SHARED]]
build=${1:-build}
shared=${2:-../shared}
sheaf=$build/sheaf
demo=examples/demo/articles.jsonl
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "== near mode: the copies in $demo"
"$sheaf" cluster --quiet --format groups "$demo" || exit 1
"$sheaf" cluster --quiet "$demo" > "$tmp/all" &&
    "$sheaf" cluster --quiet --time-field published --window 72h "$demo" > "$tmp/window" || exit 1
if cmp -s "$tmp/all" "$tmp/window"; then
    echo "== with --time-field published --window 72h: the same clusters"
else
    echo "sheaf: demo: --window 72h splits the sample corpus's copies:" >&2
    diff "$tmp/all" "$tmp/window" >&2
    exit 1
fi

if [ ! -d "$shared/seeds" ]; then
    echo "== story mode: $shared/seeds absent, skipped"
    exit 0
fi
echo
echo "== story mode: Obama and Putin, Lima (Nov 2016) and Hangzhou (Sep 2016), $shared/seeds"
"$sheaf" cluster --quiet --mode story "$shared/seeds" > "$tmp/story" || exit 1
# Each story with its articles, and the opening words of each.
awk -F '\t' '!($2 in size) { order[++n] = $2 } { size[$2]++; members[$2] = members[$2] " " $1 }
    END { for (i = 1; i <= n; i++) print order[i] "\t" size[order[i]] "\t" members[order[i]] }' \
    "$tmp/story" > "$tmp/stories"
n=0
while IFS="$(printf '\t')" read -r name size members; do
    n=$((n + 1))
    echo "story $n: $size article(s)"
    for m in $members; do
        words=$(tr -s ' \n\t' '   ' < "$m" | grep -o 'Obama[^.]*' | head -n 1 | cut -c 1-90)
        printf '  %s  %s...\n' "$(basename "$m")" "$words"
    done
done < "$tmp/stories"
[ "$n" = 2 ] || { echo "sheaf: demo: $n stories, not 2" >&2; exit 1; }
