#!/bin/sh
# The installed header compiles cleanly as C11 and as C++, and the shared
# library exports the sheaf_ API and nothing else.
build=${SHEAF_BUILD:-build}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAILED: $*"; fail=$((fail + 1)); fi; }

printf '#include <sheaf.h>\nint main(void) { return sheaf_version_number() == SHEAF_VERSION_NUMBER ? 0 : 1; }\n' > "$tmp/c.c"
# A sanitizer build's library needs the same runtime in the program.
check cc -std=c11 -Wall -Wextra -Werror -pedantic $SHEAF_SANITIZE -Iinclude -o "$tmp/c" "$tmp/c.c" -L"$build" -lsheaf -lm
check env LD_LIBRARY_PATH="$build" "$tmp/c"
cp "$tmp/c.c" "$tmp/cxx.cpp"
if command -v c++ >/dev/null 2>&1; then
    check c++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -c -o "$tmp/cxx.o" "$tmp/cxx.cpp"
else
    echo "skipped: no C++ compiler"
fi
# Every exported symbol starts with sheaf_.
others=$(nm -D --defined-only "$build/libsheaf.so" | awk '{print $3}' | grep -v '^sheaf_')
check test -z "$others"
check sh -c "readelf -d '$build/libsheaf.so' | grep -q 'SONAME.*libsheaf.so.1'"
echo "header: $pass passed, $fail failed"
[ "$fail" = 0 ]
