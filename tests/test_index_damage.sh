#!/bin/sh
# A damaged stored index (issue 16, item 5): random byte flips, flips in
# page headers and meta pages, truncation, zeroed pages and an empty file,
# each applied to a copy of a real index (near mode and story mode), which
# then goes through a run that adds to it, `sheaf index dump` and `sheaf
# index verify`. Each must either refuse (status 1 or 3, a message naming
# the file, its bytes unchanged) or give exactly the output of the sound
# index with status 0: never a signal, never a hang (timeout), never a
# silent difference; and dump and verify must agree.
#
# SHEAF_DAMAGE_ROUNDS (default 150) rounds per mode, SHEAF_DAMAGE_SEED the
# first seed (default 1): a failure prints its seed, to replay it.
# Quiet on success: one summary line.

set -u
BUILD=${SHEAF_BUILD:-build}
SHEAF="$PWD/$BUILD/sheaf"
case $BUILD in /*) SHEAF="$BUILD/sheaf" ;; esac
ROUNDS=${SHEAF_DAMAGE_ROUNDS:-150}
SEED=${SHEAF_DAMAGE_SEED:-1}
if [ ! -x "$SHEAF" ]; then
    echo "index damage: $SHEAF not built" >&2
    exit 1
fi
if ! command -v timeout >/dev/null 2>&1; then
    echo "index damage: skipped (no timeout(1))"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

pass=0
fail=0
refusals=0
no() {
    fail=$((fail + 1))
    echo "FAIL [$mode, seed $seed, $what]: $*"
    head -n 4 "$T/err" | sed 's/^/    /'
}

# Articles in families of three near-copies; a few with ids long enough
# that their records go to LMDB's overflow pages.
gen() { # FIRST COUNT PREFIX
    awk -v first="$1" -v n="$2" -v p="$3" 'BEGIN {
        for (i = first; i < first + n; i++) {
            g = int(i / 3); t = ""
            for (k = 0; k < 40; k++) t = t " w" g "x" k
            id = p i
            if (i % 97 == 5) { id = id "-"; for (k = 0; k < 300; k++) id = id "long" }
            printf "{\"id\":\"%s\",\"text\":\"%s end%d\",\"time\":%d}\n", id, t, i, 1600000000 + i
        }
    }'
}
gen 0 1500 a >"$T/a.jsonl"
gen 1500 300 b >"$T/b.jsonl"

# flip FILE OFFSET: xor the byte at OFFSET with a random nonzero value.
flip() {
    old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    [ -n "$old" ] || return 0
    new=$(((old ^ $3) & 255))
    [ "$new" -ne "$old" ] || new=$(((old + 1) & 255))
    printf "\\$(printf %o "$new")" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# damage FILE: one kind of damage, chosen and placed by the seed.
damage() {
    size=$(wc -c <"$1")
    pages=$((size / 4096))
    set -- "$1" $(awk -v s="$seed" -v size="$size" -v pages="$pages" 'BEGIN {
        srand(s); kind = s % 6
        printf "%d", kind
        n = 1 + int(rand() * 6)
        for (i = 0; i < n; i++) {
            if (kind == 0) off = int(rand() * size)             # anywhere
            else if (kind == 1) off = int(rand() * pages) * 4096 + int(rand() * 48) # page headers
            else if (kind == 2) off = int(rand() * 2) * 4096 + 16 + int(rand() * 136) # meta pages
            else off = int(rand() * pages)
            printf " %d %d", off, 1 + int(rand() * 255)
        }
    }')
    f=$1
    kind=$2
    shift 2
    case $kind in
    0 | 1 | 2)
        what="flips kind $kind at $*"
        while [ $# -ge 2 ]; do flip "$f" "$1" "$2"; shift 2; done ;;
    3)
        what="truncated to $((size * $2 / 256)) bytes"
        truncate -s $((size * $2 / 256)) "$f" ;;
    4)
        what="page $1 zeroed"
        dd if=/dev/zero of="$f" bs=4096 seek="$1" count=1 conv=notrunc 2>/dev/null ;;
    5)
        if [ $((seed % 5)) -eq 0 ]; then
            what="emptied"
            : >"$f"
        else
            to=$(($2 % pages))
            what="page $1 copied over page $to"
            dd if="$f" of="$T/page" bs=4096 skip="$1" count=1 2>/dev/null
            dd if="$T/page" of="$f" bs=4096 seek="$to" count=1 conv=notrunc 2>/dev/null
        fi ;;
    esac
}

# refused STATUS FILE PRISTINE: a refusal that names the file and left it.
refused() {
    case $1 in 1 | 3) ;; *) no "status $1"; return ;; esac
    if ! grep -qF "$2" "$T/err"; then no "the message does not name $2"; return; fi
    if ! cmp -s "$2" "$3"; then no "a refused file was changed"; return; fi
    pass=$((pass + 1))
    refusals=$((refusals + 1))
}

for mode in near story; do
    rm -f "$T/ix" "$T/ix-lock"
    "$SHEAF" cluster --quiet --mode $mode --time-field time --index "$T/ix" "$T/a.jsonl" >/dev/null 2>"$T/err" ||
        { echo "index damage: cannot build the $mode index" >&2; cat "$T/err" >&2; exit 1; }
    cp "$T/ix" "$T/pristine"
    "$SHEAF" index dump "$T/ix" >"$T/dump.want" 2>"$T/err"
    cp "$T/pristine" "$T/ix" && rm -f "$T/ix-lock"
    "$SHEAF" cluster --quiet --time-field time --index "$T/ix" "$T/b.jsonl" >"$T/run.want" 2>"$T/err"
    [ -s "$T/run.want" ] && [ "$(wc -l <"$T/dump.want")" -eq 1500 ] ||
        { echo "index damage: no sound $mode output to compare with" >&2; exit 1; }
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        seed=$((SEED + r))
        r=$((r + 1))
        cp "$T/pristine" "$T/d"
        rm -f "$T/d-lock"
        damage "$T/d"
        cp "$T/d" "$T/d.before"

        timeout 20 "$SHEAF" index verify "$T/d" >/dev/null 2>"$T/err"
        v=$?
        case $v in
        0) pass=$((pass + 1)) ;;
        *) refused "$v" "$T/d" "$T/d.before" ;;
        esac

        timeout 20 "$SHEAF" index dump "$T/d" >"$T/out" 2>"$T/err"
        s=$?
        if [ $s -eq 0 ]; then
            if cmp -s "$T/out" "$T/dump.want"; then pass=$((pass + 1)); else no "dump differs, status 0"; fi
        else
            refused "$s" "$T/d" "$T/d.before"
        fi
        if [ $((v == 0)) -ne $((s == 0)) ]; then
            no "verify (status $v) and dump (status $s) disagree"
        fi

        timeout 30 "$SHEAF" cluster --quiet --time-field time --index "$T/d" "$T/b.jsonl" >"$T/out" 2>"$T/err"
        s=$?
        if [ $s -eq 0 ]; then
            if cmp -s "$T/out" "$T/run.want"; then pass=$((pass + 1)); else no "a run's output differs, status 0"; fi
            [ $v -eq 0 ] || no "a run took an index that verify refused"
        else
            refused "$s" "$T/d" "$T/d.before"
        fi
    done
done

echo "index damage: $pass passed ($refusals of them refusals), $fail failed ($ROUNDS rounds per mode, seeds $SEED..$((SEED + ROUNDS - 1)))"
[ "$fail" -eq 0 ]
