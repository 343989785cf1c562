#!/bin/sh
# End-to-end tests of `sheaf cluster` (issue 3): options, input formats,
# output formats, every kind of bad input, exit statuses and atomic output;
# and (issue 6) publication times, windows, and the stored --index: runs
# that add to it, parameter checks, interruption and resuming.
#
# Run from the repository root as `sh tests/test_cli.sh`, with SHEAF_BUILD
# naming the build directory (default build). Prints one line per failed
# assertion and closes with "N passed, M failed"; exits 1 if any failed.

set -u
BUILD=${SHEAF_BUILD:-build}
SHEAF="$PWD/$BUILD/sheaf"
case $BUILD in /*) SHEAF="$BUILD/sheaf" ;; esac
DEMO="$PWD/examples/demo/articles.jsonl"
if [ ! -x "$SHEAF" ]; then
    echo "test_cli: $SHEAF not built" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
chmod 755 "$T" # for the test run as an unprivileged user

pass=0
fail=0
name=""
rc=0

# ---------------------------------------------------------------- helpers

# Run sheaf with the arguments given; stdout to $T/out, stderr to $T/err,
# status in $rc. Standard input is empty unless redirected by the caller.
run() {
    "$SHEAF" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
}
run_stdin() {
    in=$1
    shift
    "$SHEAF" "$@" <"$in" >"$T/out" 2>"$T/err"
    rc=$?
}

ok() { pass=$((pass + 1)); }
no() {
    fail=$((fail + 1))
    echo "FAIL [$name]: $*"
    echo "  status $rc; stderr:"
    head -n 8 "$T/err" | sed 's/^/    /'
}
rc_is() { if [ "$rc" -eq "$1" ]; then ok; else no "status $rc, expected $1"; fi; }
err_has() { if grep -qF -- "$1" "$T/err"; then ok; else no "stderr lacks: $1"; fi; }
err_lacks() { if grep -qF -- "$1" "$T/err"; then no "stderr has: $1"; else ok; fi; }
out_has() { if grep -qF -- "$1" "$T/out"; then ok; else no "stdout lacks: $1"; fi; }
out_lacks() { if grep -qF -- "$1" "$T/out"; then no "stdout has: $1"; else ok; fi; }
# out_is LINE...: stdout is exactly these lines.
out_is() {
    printf '%s\n' "$@" >"$T/expect"
    if [ $# -eq 0 ]; then : >"$T/expect"; fi
    if cmp -s "$T/out" "$T/expect"; then ok; else
        no "stdout differs from the expected:"
        diff "$T/expect" "$T/out" | head -n 12 | sed 's/^/    /'
    fi
}
out_lines() {
    n=$(wc -l <"$T/out")
    if [ "$n" -eq "$1" ]; then ok; else no "stdout has $n lines, expected $1"; fi
}
# cluster_of ID: the cluster of ID in a TSV $T/out.
cluster_of() { awk -F '\t' -v id="$1" '$1 == id { print $2; exit }' "$T/out"; }
same_cluster() {
    a=$(cluster_of "$1")
    b=$(cluster_of "$2")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok; else no "$1 ($a) and $2 ($b) not together"; fi
}
apart() {
    a=$(cluster_of "$1")
    b=$(cluster_of "$2")
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then ok; else no "$1 ($a) and $2 ($b) together"; fi
}
check() { # check DESCRIPTION COMMAND...: a custom assertion
    d=$1
    shift
    if "$@"; then ok; else no "$d"; fi
}

# A file of JSONL from the lines given.
jsonl() {
    f=$1
    shift
    printf '%s\n' "$@" >"$T/$f"
}

# Texts long enough to have many word 5-shingles.
FOX="The quick brown fox jumps over the lazy dog while the farmer watches from the old stone wall near the river bend"
VOTE="The town council voted on Tuesday to close the central library for repairs lasting most of next year after the roof leaked"

# ------------------------------------------------------- help and version

name="help"
run --help
rc_is 0
out_has "cluster"
run cluster --help
rc_is 0
for opt in --input-format --id-field --text-field --time-field --max-record-bytes \
    "-o, --output" --format --mode --threshold --shingle --hashes --bands --rows --seed \
    --window --index --skip-articles --threads --strict --quiet "Exit status"; do
    out_has "$opt"
done
run help cluster
rc_is 0
out_has "--threshold"

name="version"
run --version
rc_is 0
out_has "sheaf 0.3.0 (library 0.3.0)"
run cluster --version
rc_is 0

if [ -w /dev/full ]; then
    "$SHEAF" --help >/dev/full 2>"$T/err"
    rc=$?
    rc_is 3
    err_has "<stdout>: write error: No space left on device"
fi

name="usage errors"
run
rc_is 2
run frobnicate
rc_is 2
err_has "unknown command 'frobnicate'"

# ---------------------------------------------- options: bad values named

name="bad options"
bad_option() { # bad_option MESSAGE ARGS...: exit 2, message names it
    want=$1
    shift
    run cluster "$@" "$DEMO"
    rc_is 2
    err_has "$want"
    if [ -s "$T/out" ]; then no "wrote output for a usage error"; else ok; fi
}
bad_option "--threshold: '0' is not" --threshold 0
bad_option "--threshold: '1.5' is not" --threshold 1.5
bad_option "--threshold: 'abc' is not" --threshold abc
bad_option "--threshold: 'nan' is not" --threshold nan
bad_option "--shingle: 'line:5' is not" --shingle line:5
bad_option "--shingle: 'word:0' is not" --shingle word:0
bad_option "--shingle: 'char:33' is not" --shingle char:33
bad_option "--shingle: 'word' is not" --shingle word
bad_option "--hashes: '0' is not" --hashes 0
bad_option "--hashes: '1025' is not" --hashes 1025
bad_option "--hashes: '-5' is not" --hashes -5
bad_option "--bands and --rows must be given together" --bands 8
bad_option "--bands and --rows must be given together" --rows 8
bad_option "--bands 20 --rows 10: needs 200 hashes, more than --hashes 128" --bands 20 --rows 10
bad_option "--seed: 'x1' is not" --seed x1
bad_option "--threads: '0' is not" --threads 0
bad_option "--mode: 'fuzzy' is not near or story" --mode fuzzy
bad_option "--format: 'xml' is not" --format xml
bad_option "--input-format: 'csv' is not" --input-format csv
bad_option "--max-record-bytes: '0' is not" --max-record-bytes 0
bad_option "--max-record-bytes: '12Q' is not" --max-record-bytes 12Q
bad_option "--id-field and --text-field are both 'text'" --id-field text
bad_option "unknown option '--nope'" --nope
run cluster --threshold
rc_is 2
err_has "--threshold needs a value"
bad_option "--strict takes no value" --strict=yes
bad_option "--window: '1x' is not a duration" --window 1x
bad_option "--window: '-1h' is not a duration" --window -1h
bad_option "--window: '1.5h' is not a duration" --window 1.5h
bad_option "--window: 'h' is not a duration" --window h
bad_option "--window: '99999999999999999999' is not a duration" --window 99999999999999999999
bad_option "--time-field and --id-field are both 'id'" --time-field id
bad_option "--time-field and --text-field are both 'body'" --text-field body --time-field body
bad_option "--time-field: '' is not a field name" --time-field=
bad_option "--index: '' is not a file name" --index=
bad_option "--skip-articles: 'many' is not a whole number" --skip-articles many

name="good options"
jsonl p.jsonl "{\"id\":\"a\",\"text\":\"$FOX\"}" "{\"id\":\"b\",\"text\":\"$FOX!\"}"
for args in "--mode near" "--threshold 0.8" "--threshold=1" "--shingle char:4" \
    "--shingle word:1" "--hashes 64" "--hashes 256 --bands 32 --rows 8" \
    "--seed 12345" "--seed 0xff" "--threads 1" "--threads 3" "-q" "--max-record-bytes 1M" \
    "--window 0" "--time-field date" "--window 72h --time-field date"; do
    # shellcheck disable=SC2086
    run cluster $args "$T/p.jsonl"
    rc_is 0
    out_is "a	a" "b	a"
done

# ------------------------------------------------------------ basic output

name="tsv output"
jsonl basic.jsonl \
    "{\"id\":\"a1\",\"text\":\"$FOX\"}" \
    "{\"id\":\"b1\",\"text\":\"$VOTE\"}" \
    "{\"id\":\"a2\",\"source\":\"x\",\"text\":\"$FOX.\",\"tags\":[1,2,{\"k\":null}]}" \
    "{\"text\":\"$VOTE\",\"id\":\"b2\"}" \
    "{\"id\":\"c1\",\"text\":\"Something else entirely: a recipe for bread with flour water salt and yeast\"}"
run cluster "$T/basic.jsonl"
rc_is 0
out_is "a1	a1" "b1	b1" "a2	a1" "b2	b1" "c1	c1"
err_has "5 articles"
err_has "3 clusters, the largest of 2; 4 articles in clusters of two or more"
err_has "skipped 0 records and 0 files; 0 warnings"
check "no progress line when stderr is not a terminal" sh -c "! grep -q \"\$(printf '\r')\" '$T/err'"
run cluster --quiet "$T/basic.jsonl"
check "--quiet prints nothing on stderr" test ! -s "$T/err"

name="jsonl output"
run cluster --quiet --format jsonl "$T/basic.jsonl"
rc_is 0
out_lines 5
out_has '{"id":"a1","cluster":"a1","match":null,"similarity":null,"size":2}'
out_has '{"id":"b2","cluster":"b1","match":"b1","similarity":1,"size":2}'
out_has '{"id":"c1","cluster":"c1","match":null,"similarity":null,"size":1}'
if command -v jq >/dev/null 2>&1; then
    check "every jsonl line parses" jq -e . "$T/out" >/dev/null
fi

name="numeric and missing ids"
jsonl ids.jsonl \
    "{\"id\":1.50e2,\"text\":\"$FOX\"}" \
    "{\"id\":-7,\"text\":\"$FOX\"}" \
    "{\"text\":\"$FOX\"}" \
    "{\"id\":\"q\\\"uote\",\"text\":\"$VOTE\"}"
run cluster "$T/ids.jsonl"
rc_is 0
out_is "1.50e2	1.50e2" "-7	1.50e2" "$T/ids.jsonl:3	1.50e2" "q\"uote	q\"uote"
run cluster --format jsonl "$T/ids.jsonl"
out_has '{"id":1.50e2,"cluster":1.50e2,"match":null'
out_has '{"id":-7,"cluster":1.50e2,"match":1.50e2,"similarity":1,"size":3}'
out_has "{\"id\":\"$T/ids.jsonl:3\",\"cluster\":1.50e2"
out_has '{"id":"q\"uote","cluster":"q\"uote"'

name="repeated ids"
jsonl dup.jsonl "{\"id\":\"x\",\"text\":\"$FOX\"}" "{\"id\":\"y\",\"text\":\"$VOTE\"}" \
    "{\"id\":\"x\",\"text\":\"$VOTE\"}" "{\"id\":\"x\",\"text\":\"$FOX\"}"
run cluster "$T/dup.jsonl"
rc_is 0
out_is "x	x" "y	y" "x	y" "x	x"
err_has "dup.jsonl:3: warning: id \"x\" repeated (first at $T/dup.jsonl:1); both kept"
err_has "dup.jsonl:4: warning: id \"x\" repeated"
err_has "2 warnings"
run cluster --quiet --format jsonl "$T/dup.jsonl"
out_has '{"id":"x","cluster":"x","match":null,"similarity":null,"size":2}'
out_has '{"id":"x","cluster":"y","match":"y","similarity":1,"size":2}'

name="escapes and unicode"
jsonl esc.jsonl \
    '{"id":"lit","text":"Café crème 😀 naïve façade résumé with plenty of words to shingle here"}' \
    '{"id":"esc","text":"Caf\u00e9 cr\u00E8me \ud83d\ude00 na\u00efve fa\u00e7ade r\u00e9sum\u00e9 with plenty of words to shingle here"}' \
    '{"id":"\u0061\u0062","t\u0065xt":"CAFÉ CRÈME 😀 NAÏVE FAÇADE RÉSUMÉ WITH PLENTY OF WORDS TO SHINGLE HERE"}' \
    '{"id":"slash\/tab\t","text":"x"}' \
    '{"id":"lone","text":"a \ud800 b \udc00 c d e f g h"}' \
    '{"id":"nul","text":"a\u0000b c d e f"}'
run cluster "$T/esc.jsonl"
rc_is 1
out_has "lit	lit"
out_has "esc	lit"
out_has "ab	lit"
out_has "lone	lone"
out_has "nul	nul"
err_has "esc.jsonl:4: the id has a control character"

name="ids that are not clean text"
# Each would print raw, or as U+FFFD and so as another id: all skipped,
# named, and the clean ones (a real U+FFFD, a pair, U+00A0) clustered.
{
    printf '{"id":"hi\\ud800","text":"%s"}\n' "$FOX"
    printf '{"id":"lo\\udc00x","text":"%s"}\n' "$FOX"
    printf '{"id":"rev\\udc00\\ud800","text":"%s"}\n' "$FOX"
    printf '{"id":"bad\377utf8","text":"%s"}\n' "$FOX"
    printf '{"id":"del\177","text":"%s"}\n' "$FOX"
    printf '{"id":"del\\u007f","text":"%s"}\n' "$FOX"
    printf '{"id":"c1\302\205","text":"%s"}\n' "$FOX"
    printf '{"id":"csi\\u009b31m","text":"%s"}\n' "$FOX"
    printf '{"id":"hi\\ufffd","text":"%s"}\n' "$FOX"
    printf '{"id":"pair\\ud83d\\ude00","text":"%s"}\n' "$FOX"
    printf '{"id":"nbsp\302\240","text":"%s"}\n' "$FOX"
} >"$T/badid.jsonl"
B="$T/badid.jsonl"
run cluster "$B"
rc_is 1
err_has "$B:1: the id has an unpaired surrogate escape (\ud800), not a character; record skipped"
err_has "$B:2: the id has an unpaired surrogate escape (\udc00), not a character; record skipped"
err_has "$B:3: the id has an unpaired surrogate escape (\udc00)"
err_has "$B:4: the id is not valid UTF-8 (byte 4); record skipped"
err_has "$B:5: the id has a control character (U+007F); record skipped"
err_has "$B:6: the id has a control character (U+007F); record skipped"
err_has "$B:7: the id has a control character (U+0085); record skipped"
err_has "$B:8: the id has a control character (U+009B); record skipped"
err_has "skipped 8 records and 0 files; 0 warnings"
out_is "$(printf 'hi\357\277\275\thi\357\277\275')" \
    "$(printf 'pair\360\237\230\200\thi\357\277\275')" \
    "$(printf 'nbsp\302\240\thi\357\277\275')"
run cluster --quiet --format jsonl "$B"
rc_is 1
out_has "$(printf '{"id":"hi\357\277\275","cluster":"hi\357\277\275","match":null')"
out_has "$(printf '{"id":"pair\360\237\230\200","cluster"')"
# Text files are named by their paths: the same rules.
mkdir "$T/names"
printf '%s\n' "$FOX" >"$T/names/$(printf 'bad\377.txt')"
printf '%s\n' "$FOX" >"$T/names/$(printf 'del\177.txt')"
printf '%s\n' "$FOX" >"$T/names/good.txt"
run cluster "$T/names"
rc_is 1
err_has "the file name, its id, is not valid UTF-8 (byte $(($(printf '%s' "$T/names/bad" | wc -c) + 1))); record skipped"
err_has "the file name, its id, has a control character (U+007F); record skipped"
out_is "$T/names/good.txt	$T/names/good.txt"

name="nested values and repeated keys"
jsonl nest.jsonl \
    "{\"meta\":{\"text\":\"inner\",\"a\":[1,{\"id\":\"no\"},[[]],{}]},\"id\":\"n\",\"text\":\"$FOX\"}" \
    "{\"id\":\"m\",\"text\":\"decoy\",\"text\":\"$FOX\"}" \
    "{\"id\":\"o\",\"text\":\"$FOX\",\"n\":[-0.5e-3,0,true,false,null,\"s\"]}"
run cluster "$T/nest.jsonl"
rc_is 0
out_is "n	n" "m	n" "o	n"

name="texts without words"
jsonl nowords.jsonl '{"id":"p","text":"|"}' '{"id":"q","text":"..."}' \
    '{"id":"r","text":"..."}' '{"id":"s","text":"   "}'
run cluster "$T/nowords.jsonl"
rc_is 0
out_is "p	p" "q	q" "r	r" "s	s"

name="invalid UTF-8 is a warning"
printf '{"id":"u1","text":"%s \377\376 tail"}\n{"id":"u2","text":"%s \377\376 tail"}\n' "$FOX" "$FOX" >"$T/utf8.jsonl"
run cluster "$T/utf8.jsonl"
rc_is 0
out_is "u1	u1" "u2	u1"
err_has "utf8.jsonl:1: warning: the text is not valid UTF-8 (byte 114)"
err_has "bad bytes count as U+FFFD"

# ---------------------------------------------------------- bad records

name="malformed records"
cat >"$T/bad.jsonl" <<'EOF'
{"id":"good1","text":"first good article with enough words to make shingles"}
{"id":"m1","text":"unterminated
{"id":"m2" "text":"missing colon"}
{"id":"m3","text":"x",}
{"id":"m4","text":"bad escape \q"}
{"id":"m5","text":"bad unicode \u12G4"}
{"id":"m6","text":"trailing"} junk
{"id":"m7","text":"x","n":01}
{"id":"m8","text":"x","n":tru}
[1,2,3]
"just a string"
42
{"id":"good2","text":"second good article with enough words to make shingles"}
EOF
printf '{"id":"c1","text":"raw\001control"}\n{"id":"good3","text":"third good article"}\n' >>"$T/bad.jsonl"
run cluster "$T/bad.jsonl"
rc_is 1
out_is "good1	good1" "good2	good1" "good3	good3"
B="$T/bad.jsonl"
err_has "$B:2: malformed JSON at column 32: unterminated string; record skipped"
err_has "$B:3: malformed JSON at column 12: expected ',' or '}' after a value in an object; record skipped"
err_has "$B:4: malformed JSON at column 23: expected a string key; record skipped"
err_has "$B:5: malformed JSON at column 31: invalid escape sequence in a string; record skipped"
err_has "$B:6: malformed JSON at column 32: invalid \u escape (needs four hex digits); record skipped"
err_has "$B:7: malformed JSON at column 31: unexpected data after the closing '}'; record skipped"
err_has "$B:8: malformed JSON at column 28: expected ',' or '}'"
err_has "$B:9: malformed JSON at column 27: invalid literal (expected true, false or null); record skipped"
err_has "$B:10: not a JSON object; record skipped"
err_has "$B:11: not a JSON object; record skipped"
err_has "$B:12: not a JSON object; record skipped"
err_has "$B:14: malformed JSON at column 23: unescaped control character in a string; record skipped"
err_has "skipped 12 records and 0 files"

name="records with wrong fields"
cat >"$T/fields.jsonl" <<'EOF'
{"id":"t1"}
{"id":"t2","text":17}
{"id":"t3","text":null}
{"id":"t4","text":["a"]}
{"id":"t5","text":{"a":1}}
{"id":"t6","text":true}
{"id":["a"],"text":"array id"}
{"id":{"a":1},"text":"object id"}
{"id":true,"text":"boolean id"}
{"id":null,"text":"null id"}
{"id":"e1","text":""}
{"id":"","text":"empty id"}
{"id":"good","text":"a good article among bad ones"}
EOF
run cluster "$T/fields.jsonl"
rc_is 1
out_is "good	good"
B="$T/fields.jsonl"
err_has "$B:1: no \"text\" field; record skipped"
err_has "$B:2: \"text\" is a number, not a string; record skipped"
err_has "$B:3: \"text\" is null, not a string; record skipped"
err_has "$B:4: \"text\" is an array, not a string; record skipped"
err_has "$B:5: \"text\" is an object, not a string; record skipped"
err_has "$B:6: \"text\" is a boolean, not a string; record skipped"
err_has "$B:7: \"id\" is an array; an id must be a string or a number; record skipped"
err_has "$B:8: \"id\" is an object; an id must be a string or a number; record skipped"
err_has "$B:9: \"id\" is a boolean; an id must be a string or a number; record skipped"
err_has "$B:10: \"id\" is null; an id must be a string or a number; record skipped"
err_has "$B:11: \"text\" is empty; record skipped"
err_has "$B:12: the id is an empty string; record skipped"
err_has "skipped 12 records and 0 files"
run cluster --id-field url --text-field body "$T/fields.jsonl"
rc_is 1
err_has "$B:1: no \"body\" field; record skipped"
jsonl custom.jsonl "{\"url\":\"u1\",\"body\":\"$FOX\",\"id\":[],\"text\":5}"
run cluster --id-field url --text-field body "$T/custom.jsonl"
rc_is 0
out_is "u1	u1"

name="truncated and deep JSON"
printf '{"id":"a","text":"abc","x":[' >"$T/trunc.jsonl"
run cluster "$T/trunc.jsonl"
rc_is 1
err_has "trunc.jsonl:1: malformed JSON at column 29: the line ends inside the JSON object"
awk 'BEGIN { s = "{\"id\":\"d\",\"text\":\"deep\",\"x\":"; for (i = 0; i < 300; i++) s = s "["; for (i = 0; i < 300; i++) s = s "]"; print s "}" }' >"$T/deep.jsonl"
run cluster "$T/deep.jsonl"
rc_is 1
err_has "deep.jsonl:1: malformed JSON at column"
err_has "values nested too deeply"
awk 'BEGIN { s = "{\"id\":\"d\",\"text\":\"deep enough\",\"x\":"; for (i = 0; i < 127; i++) s = s "[{\"a\":"; s = s "1"; for (i = 0; i < 127; i++) s = s "}]"; print s "}" }' >"$T/deep2.jsonl"
run cluster "$T/deep2.jsonl"
rc_is 0
out_is "d	d"

name="blank lines, CRLF and BOM"
printf '\357\273\277{"id":"a","text":"%s"}\r\n\r\n   \n\n{"id":"b","text":"%s"}\r\n' "$FOX" "$FOX" >"$T/crlf.jsonl"
run cluster "$T/crlf.jsonl"
rc_is 0
out_is "a	a" "b	a"

name="strict"
run cluster --strict "$T/bad.jsonl"
rc_is 1
check "no output with --strict" test ! -s "$T/out"
err_has "bad.jsonl:2: malformed JSON"
err_lacks "bad.jsonl:3:"
err_has "stopped at the first problem (--strict); nothing written"
run cluster --strict "$T/basic.jsonl" "$T/nosuch.jsonl"
rc_is 1
err_has "nosuch.jsonl: No such file or directory"
check "no output with --strict" test ! -s "$T/out"
run cluster --strict "$T/basic.jsonl"
rc_is 0
out_lines 5

name="message limit per file"
# Binary garbage, deterministic for a build; without NUL bytes, which end
# a JSONL file at once (tested below).
tr -d '\000' <"$SHEAF" >"$T/junk.jsonl"
run cluster "$T/junk.jsonl" "$T/basic.jsonl"
rc_is 1
out_is "a1	a1" "b1	b1" "a2	a1" "b2	b1" "c1	c1"
err_has "junk.jsonl: "
err_has "more problems not shown"
n=$(grep -c "junk.jsonl:[0-9]*:" "$T/err")
check "at most 20 messages for a file ($n)" test "$n" -le 20

# -------------------------------------------------------------- huge lines

name="over-long lines"
awk -v fox="$FOX" 'BEGIN { printf "{\"id\":\"long\",\"text\":\""; for (i = 0; i < 100; i++) printf "%s ", fox; print "\"}" }' >"$T/long1.jsonl"
jsonl long0.jsonl "{\"id\":\"before\",\"text\":\"$FOX\"}"
jsonl long2.jsonl "{\"id\":\"after\",\"text\":\"$FOX\"}"
cat "$T/long0.jsonl" "$T/long1.jsonl" "$T/long2.jsonl" >"$T/long.jsonl"
run cluster --max-record-bytes 4K "$T/long.jsonl"
rc_is 1
out_is "before	before" "after	before"
err_has "long.jsonl:2: line longer than 4 KiB (--max-record-bytes); skipped"
run cluster --max-record-bytes 1M "$T/long.jsonl"
rc_is 0
out_is "before	before" "long	before" "after	before"
# The same limit cuts through a line with no newline at the end of a file.
head -c 9000 "$T/long1.jsonl" >"$T/long3.jsonl"
run cluster --max-record-bytes 4K "$T/long0.jsonl" "$T/long3.jsonl"
rc_is 1
err_has "long3.jsonl:1: line longer than 4 KiB"
# ... and through a text file.
head -c 9000 "$T/long1.jsonl" >"$T/long.txt"
run cluster --max-record-bytes 4K "$T/long.txt"
rc_is 1
err_has "long.txt: file larger than 4 KiB (--max-record-bytes); skipped"

# A small limit with many short lines: a batch fills its record slots long
# before its block, and the rest is carried to the next one.
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "{\"id\":\"s%d\",\"text\":\"short %d\"}\n", i, i }' >"$T/short.jsonl"
run cluster --quiet --max-record-bytes 100 "$T/short.jsonl"
rc_is 0
out_lines 5000

name="a 300 MB line"
# Streamed through a pipe: rejected without being held in memory, and the
# records after it are still read.
{
    printf '{"id":"first","text":"%s"}\n{"id":"huge","text":"' "$FOX"
    head -c 300000000 /dev/zero | tr '\0' 'a'
    printf '"}\n{"id":"last","text":"%s"}\n' "$FOX"
} | "$SHEAF" cluster >"$T/out" 2>"$T/err"
rc=$?
rc_is 1
out_is "first	first" "last	first"
err_has "<stdin>:2: line longer than 64 MiB (--max-record-bytes); skipped"
mem=$(sed -n 's/.*peak memory \([0-9]*\) MiB.*/\1/p' "$T/err")
# (66 MiB here; AddressSanitizer's quarantine and shadow add some 150.)
check "peak memory ${mem:-?} MiB is not the line's 300" test "${mem:-9999}" -lt 300
name="a 20 MB line"
{
    printf '{"id":"big","text":"'
    awk 'BEGIN { for (i = 0; i < 400000; i++) printf "word%d and then some more text ", i }'
    printf '"}\n{"id":"small","text":"%s"}\n' "$FOX"
} >"$T/big.jsonl"
run cluster "$T/big.jsonl"
rc_is 0
out_is "big	big" "small	small"

