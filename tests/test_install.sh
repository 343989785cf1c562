#!/bin/sh
# make install, twice with different PREFIXes: sheaf.pc follows the new
# one; sheaf, sheaf-stream, the library, the header and the man pages are
# installed, and a program builds with pkg-config against them. The man
# pages render (man -l, no warnings) and hold every option of --help and
# every function of sheaf.h.
build=${SHEAF_BUILD:-build}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }
inst() { make --no-print-directory -s "${TARGET:-install}" BUILD="$build" SANITIZE="$SHEAF_SANITIZE" \
    DESTDIR="$tmp/root" "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log"; return 1; }; }

inst PREFIX=/opt/a && ok || bad "make install PREFIX=/opt/a"
grep -qx 'prefix=/opt/a' "$tmp/root/opt/a/lib/pkgconfig/sheaf.pc" && ok || bad "sheaf.pc: /opt/a"
inst PREFIX=/opt/b && ok || bad "make install PREFIX=/opt/b"
pc=$tmp/root/opt/b/lib/pkgconfig/sheaf.pc
grep -qx 'prefix=/opt/b' "$pc" && grep -qx 'libdir=/opt/b/lib' "$pc" && ok ||
    bad "sheaf.pc carries the new prefix: $(head -1 "$pc")"
for f in bin/sheaf bin/sheaf-stream include/sheaf.h lib/libsheaf.a lib/libsheaf.so \
         share/man/man1/sheaf.1 share/man/man1/sheaf-stream.1 share/man/man3/libsheaf.3; do
    [ -e "$tmp/root/opt/b/$f" ] && ok || bad "installed: $f"
done

# The README's C program, built from pkg-config's flags against the
# installed copy, prints what the README says it prints.
if command -v pkg-config > /dev/null && [ -z "$SHEAF_SANITIZE" ]; then
    awk '/A complete program, `news.c`:/ { on = 1; next }
         on && /^```c$/ { code = 1; next } code && /^```$/ { exit } code' README.md > "$tmp/news.c"
    awk '/^    \$ cc news.c/ { on = 1; next } on && /^    / { sub(/^    /, ""); print; next } on { exit }' \
        README.md > "$tmp/want"
    flags=$(PKG_CONFIG_PATH=$tmp/root/opt/b/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$tmp/root \
        pkg-config --cflags --libs sheaf)
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/news" "$tmp/news.c" $flags &&
        LD_LIBRARY_PATH=$tmp/root/opt/b/lib "$tmp/news" > "$tmp/got" && [ -s "$tmp/want" ] &&
        cmp -s "$tmp/got" "$tmp/want" && ok || bad "the README's C program (news.c), built with pkg-config"
fi

man=$tmp/root/opt/b/share/man
if command -v man > /dev/null; then
    for page in man1/sheaf.1 man1/sheaf-stream.1 man3/libsheaf.3; do
        MANWIDTH=80 man --warnings -l "$man/$page" > "$tmp/page" 2> "$tmp/warn"
        [ -s "$tmp/page" ] && [ ! -s "$tmp/warn" ] && ok || { cat "$tmp/warn"; bad "man -l $page renders cleanly"; }
    done
    MANWIDTH=200 man -l "$man/man1/sheaf.1" 2> /dev/null | sed 's/‐//g' > "$tmp/sheaf.txt"
    missing=""
    for o in $("$build/sheaf" cluster --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$o" "$tmp/sheaf.txt" || missing="$missing $o"
    done
    [ -z "$missing" ] && ok || bad "sheaf(1) lacks options of --help:$missing"
    MANWIDTH=200 man -l "$man/man3/libsheaf.3" 2> /dev/null > "$tmp/lib.txt"
    fns=$(sed -n 's/^SHEAF_API[^(]* \**\(sheaf_[a-z0-9_]*\)(.*/\1/p' include/sheaf.h | wc -l)
    [ "$fns" -gt 30 ] && ok || bad "the functions of sheaf.h found: $fns"
    missing=""
    for fn in $(sed -n 's/^SHEAF_API[^(]* \**\(sheaf_[a-z0-9_]*\)(.*/\1/p' include/sheaf.h); do
        grep -q "$fn(" "$tmp/lib.txt" || missing="$missing $fn"
    done
    [ -z "$missing" ] && ok || bad "libsheaf(3) lacks functions of sheaf.h:$missing"
else
    echo "skipped: no man (rendering the man pages)"
fi

TARGET=uninstall inst PREFIX=/opt/b
[ -z "$(find "$tmp/root/opt/b" -type f)" ] && ok || bad "make uninstall removes every file: $(find "$tmp/root/opt/b" -type f)"
echo "install: $pass passed, $fail failed"
[ "$fail" = 0 ]
