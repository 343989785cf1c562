#!/bin/sh
# The Python binding (examples/python): make python, its unittest suite
# (the API, and assignments equal to sheaf cluster's), and pip install
# --no-build-isolation with Debian's setuptools. Skipped, with a message,
# where python3-dev is absent and under the sanitizers (the extension
# would need their runtime preloaded into python).
build=${SHEAF_BUILD:-build}
py=${PYTHON:-python3}
if [ -n "$SHEAF_SANITIZE" ]; then
    echo "skipped: the Python binding is not tested under sanitizers"; exit 0
fi
if ! "$py" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(
        os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
    echo "skipped: no Python.h for $py (python3-dev absent; make deps installs it)"; exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
make --no-print-directory -s python BUILD="$build" PYTHON="$py" > "$tmp/make" 2>&1 ||
    { cat "$tmp/make"; echo "FAILED: make python"; exit 1; }

# From the checkout: PYTHONPATH only, no LD_LIBRARY_PATH.
(cd "$tmp" && env -u LD_LIBRARY_PATH PYTHONPATH="$OLDPWD/$build/python" "$py" -c 'import sheaf') ||
    { echo "FAILED: import sheaf from $build/python"; fail=1; }
SHEAF_BUILD="$build" PYTHONPATH="$build/python" "$py" -m unittest discover \
    -s examples/python/tests > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail=1; }
tail -n 3 "$tmp/out"
grep -h 'skipped ' "$tmp/out" | sort -u

# The README's Python program prints what the README says it prints.
awk '/^## Python$/ { on = 1 } on && /^```python$/ { code = 1; next } code && /^```$/ { exit } code' \
    README.md > "$tmp/example.py"
awk '/^## Python$/ { on = 1 } on && /^prints$/ { out = 1; next } out && /^    / { sub(/^    /, ""); print; next }
     out && /[^ ]/ { exit }' README.md > "$tmp/want"
(cd "$tmp" && PYTHONPATH="$OLDPWD/$build/python" "$py" example.py > got 2>&1) &&
    [ -s "$tmp/want" ] && cmp -s "$tmp/got" "$tmp/want" ||
    { diff "$tmp/want" "$tmp/got"; echo "FAILED: the README's Python program"; fail=1; }

# pip with Debian's setuptools (Debian's python3), into a scratch directory.
deb=/usr/bin/python3
if [ "$build" = build ] && [ -x "$deb" ] && "$deb" -c 'import setuptools, wheel' 2>/dev/null &&
        "$deb" -m pip --version > /dev/null 2>&1; then
    if "$deb" -m pip install -q --no-build-isolation --no-deps --target "$tmp/site" \
            examples/python > "$tmp/pip" 2>&1 &&
        (cd "$tmp" && PYTHONPATH="$tmp/site" "$deb" -c \
            'import sheaf; assert sheaf.Index().add("a", "b c").cluster == "a"'); then
        echo "pip install --no-build-isolation examples/python: ok"
    else
        cat "$tmp/pip"; echo "FAILED: pip install --no-build-isolation examples/python"; fail=1
    fi
    rm -rf examples/python/build examples/python/sheaf.egg-info
else
    echo "skipped: pip install (no $deb with pip, setuptools and wheel, or BUILD is not build/)"
fi
[ "$fail" = 0 ]