# --------------------------------------------------- compressed input

name="gzip"
# 3000 records in groups of three near-copies.
awk 'BEGIN { for (i = 0; i < 3000; i++) { g = int(i / 3); t = ""; for (k = 0; k < 30; k++) t = t " w" g "x" k; printf "{\"id\":\"g%d\",\"text\":\"%s end%d\"}\n", i, t, i } }' >"$T/many.jsonl"
run cluster --quiet "$T/many.jsonl"
cp "$T/out" "$T/many.tsv"
check "3000 lines of output" test "$(wc -l <"$T/many.tsv")" -eq 3000
check "in clusters of three" test "$(cut -f 2 "$T/many.tsv" | sort -u | wc -l)" -eq 1000
if command -v gzip >/dev/null 2>&1; then
    gzip -c "$T/many.jsonl" >"$T/many.jsonl.gz"
    run cluster --quiet "$T/many.jsonl.gz"
    rc_is 0
    check "gzip gives the same output" cmp -s "$T/out" "$T/many.tsv"
    # Recognised by its magic bytes, not its name.
    cp "$T/many.jsonl.gz" "$T/gz-in-disguise.jsonl"
    run cluster --quiet "$T/gz-in-disguise.jsonl"
    check "gzip named .jsonl" cmp -s "$T/out" "$T/many.tsv"
    # Members concatenated, as pigz and cat make them.
    head -n 1000 "$T/many.jsonl" | gzip -c >"$T/multi.jsonl.gz"
    tail -n 2000 "$T/many.jsonl" | gzip -c >>"$T/multi.jsonl.gz"
    run cluster --quiet "$T/multi.jsonl.gz"
    check "multi-member gzip" cmp -s "$T/out" "$T/many.tsv"
    # Truncated: what came before is kept, the file is named.
    size=$(wc -c <"$T/many.jsonl.gz")
    head -c $((size / 2)) "$T/many.jsonl.gz" >"$T/cut.jsonl.gz"
    run cluster "$T/cut.jsonl.gz" "$T/basic.jsonl"
    rc_is 1
    err_has "cut.jsonl.gz:"
    err_has "truncated gzip data (unexpected end of file); rest of file skipped"
    err_has "skipped 0 records and 1 file"
    n=$(wc -l <"$T/out")
    check "lines before the cut are kept ($n)" test "$n" -gt 100
    out_has "c1	c1"
    # Corrupt: bytes overwritten in the middle.
    {
        head -c 2000 "$T/many.jsonl.gz"
        printf 'CORRUPTCORRUPTCORRUPTCORRUPT'
        tail -c +2029 "$T/many.jsonl.gz"
    } >"$T/bad.jsonl.gz"
    run cluster "$T/bad.jsonl.gz"
    rc_is 1
    err_has "bad.jsonl.gz:"
    err_has "corrupt gzip data"
    # Junk after a complete member.
    { cat "$T/many.jsonl.gz"; printf 'junk'; } >"$T/tail.jsonl.gz"
    run cluster --quiet "$T/tail.jsonl.gz"
    rc_is 1
    err_has "tail.jsonl.gz:3001: trailing garbage after gzip data"
    check "all records before the junk" cmp -s "$T/out" "$T/many.tsv"
