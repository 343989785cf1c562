#!/bin/sh
# sheaf cluster --mode story: the mission's seeds (from ../shared, skipped
# when absent), alone and after the Multi-News split; what it refuses.
build=${SHEAF_BUILD:-build}
sheaf=$build/sheaf
shared=${SHEAF_SHARED:-../shared}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }

# Lima (000-003) in one cluster, Hangzhou (004) alone.
check_seeds() {
    lima=$(grep -E '/00[0-3]_[^/]*\.txt	' "$1" | cut -f2 | sort -u)
    hangzhou=$(grep -E '/004_[^/]*\.txt	' "$1" | cut -f2)
    [ "$(grep -cE '/00[0-3]_[^/]*\.txt	' "$1")" = 4 ] &&
        [ "$(printf '%s\n' "$lima" | wc -l)" = 1 ] && [ -n "$hangzhou" ] &&
        [ "$hangzhou" != "$lima" ]
}

if [ -d "$shared/seeds" ]; then
    "$sheaf" cluster --quiet --mode story "$shared"/seeds/*.txt > "$tmp/seeds" &&
        check_seeds "$tmp/seeds" && ok || bad "seeds alone: {000..003} {004}"
    if [ -f "$shared/corpora/multinews/val.jsonl.gz" ]; then
        "$sheaf" cluster --quiet --mode story "$shared/corpora/multinews/val.jsonl.gz" \
            "$shared"/seeds/*.txt > "$tmp/mixed" &&
            check_seeds "$tmp/mixed" && ok || bad "seeds after Multi-News"
    else
        echo "skipped: $shared/corpora/multinews absent"; skipped=$((skipped + 1))
    fi
else
    echo "skipped: $shared/seeds absent"; skipped=$((skipped + 2))
fi

# Invented events: rewrites join, another event stays apart.
cat > "$tmp/events.jsonl" <<'JSONL'
{"id": "a1", "text": "Flooding on the Ashby River forced 400 residents of Marlow Ferry from their homes on Tuesday, county officials said, after three days of rain."}
{"id": "a2", "text": "Marlow Ferry evacuated: county emergency teams moved about 400 people as the Ashby River burst its banks on Tuesday after days of rain."}
{"id": "b1", "text": "A rare astrolabe was stolen from the Kestrel Bay maritime museum overnight, police said; the museum director appealed for help."}
JSONL
"$sheaf" cluster --quiet --mode story "$tmp/events.jsonl" > "$tmp/ev" && ok || bad "events run"
printf 'a1\ta1\na2\ta1\nb1\tb1\n' | cmp -s - "$tmp/ev" && ok || bad "events clustered"

# A stored story index: two runs over the halves print what one run over
# the whole prints, and a later run with another threshold is refused.
head -n 1 "$tmp/events.jsonl" > "$tmp/half1.jsonl"
tail -n +2 "$tmp/events.jsonl" > "$tmp/half2.jsonl"
"$sheaf" cluster --quiet --mode story --index "$tmp/idx" "$tmp/half1.jsonl" > "$tmp/st1" &&
    "$sheaf" cluster --quiet --mode story --index "$tmp/idx" "$tmp/half2.jsonl" > "$tmp/st2" &&
    cat "$tmp/st1" "$tmp/st2" | cmp -s - "$tmp/ev" && ok || bad "story with --index resumes"
"$sheaf" cluster --quiet --mode story --threshold 0.3 --index "$tmp/idx" "$tmp/half2.jsonl" 2> "$tmp/err" > /dev/null
[ $? = 2 ] && grep -q -- '--threshold' "$tmp/err" && ok || bad "story index with another threshold refused"
# A high contrast keeps even the rewrites apart; out of range is refused.
"$sheaf" cluster --quiet --mode story --contrast 1 "$tmp/events.jsonl" > "$tmp/ev1" &&
    printf 'a1\ta1\na2\ta2\nb1\tb1\n' | cmp -s - "$tmp/ev1" && ok || bad "--contrast 1"
"$sheaf" cluster --quiet --mode story --contrast 1.5 "$tmp/events.jsonl" 2> /dev/null
[ $? = 2 ] && ok || bad "--contrast 1.5 refused"
"$sheaf" cluster --quiet --mode fuzzy "$tmp/events.jsonl" 2> "$tmp/err"
[ $? = 2 ] && grep -q -- '--mode' "$tmp/err" && ok || bad "unknown mode refused"

echo "story cli: $pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