else
    echo "test_cli: gzip not found; gzip tests skipped"
fi

name="zstd"
ZSTD=""
if command -v zstd >/dev/null 2>&1; then
    ZSTD="zstd -q -c"
else
    # No zstd tool: compress with libzstd, which the build needs anyway.
    cat >"$T/zst.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>
int main(void)
{
    size_t cap = 1 << 20, n = 0, r;
    char *in = malloc(cap);
    while (in && (r = fread(in + n, 1, cap - n, stdin)) > 0)
        if ((n += r) == cap)
            in = realloc(in, cap *= 2);
    size_t bound = ZSTD_compressBound(n);
    char *out = malloc(bound);
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (!in || !out || !c)
        return 1;
    /* With a checksum, as the zstd tool writes by default. */
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t z = ZSTD_compress2(c, out, bound, in, n);
    if (ZSTD_isError(z) || fwrite(out, 1, z, stdout) != z)
        return 1;
    return 0;
}
EOF
    if ${CC:-cc} -o "$T/zst" "$T/zst.c" -lzstd 2>/dev/null; then ZSTD="$T/zst"; fi
fi
if [ -n "$ZSTD" ]; then
    $ZSTD <"$T/many.jsonl" >"$T/many.jsonl.zst"
    run cluster --quiet "$T/many.jsonl.zst"
    rc_is 0
    check "zstd gives the same output" cmp -s "$T/out" "$T/many.tsv"
    cp "$T/many.jsonl.zst" "$T/zst-in-disguise.ndjson"
    run cluster --quiet "$T/zst-in-disguise.ndjson"
    check "zstd named .ndjson" cmp -s "$T/out" "$T/many.tsv"
    size=$(wc -c <"$T/many.jsonl.zst")
    head -c $((size / 2)) "$T/many.jsonl.zst" >"$T/cut.jsonl.zst"
    run cluster "$T/cut.jsonl.zst"
    rc_is 1
    err_has "cut.jsonl.zst:"
    err_has "truncated zstd data (unexpected end of file); rest of file skipped"
    {
        head -c 1000 "$T/many.jsonl.zst"
        printf 'CORRUPTCORRUPTCORRUPTCORRUPT'
        tail -c +1029 "$T/many.jsonl.zst"
    } >"$T/bad.jsonl.zst"
    run cluster "$T/bad.jsonl.zst"
    rc_is 1
    err_has "bad.jsonl.zst:"
    err_has "corrupt zstd data"
    # As pzstd writes it: a skippable frame (magic 0x184D2A50, 4 bytes of
    # content) before each frame; frames concatenated; skippable frames of
    # other magic numbers and sizes between and after them.
    {
        printf '\120\052\115\030\004\000\000\000\373\001\000\000'
        head -n 1000 "$T/many.jsonl" | $ZSTD
        printf '\137\052\115\030\000\000\000\000'
        sed -n '1001,2000p' "$T/many.jsonl" | $ZSTD
        tail -n 1000 "$T/many.jsonl" | $ZSTD
        printf '\132\052\115\030\003\000\000\000xyz'
    } >"$T/pzstd.jsonl.zst"
    for threads in 1 2; do
        run cluster --threads $threads "$T/pzstd.jsonl.zst"
        rc_is 0
        check "skippable and concatenated frames, --threads $threads" cmp -s "$T/out" "$T/many.tsv"
        err_has "skipped 0 records and 0 files"
    done
    printf '\120\052\115\030\004\000\000\000\373\001' >"$T/skip-cut.jsonl.zst"
    run cluster "$T/skip-cut.jsonl.zst"
    rc_is 1
    err_has "skip-cut.jsonl.zst:1: truncated zstd data"
    printf '\050\265\057\375' >"$T/magic-only.jsonl.zst"
    run cluster "$T/magic-only.jsonl.zst"
    rc_is 1
    err_has "magic-only.jsonl.zst:1: truncated zstd data"
else
    echo "test_cli: no zstd tool and no C compiler; zstd tests skipped"
fi

# ----------------------------------------------- text files, directories

name="text files and directories"
mkdir -p "$T/dir/sub" "$T/dir/.git"
printf '%s\n' "$FOX" >"$T/dir/b.txt"
printf '%s\n' "$VOTE" >"$T/dir/a.txt"
printf '%s' "$FOX" >"$T/dir/sub/c"
printf '%s\n' "hidden $FOX" >"$T/dir/.hidden.txt"
printf '%s\n' "git $FOX" >"$T/dir/.git/x.txt"
printf '{"id":"j1","text":"%s"}\n{"text":"%s"}\n' "$VOTE" "$FOX" >"$T/dir/sub/d.jsonl"
: >"$T/dir/sub/empty.txt"
printf 'bin\000ary\n' >"$T/dir/sub/e.bin"
ln -s .. "$T/dir/sub/loop"
run cluster "$T/dir"
rc_is 1
out_is "$T/dir/a.txt	$T/dir/a.txt" "$T/dir/b.txt	$T/dir/b.txt" "$T/dir/sub/c	$T/dir/b.txt" \
    "j1	$T/dir/a.txt" "$T/dir/sub/d.jsonl:2	$T/dir/b.txt"
err_has "$T/dir/sub/e.bin: binary file (contains NUL bytes), not text"
err_has "$T/dir/sub/empty.txt: empty file; record skipped"
err_has "$T/dir/sub/loop: warning: link back to a directory above it; not followed"
err_lacks "hidden"
run cluster "$T/dir/" --quiet
out_has "$T/dir/a.txt	$T/dir/a.txt"
run cluster --input-format text "$T/dir/sub/d.jsonl"
rc_is 0
out_is "$T/dir/sub/d.jsonl	$T/dir/sub/d.jsonl"
printf '{"id":"t","text":"%s"}\n' "$FOX" >"$T/records.txt"
run cluster --input-format jsonl "$T/records.txt"
out_is "t	t"
run cluster "$T/records.txt"
out_is "$T/records.txt	$T/records.txt"

name="missing and unreadable files"
run cluster "$T/basic.jsonl" "$T/nosuch.jsonl" "$T/dir/sub/d.jsonl"
rc_is 1
err_has "$T/nosuch.jsonl: No such file or directory"
err_has "skipped 0 records and 1 file"
out_lines 7
if [ -r /proc/self/mem ]; then
    # Opens, then fails to read (EIO): an unreadable file even for root.
    run cluster "$T/basic.jsonl" /proc/self/mem
    rc_is 1
    err_has "/proc/self/mem: read error: Input/output error; file skipped"
    out_lines 5
fi
cp "$T/basic.jsonl" "$T/secret.jsonl"
chmod 000 "$T/secret.jsonl"
if [ "$(id -u)" -ne 0 ]; then
    run cluster "$T/secret.jsonl" "$T/basic.jsonl"
    rc_is 1
    err_has "secret.jsonl: Permission denied; file skipped"
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    # Root reads anything: drop to nobody for this one.
    setpriv --reuid=65534 --regid=65534 --clear-groups "$SHEAF" cluster \
        "$T/secret.jsonl" "$T/basic.jsonl" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    rc_is 1
    err_has "secret.jsonl: Permission denied; file skipped"
    out_lines 5
else
    echo "test_cli: running as root without setpriv; permission test skipped"
fi

# ---------------------------------------------------------- standard input

name="standard input"
run_stdin "$T/basic.jsonl" cluster --quiet
rc_is 0
out_is "a1	a1" "b1	b1" "a2	a1" "b2	b1" "c1	c1"
run_stdin "$T/basic.jsonl" cluster --quiet - "$T/p.jsonl"
out_lines 7
run_stdin "$T/ids.jsonl" cluster --quiet
out_has "<stdin>:3	1.50e2"
printf '%s' "$FOX" >"$T/fox.txt"
run_stdin "$T/fox.txt" cluster --quiet --input-format text
out_is "<stdin>	<stdin>"
if command -v gzip >/dev/null 2>&1; then
    gzip -c "$T/basic.jsonl" | "$SHEAF" cluster --quiet >"$T/out" 2>"$T/err"
    rc=$?
    rc_is 0
    out_lines 5
fi
: >"$T/empty.jsonl"
run_stdin "$T/empty.jsonl" cluster
rc_is 0
out_is
err_has "0 articles"

# ------------------------------------------------------- output and errors

name="output to a full disk"
if [ -w /dev/full ]; then
    "$SHEAF" cluster "$T/many.jsonl" >/dev/full 2>"$T/err"
    rc=$?
    rc_is 3
    err_has "<stdout>: write error: No space left on device"
    run cluster -o /dev/full "$T/many.jsonl"
    rc_is 3
    err_has "/dev/full: write error: No space left on device"
    check "/dev/full is still a device" test -c /dev/full
else
    echo "test_cli: no /dev/full; full-disk test skipped"
fi

name="-o writes atomically"
mkdir "$T/o"
run cluster -o "$T/o/result.tsv" "$T/basic.jsonl"
rc_is 0
check "-o output equals stdout output" sh -c "printf 'a1\ta1\nb1\tb1\na2\ta1\nb2\tb1\nc1\tc1\n' | cmp -s - '$T/o/result.tsv'"
check "nothing left beside it" test "$(ls -A "$T/o")" = "result.tsv"
run cluster --output="$T/o/result.tsv" --format jsonl "$T/basic.jsonl"
rc_is 0
check "replaced" grep -q '"size"' "$T/o/result.tsv"
printf 'old\n' >"$T/o/keep.tsv"
run cluster --strict -o "$T/o/keep.tsv" "$T/bad.jsonl"
rc_is 1
check "a failed run leaves the old file" test "$(cat "$T/o/keep.tsv")" = "old"
check "and no temporary file" test "$(ls -A "$T/o" | wc -l)" -eq 2
run cluster -o "$T/nodir/x.tsv" "$T/basic.jsonl"
rc_is 3
err_has "$T/nodir/x.tsv: cannot create a temporary file beside it: No such file or directory"
run cluster -o "$T/o" "$T/basic.jsonl"
rc_is 3
err_has "$T/o: is a directory"
ln -s keep.tsv "$T/o/link.tsv"
run cluster -o "$T/o/link.tsv" "$T/basic.jsonl"
rc_is 0
check "a link is followed, not replaced" test -L "$T/o/link.tsv"
check "its target has the output" grep -q "a2	a1" "$T/o/keep.tsv"
# Killed while reading: the temporary file goes too. (SIGTERM: a script's
# background job ignores SIGINT, and so does sheaf then.)
mkfifo "$T/fifo.jsonl"
"$SHEAF" cluster -o "$T/o/int.tsv" "$T/fifo.jsonl" 2>"$T/err" &
pid=$!
exec 7>"$T/fifo.jsonl" # opening the writer end lets sheaf's open return
printf '{"id":"x","text":"y"}\n' >&7
sleep 1
kill -TERM "$pid"
wait "$pid" 2>/dev/null
rc=$?
exec 7>&-
check "killed by SIGTERM (status $rc)" test "$rc" -gt 128
check "no file or temporary after SIGTERM" test "$(ls -A "$T/o" | grep -c int)" -eq 0

# ------------------------------------------------------------- threads

name="threads give identical output"
{
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        sed "s/\"id\": \"/\"id\": \"r$i-/; s/\"id\": \([0-9]\)/\"id\": $i\1/" "$DEMO"
    done
    cat "$T/many.jsonl" "$T/bad.jsonl"
} >"$T/mixed.jsonl"
run cluster --threads 1 --format jsonl "$T/mixed.jsonl"
cp "$T/out" "$T/t1.out"
cp "$T/err" "$T/t1.err"
for n in 2 3 8; do
    run cluster --threads $n --format jsonl "$T/mixed.jsonl"
    check "--threads $n output equals --threads 1" cmp -s "$T/out" "$T/t1.out"
    grep -v "MB read in" "$T/err" >"$T/tn.err"
    grep -v "MB read in" "$T/t1.err" >"$T/t1n.err"
    check "--threads $n messages equal --threads 1" cmp -s "$T/tn.err" "$T/t1n.err"
done
check "the mix has over 3400 articles" test "$(wc -l <"$T/t1.out")" -gt 3400

# ------------------------------------------------- publication times

name="time field"
cat >"$T/times.jsonl" <<EOF
{"id":"t1","text":"$FOX","at":"2016-11-20T16:31:00Z"}
{"id":"t2","text":"$FOX","at":"2016-11-20T19:31:00.250+03:00"}
{"id":"t3","text":"$FOX","at":"2016-11-20"}
{"id":"t4","text":"$FOX","at":1479659460}
{"id":"t5","text":"$FOX","at":1.4796594605e9}
{"id":"t6","text":"$FOX","at":null}
{"id":"t7","text":"$FOX"}
{"id":"t8","text":"$FOX","at":"2016-11-20t16:31:00z"}
{"id":"t9","text":"$FOX","at":"2016-11-20 16:31:00-00:00"}
EOF
run cluster --time-field at "$T/times.jsonl"
rc_is 0
out_is "t1	t1" "t2	t1" "t3	t1" "t4	t1" "t5	t1" "t6	t1" "t7	t1" "t8	t1" "t9	t1"
err_has "skipped 0 records"
cat >"$T/badtimes.jsonl" <<EOF
{"id":"ok","text":"$FOX","at":"2016-11-20T16:31:00Z"}
{"id":"b1","text":"$FOX","at":"2016-11-31"}
{"id":"b2","text":"$FOX","at":"2016-11-20T16:31:00"}
{"id":"b3","text":"$FOX","at":"2015-02-29T10:00:00Z"}
{"id":"b4","text":"$FOX","at":"20 Nov 2016"}
{"id":"b5","text":"$FOX","at":1479659460123}
{"id":"b6","text":"$FOX","at":[2016]}
{"id":"b7","text":"$FOX","at":true}
{"id":"b8","text":"$FOX","at":"2016-11-20T24:00:00Z"}
{"id":"b9","text":"$FOX","at":"2016-11-20T16:31:00+24:00"}
{"id":"b10","text":"$FOX","at":""}
{"id":"ok2","text":"$FOX"}
EOF
run cluster --time-field at "$T/badtimes.jsonl"
rc_is 1
out_is "ok	ok" "ok2	ok"
B="$T/badtimes.jsonl"
err_has "$B:2: \"at\" is '2016-11-31', not a valid time: day out of range for its month; record skipped"
err_has "$B:3: \"at\" is '2016-11-20T16:31:00', not a valid time: no UTC offset (end it with Z or +HH:MM); record skipped"
err_has "$B:4: \"at\" is '2015-02-29T10:00:00Z', not a valid time: day out of range"
err_has "$B:5: \"at\" is '20 Nov 2016', not a valid time: not an RFC 3339 date-time"
err_has "$B:6: \"at\" is '1479659460123', not a valid time: outside the years 0000 to 9999 (epoch times are in seconds); record skipped"
err_has "$B:7: \"at\" is an array; a time must be a string or a number; record skipped"
err_has "$B:8: \"at\" is a boolean; a time must be a string or a number"
err_has "$B:9: \"at\" is '2016-11-20T24:00:00Z', not a valid time: hour, minute or second out of range"
err_has "$B:10: \"at\" is '2016-11-20T16:31:00+24:00', not a valid time: UTC offset out of range"
err_has "$B:11: \"at\" is '', not a valid time"
err_has "skipped 10 records"
# Without --time-field the field is just another one.
run cluster "$T/badtimes.jsonl"
rc_is 0
out_lines 12
run cluster --strict --time-field at "$T/badtimes.jsonl"
rc_is 1
err_has "$B:2: \"at\" is '2016-11-31'"
err_lacks "$B:3:"

name="window"
# w2 is 72 hours after w1, w3 a second more; w5 and w6 come out of order,
# a day before w1; w4 has no time.
cat >"$T/window.jsonl" <<EOF
{"id":"w1","text":"$FOX","at":"2016-11-20T00:00:00Z"}
{"id":"w2","text":"$FOX","at":"2016-11-23T00:00:00Z"}
{"id":"w3","text":"$FOX","at":"2016-11-23T00:00:01Z"}
{"id":"w5","text":"$FOX","at":"2016-11-19T00:00:00+00:00"}
{"id":"w6","text":"$FOX","at":1479513600}
{"id":"w4","text":"$FOX"}
{"id":"v1","text":"$VOTE","at":"2016-11-26T00:00:01Z"}
EOF
for w in 72h 3d 4320m 259200s 259200; do
    run cluster --quiet --time-field at --window $w "$T/window.jsonl"
    rc_is 0
    out_is "w1	w1" "w2	w1" "w3	w1" "w5	w1" "w6	w1" "w4	w1" "v1	v1"
done
# One second less: w2 is too late for w1 and starts its own cluster, which
# w3 joins; w5 and w6 are within the window of w1 only; w4, without a
# time, is compared with all, equally similar, and joins the first.
run cluster --quiet --time-field at --window 259199 "$T/window.jsonl"
rc_is 0
out_is "w1	w1" "w2	w2" "w3	w2" "w5	w1" "w6	w1" "w4	w1" "v1	v1"
# A window expires what lies two windows behind the newest article: w4,
# without a time, meets only what is left (w2, w3), and w5 and w6, four
# days late, meet only each other.
run cluster --quiet --time-field at --window 1h "$T/window.jsonl"
out_is "w1	w1" "w2	w2" "w3	w2" "w5	w5" "w6	w5" "w4	w2" "v1	v1"
# No window: times change nothing.
run cluster --quiet --time-field at "$T/window.jsonl"
out_is "w1	w1" "w2	w1" "w3	w1" "w5	w1" "w6	w1" "w4	w1" "v1	v1"
run cluster --quiet --time-field at --window 1h --threads 3 --format jsonl "$T/window.jsonl"
out_has '{"id":"w3","cluster":"w2","match":"w2","similarity":1,"size":3}'
# A window without times applies to nothing, and says so.
run cluster --window 1h "$T/window.jsonl"
rc_is 0
err_has "warning: without --time-field the articles have no time, so the window (1h) does not apply to them"
err_has "1 warning"
out_has "w2	w1"
# Text files have no time: compared with everything the window has kept.
printf '%s\n' "$FOX" >"$T/fox1.txt"
run cluster --quiet --time-field at --window 1h "$T/window.jsonl" "$T/fox1.txt"
out_has "$T/fox1.txt	w2"

# A NUL byte is not text: the file ends there with FILE:LINE, within
# seconds even for an endless input; the lines before it are kept.
name="NUL bytes"
run cluster --quiet --input-format jsonl /dev/zero
rc_is 1
err_has "/dev/zero:1: NUL byte: not text; rest of file skipped"
"$SHEAF" cluster --quiet </dev/zero >/dev/null 2>"$T/nul.err"
check "standard input of NUL bytes ends" grep -q "<stdin>:1: NUL byte: not text" "$T/nul.err"
printf '{"id":"a","text":"%s"}\n{"id":"b","text":"x\0y"}\n{"id":"c","text":"z"}\n' "$FOX" >"$T/nul.jsonl"
run cluster --quiet "$T/nul.jsonl"
rc_is 1
out_is "a	a"
err_has "nul.jsonl:2: NUL byte: not text; rest of file skipped"

# Control bytes in names reach the terminal escaped, never raw.
name="control bytes in messages"
run cluster --quiet "$T/no$(printf '\033')[31mfile"
rc_is 1
err_has 'no\x1B[31mfile: '
check "no raw ESC on stderr" sh -c "! grep -q \"$(printf '\033')\" '$T/err'"

# ------------------------------------------------------- the stored index

# index_size PATH: the articles in the index at PATH, in $size (an empty run
# opens it and says).
index_size() {
    "$SHEAF" cluster --index "$1" </dev/null >/dev/null 2>"$T/size.err"
    size=$(sed -n "s|^sheaf: index $1: \([0-9]*\) articles\{0,1\} in .*|\1|p" "$T/size.err")
}

name="index: A then B equals A and B"
mkdir "$T/ix"
# Times, numeric ids and a string id that reads as a number, repeated ids
# within A, within B and across the two.
cat >"$T/ix/a.jsonl" <<EOF
{"id":"a1","text":"$FOX","at":"2016-11-20T00:00:00Z"}
{"id":4471,"text":"$VOTE","at":"2016-11-20T06:00:00Z"}
{"id":"4471","text":"$VOTE, again","at":"2016-11-20T07:00:00Z"}
{"id":"dup","text":"$FOX and more","at":"2016-11-20T08:00:00Z"}
{"id":"dup","text":"$VOTE and more","at":"2016-11-20T09:00:00Z"}
{"id":7,"text":"Something else entirely: a recipe for bread with flour water salt and yeast","at":"2016-11-20T10:00:00Z"}
EOF
cat >"$T/ix/b.jsonl" <<EOF
{"id":"b1","text":"$FOX!","at":"2016-11-21T00:00:00Z"}
{"id":"dup","text":"$VOTE!!","at":"2016-11-21T01:00:00Z"}
{"id":"a1","text":"$FOX?","at":"2016-11-21T02:00:00Z"}
{"id":"7","text":"Something else entirely: a recipe for bread with flour water salt and yeast, twice","at":"2016-11-21T03:00:00Z"}
{"id":4471,"text":"$VOTE!!!","at":"2016-11-21T04:00:00Z"}
{"id":"b1","text":"$FOX!","at":"2016-11-21T05:00:00Z"}
{"id":"notime","text":"$VOTE"}
{"id":"late","text":"$FOX","at":"2016-11-30T00:00:00Z"}
EOF
for fmt in tsv jsonl; do
    args="--quiet --time-field at --window 3d --format $fmt"
    # shellcheck disable=SC2086
    run cluster $args "$T/ix/a.jsonl" "$T/ix/b.jsonl"
    rc_is 0
    cp "$T/out" "$T/ix/joint.$fmt.out"
    # shellcheck disable=SC2086
    run cluster $args --index "$T/ix/i.$fmt" "$T/ix/a.jsonl"
    rc_is 0
    cp "$T/out" "$T/ix/a.$fmt.out"
    # The index keeps the window; the run over B needs no options.
    run cluster --quiet --time-field at --format $fmt --index "$T/ix/i.$fmt" "$T/ix/b.jsonl"
    rc_is 0
    cp "$T/out" "$T/ix/b.$fmt.out"
    check "$fmt: B's lines equal those of the joint run" \
        sh -c "tail -n 8 '$T/ix/joint.$fmt.out' | cmp -s - '$T/ix/b.$fmt.out'"
done
check "tsv: A's and B's lines equal the joint run's" \
    sh -c "cat '$T/ix/a.tsv.out' '$T/ix/b.tsv.out' | cmp -s - '$T/ix/joint.tsv.out'"
# A's lines are the same but for "size", which counts a cluster at the end
# of the run that wrote the line.
check "jsonl: A's lines equal but for size" sh -c \
    "head -n 6 '$T/ix/joint.jsonl.out' | sed 's/,\"size\":[0-9]*//' >'$T/ix/j6'; sed 's/,\"size\":[0-9]*//' '$T/ix/a.jsonl.out' | cmp -s - '$T/ix/j6'"
cp "$T/ix/b.tsv.out" "$T/out"
out_is "b1	a1" "dup	4471" "a1	a1" "7	7" "4471	4471" "b1	a1" "notime	4471" "late	late"
cp "$T/ix/b.jsonl.out" "$T/out"
# Earlier runs' ids keep their JSON type.
out_has '{"id":"dup","cluster":4471,"match":4471,'
out_has '{"id":"7","cluster":7,"match":7,'
out_has '{"id":"late","cluster":"late","match":null,"similarity":null,"size":1}'
# The messages of a run over B on an index of A.
run cluster --quiet --time-field at --window 3d --index "$T/ix/m" "$T/ix/a.jsonl"
run cluster --time-field at --index "$T/ix/m" "$T/ix/b.jsonl"
rc_is 0
err_has "index $T/ix/m: 6 articles in"
err_has "b.jsonl:2: warning: id \"dup\" is already in the index (an article within the window has it); this article is added as another one"
err_has "b.jsonl:4: warning: id \"7\" is already in the index"
err_has "b.jsonl:6: warning: id \"b1\" repeated (first at $T/ix/b.jsonl:1); both kept"
err_has "8 articles, "
# "late", six days after the rest, expires them: two windows behind it.
err_has "index $T/ix/m: 8 articles added, 2 in all, in "
run cluster --quiet --time-field at --window 3d --index "$T/ix/g" "$T/ix/a.jsonl"
run cluster --format groups --time-field at --index "$T/ix/g" "$T/ix/b.jsonl"
rc_is 0
out_has "6 articles, 3 of them added by earlier runs:"
out_has "  notime  1.000  The town council voted"
out_has "3 clusters of two or more hold 7 articles; 1 article stands alone."

name="index: parameters"
run cluster --quiet --index "$T/ix/p" --threshold 0.8 --hashes 64 --shingle word:3 \
    --seed 9 --window 2d "$T/basic.jsonl"
rc_is 0
cp "$T/out" "$T/ix/p.first"
run cluster --quiet --threshold 0.8 --hashes 64 --shingle word:3 --seed 9 --window 2d \
    "$T/basic.jsonl" "$T/basic.jsonl"
tail -n 5 "$T/out" >"$T/ix/p.want"
# No options: the index's own parameters.
run cluster --quiet --index "$T/ix/p" "$T/basic.jsonl"
rc_is 0
check "a run without options uses the index's parameters" cmp -s "$T/out" "$T/ix/p.want"
# The same values given again are fine, however written.
run cluster --quiet --index "$T/ix/p" --threshold 0.80 --window 48h --hashes 64 \
    --mode near "$T/p.jsonl"
rc_is 0
# Different ones are an error naming each, and change nothing.
index_size "$T/ix/p"
before=$size
run cluster --index "$T/ix/p" --threshold 0.5 --window 72h --shingle char:4 --seed 10 \
    --hashes 128 --bands 16 --rows 8 "$T/basic.jsonl"
rc_is 2
err_has "index $T/ix/p was made with --threshold 0.8, not 0.5"
err_has "index $T/ix/p was made with --window 2d, not 3d"
err_has "index $T/ix/p was made with --shingle word:3, not char:4"
err_has "index $T/ix/p was made with --seed 9, not 10"
err_has "index $T/ix/p was made with --hashes 64, not 128"
err_has "index $T/ix/p was made with --bands"
err_has "an index keeps the parameters it was made with"
check "no output after a mismatch" test ! -s "$T/out"
index_size "$T/ix/p"
check "nothing added after a mismatch ($before, $size)" test "$before" = "$size"
check "a mismatch leaves no temporary output" sh -c "! ls -A '$T/ix' | grep -q '^\\.'"
run cluster --quiet --index "$T/ix/p" --threshold 0.7 -o "$T/ix/never.tsv" "$T/basic.jsonl"
rc_is 2
check "no -o file after a mismatch" test ! -e "$T/ix/never.tsv"
# A new index takes the options given.
run cluster --index "$T/ix/new" --threshold 0.9 "$T/basic.jsonl"
rc_is 0
err_has "index $T/ix/new: created"
run cluster --quiet --index "$T/ix/new" --threshold 0.5 "$T/basic.jsonl"
rc_is 2

name="index: unusable"
run cluster --index "$T/ix" "$T/basic.jsonl"
rc_is 3
err_has "$T/ix: is a directory, not an index"
run cluster --index "$T/nodir/idx" "$T/basic.jsonl"
rc_is 3
err_has "$T/nodir/idx: cannot create the index: No such file or directory"
cp "$T/basic.jsonl" "$T/ix/notindex"
run cluster --index "$T/ix/notindex" "$T/basic.jsonl"
rc_is 3
err_has "$T/ix/notindex: the index is damaged, or not a sheaf index"
check "not an index: left as it was" cmp -s "$T/basic.jsonl" "$T/ix/notindex"
check "no output" test ! -s "$T/out"

name="index: --strict adds nothing on a problem"
index_size "$T/ix/p"
before=$size
run cluster --strict --index "$T/ix/p" "$T/basic.jsonl" "$T/bad.jsonl"
rc_is 1
err_has "stopped at the first problem (--strict); nothing written or added to the index"
index_size "$T/ix/p"
check "--strict: nothing added ($before, $size)" test "$before" = "$size"
run cluster --strict --quiet --index "$T/ix/p" "$T/basic.jsonl"
rc_is 0
index_size "$T/ix/p"
check "--strict: all added when all is well" test "$size" -eq $((before + 5))

# A large input for the interruption tests: 30,000 articles in groups of
# three near-copies, so three groups of 10,000 commits.
awk 'BEGIN { for (i = 0; i < 30000; i++) { g = int(i / 3); t = ""; for (k = 0; k < 12; k++) t = t " w" g "x" k; printf "{\"id\":\"k%d\",\"text\":\"%s end%d\"}\n", i, t, i } }' >"$T/ix/big.jsonl"
run cluster --quiet --threads 1 --index "$T/ix/whole" "$T/ix/big.jsonl"
rc_is 0
cp "$T/out" "$T/ix/whole.tsv"
check "30000 lines" test "$(wc -l <"$T/ix/whole.tsv")" -eq 30000

# feed_and_stop SIGNAL INDEX OUT: cluster 25,000 articles into INDEX from a
# fifo with one thread, send SIGNAL once they are all taken in (then a
# megabyte of blank lines has gone through too, which hands over the
# last batch), with the fifo still open; status in $rc.
feed_and_stop() {
    rm -f "$T/ix/feed.jsonl"
    mkfifo "$T/ix/feed.jsonl"
    "$SHEAF" cluster --threads 1 --index "$2" -o "$3" "$T/ix/feed.jsonl" 2>"$T/err" &
    pid=$!
    exec 7>"$T/ix/feed.jsonl"
    head -n 25000 "$T/ix/big.jsonl" >&7
    head -c 2000000 /dev/zero | tr '\0' '\n' >&7
    kill -"$1" "$pid"
    wait "$pid" 2>/dev/null
    rc=$?
    exec 7>&-
}

name="index: SIGTERM commits, writes and says how far"
feed_and_stop TERM "$T/ix/term" "$T/ix/term.tsv"
check "ended by SIGTERM (status $rc)" test "$rc" -eq 143
err_has "interrupted by SIGTERM after 25000 articles (through $T/ix/feed.jsonl:25000): they are in the index and written; resume with --skip-articles 25000"
check "the lines of the articles added" sh -c "head -n 25000 '$T/ix/whole.tsv' | cmp -s - '$T/ix/term.tsv'"
index_size "$T/ix/term"
check "all 25000 in the index ($size)" test "$size" = 25000
run cluster --quiet --threads 2 --index "$T/ix/term" --skip-articles 25000 "$T/ix/big.jsonl"
rc_is 0
check "the resumed run writes the rest" sh -c "tail -n 5000 '$T/ix/whole.tsv' | cmp -s - '$T/out'"

if command -v gzip >/dev/null 2>&1; then
    name="index: SIGTERM while a decompressing thread waits on a pipe"
    head -n 3000 "$T/ix/big.jsonl" | gzip -c >"$T/ix/part.jsonl.gz"
    rm -f "$T/ix/feed.jsonl"
    mkfifo "$T/ix/feed.jsonl"
    "$SHEAF" cluster --threads 2 --index "$T/ix/gz" "$T/ix/feed.jsonl" >"$T/out" 2>"$T/err" &
    pid=$!
    exec 7>"$T/ix/feed.jsonl"
    cat "$T/ix/part.jsonl.gz" >&7 # and then nothing, the pipe held open
    sleep 0.5
    kill -TERM "$pid"
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    check "stopped within 5 s of the signal" test $waited -lt 50
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    exec 7>&-
    check "ended by SIGTERM (status $rc)" test "$rc" -eq 143
    err_has "interrupted by SIGTERM after "
    n=$(wc -l <"$T/out")
    check "wrote the $n articles it added" sh -c "head -n $n '$T/ix/whole.tsv' | cmp -s - '$T/out'"
fi

name="index: kill -9 loses only the open group"
feed_and_stop KILL "$T/ix/killed" "$T/ix/killed.tsv"
check "killed (status $rc)" test "$rc" -eq 137
check "no output file" test ! -e "$T/ix/killed.tsv"
index_size "$T/ix/killed"
check "the two committed groups are in the index ($size)" test "$size" = 20000
run cluster --quiet --threads 3 --index "$T/ix/killed" --skip-articles 20000 "$T/ix/big.jsonl"
rc_is 0
check "the resumed run writes the rest" sh -c "tail -n 10000 '$T/ix/whole.tsv' | cmp -s - '$T/out'"
# The resumed index goes on as the uninterrupted one does.
sed 's/"id":"k/"id":"more/' "$T/ix/big.jsonl" | sed -n '1~97p' >"$T/ix/more.jsonl"
run cluster --quiet --index "$T/ix/whole" "$T/ix/more.jsonl"
cp "$T/out" "$T/ix/more.want"
run cluster --quiet --index "$T/ix/killed" "$T/ix/more.jsonl"
check "later runs agree" cmp -s "$T/out" "$T/ix/more.want"

name="index: kill -9 at a random point, provably mid-way; dump recovers the committed prefix"
# A random count of articles past the first group goes in through a fifo
# held open, so the run cannot have ended; it is killed once the index
# shows a commit, and `sheaf index dump` must give exactly the first lines
# of what an uninterrupted run prints, for every article committed.
rm -f "$T/ix/feed.jsonl"
mkfifo "$T/ix/feed.jsonl"
"$SHEAF" cluster --threads 2 --index "$T/ix/random" "$T/ix/feed.jsonl" >/dev/null 2>&1 &
pid=$!
exec 7>"$T/ix/feed.jsonl"
fed=$(awk -v s="$$" 'BEGIN { srand(s); print 10001 + int(rand() * 19000) }')
head -n "$fed" "$T/ix/big.jsonl" >&7
head -c 2000000 /dev/zero | tr '\0' '\n' >&7 # hands over the last batch
waited=0
size=0
while [ "$size" -lt 10000 ] && [ $waited -lt 200 ]; do
    size=$("$SHEAF" index dump "$T/ix/random" 2>/dev/null | wc -l)
    [ "$size" -ge 10000 ] || sleep 0.1
    waited=$((waited + 1))
done
check "still running when killed" kill -0 "$pid"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
rc=$?
exec 7>&-
check "killed mid-way (status $rc)" test "$rc" -eq 137
run index dump "$T/ix/random"
rc_is 0
size=$(wc -l <"$T/out")
check "whole groups only, at least one ($size of $fed fed)" test $((size % 10000)) -eq 0 -a "$size" -ge 10000 -a "$size" -le "$fed"
check "dump gives the committed prefix of a full run's lines" sh -c "head -n $size '$T/ix/whole.tsv' | cmp -s - '$T/out'"
run index verify "$T/ix/random"
rc_is 0
err_has "index $T/ix/random: sound"
run cluster --quiet --index "$T/ix/random" --skip-articles "$size" "$T/ix/big.jsonl"
rc_is 0
check "the resumed run writes the rest" sh -c "tail -n $((30000 - size)) '$T/ix/whole.tsv' | cmp -s - '$T/out'"
run index dump "$T/ix/random"
check "and dump then gives the full run's lines" cmp -s "$T/out" "$T/ix/whole.tsv"
run cluster --quiet --index "$T/ix/random" --skip-articles 40000 "$T/basic.jsonl"
rc_is 0
err_has "warning: --skip-articles 40000, but the input had only 5 articles"

name="index: a full disk (a file size limit) gives a clean error, an intact index, a resume"
# ulimit -f with SIGXFSZ ignored: writes past the limit fail with EFBIG,
# as on a full disk. 8192 blocks of 512 bytes hold the first commit only.
sh -c 'trap "" XFSZ; ulimit -f 8192; exec "$@"' sh "$SHEAF" cluster --quiet --threads 1 \
    --index "$T/ix/full" "$T/ix/big.jsonl" >"$T/out" 2>"$T/err"
rc=$?
rc_is 3
err_has "index $T/ix/full: this run added 10000 articles, through $T/ix/big.jsonl:10000; resume with --skip-articles 10000"
run index verify "$T/ix/full"
rc_is 0
run index dump "$T/ix/full"
check "the committed group is intact" sh -c "head -n 10000 '$T/ix/whole.tsv' | cmp -s - '$T/out'"
run cluster --quiet --index "$T/ix/full" --skip-articles 10000 "$T/ix/big.jsonl"
rc_is 0
check "the resumed run writes the rest" sh -c "tail -n 20000 '$T/ix/whole.tsv' | cmp -s - '$T/out'"

name="index verify and dump: usage and refusals"
run index
rc_is 2
err_has "index: a subcommand is needed"
run index dump
rc_is 2
run index --help
rc_is 0
out_has "sheaf index verify PATH"
run index dump "$T/ix/absent"
rc_is 3
err_has "$T/ix/absent: no index is stored there"
check "dump creates nothing" test ! -e "$T/ix/absent"
: >"$T/ix/empty"
run index verify "$T/ix/empty"
rc_is 1
err_has "$T/ix/empty: an empty file, not an index"
run cluster --index "$T/ix/empty" "$T/basic.jsonl"
rc_is 3
err_has "$T/ix/empty: an empty file, not an index"
check "an empty file is not made an index" test ! -s "$T/ix/empty"
cp "$T/ix/whole" "$T/ix/cut"
truncate -s $(($(wc -c <"$T/ix/cut") / 2)) "$T/ix/cut"
cp "$T/ix/cut" "$T/ix/cut.before"
run cluster --index "$T/ix/cut" "$T/basic.jsonl"
rc_is 3
err_has "$T/ix/cut: damaged index: cut short"
check "a truncated index is left as it was" cmp -s "$T/ix/cut" "$T/ix/cut.before"

name="index: one writer at a time"
rm -f "$T/ix/feed.jsonl"
mkfifo "$T/ix/feed.jsonl"
"$SHEAF" cluster --index "$T/ix/p" "$T/ix/feed.jsonl" >/dev/null 2>&1 &
pid=$!
exec 7>"$T/ix/feed.jsonl" # sheaf holds the index while it waits for input
sleep 0.3
run cluster --index "$T/ix/p" "$T/basic.jsonl"
rc_is 3
err_has "$T/ix/p: the index is in use by another process (it takes one writer at a time); nothing was read"
check "no output" test ! -s "$T/out"
exec 7>&-
wait "$pid" 2>/dev/null

# -------------------------------------------------------------- the demo

name="demo corpus"
run cluster --quiet "$DEMO"
rc_is 0
out_lines 34
same_cluster northwire-ashby-flood valleycourier-ashby-flood
same_cluster northwire-ashby-flood coastaldaily-ashby-flood
same_cluster northwire-ashby-flood radio-ashby-flood
apart northwire-ashby-flood mfgazette-quay-lane
same_cluster northwire-astrolabe-theft 4471
same_cluster northwire-astrolabe-theft harbourgazette-astrolabe-appeal
apart northwire-astrolabe-theft artcrime-astrolabe
same_cluster marketline-pourwell-recall shopfloor-pourwell-recall
same_cluster marketline-pourwell-recall techdesk-pourwell-recall
same_cluster marketline-pourwell-recall 9021
apart marketline-pourwell-recall consumer-column-kettles
apart marketline-pourwell-recall ardentledger-markets
same_cluster northwire-rovers-cup westernsport-rovers-cup
same_cluster northwire-rovers-cup midlands-rovers-cup
same_cluster carrow-beetle sciencewire-beetle
same_cluster carrow-beetle forestnews-beetle
same_cluster orrin-bikelanes bikeblog-orrin
same_cluster northwire-pell-byelection pellpost-byelection
same_cluster northwire-pell-byelection islandnews-byelection
apart tolltimes-library tolltimes-lost-dog
apart northwire-ashby-flood roads-closure-a41
run cluster --quiet --format groups "$DEMO"
rc_is 0
out_has "7 clusters of two or more hold 22 articles; 12 articles stand alone."
out_has "4 articles:"
out_has "  northwire-ashby-flood      -      Ashby River floods Marlow Ferry"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
