# sheaf: `make help` lists the targets.

VERSION      := 0.3.0
SOVERSION    := 1
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
DESTDIR      ?=

CC           ?= cc
SHARED       ?= ../shared
BUILD        ?= build
OPT          ?= -O3 -g
SANITIZE     ?=
WARN         := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes
CPPFLAGS     += -Iinclude -Ilib -D_POSIX_C_SOURCE=200809L
CFLAGS       ?=
ALL_CFLAGS   := -std=c11 $(OPT) $(WARN) $(SANITIZE) $(CFLAGS)
LIB_CFLAGS   := $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DSHEAF_BUILDING
LDLIBS_LIB   := -llmdb -lpthread -lm
LDLIBS_CLI   := -lz -lzstd -llmdb -lpthread -lm

LIB_SRC      := $(sort $(wildcard lib/*/*.c))
LIB_HDR      := $(sort $(wildcard lib/*/*.h))
LIB_OBJ      := $(LIB_SRC:lib/%.c=$(BUILD)/obj/lib/%.o)
CLI_SRC      := $(sort $(wildcard examples/cluster/*.c))
CLI_OBJ      := $(CLI_SRC:examples/cluster/%.c=$(BUILD)/obj/cli/%.o)
TEST_SRC     := $(sort $(wildcard tests/test_*.c))
TEST_BIN     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SH      := $(sort $(wildcard tests/test_*.sh))

STATIC_LIB   := $(BUILD)/libsheaf.a
SHARED_LIB   := $(BUILD)/libsheaf.so.$(VERSION)
CLI          := $(BUILD)/sheaf
STREAM       := $(BUILD)/sheaf-stream
BENCH        := $(BUILD)/sheaf-bench

# Debian packages the build needs, each with a header that proves it is there.
DEPS := libxxhash-dev:xxhash.h uthash-dev:uthash.h libcmocka-dev:cmocka.h \
        zlib1g-dev:zlib.h libzstd-dev:zstd.h liblmdb-dev:lmdb.h pkg-config:

.PHONY: all lib man test check demo bench soak install uninstall asan ubsan tsan fuzz help deps clean golden mpi
.DEFAULT_GOAL := all

all: $(STATIC_LIB) $(SHARED_LIB) $(CLI) $(STREAM) $(BENCH)

lib: $(STATIC_LIB) $(SHARED_LIB)

help:
	@echo "make          build build/libsheaf.a, build/libsheaf.so and build/sheaf"
	@echo "make demo     install missing packages, build, cluster the sample corpus (and ../shared/seeds)"
	@echo "make test     install missing packages, build, run every test"
	@echo "make bench    build and run the benchmark harness (BENCH_ARGS=\"FILE\")"
	@echo "make soak     1M adds with expiry through a stored index, killed and resumed every few seconds"
	@echo "make eval     story mode on ../shared: Multi-News scores, the seeds alone and mixed in"
	@echo "make asan     rebuild in build-asan/ and run the tests under AddressSanitizer"
	@echo "make ubsan    rebuild in build-ubsan/ and run the tests under UBSan"
	@echo "make tsan     the concurrency stress test under ThreadSanitizer"
	@echo "make fuzz     run each libFuzzer target (tests/fuzz_*.c) for FUZZ_SECONDS=$(FUZZ_SECONDS)"
	@echo "make deps     install missing Debian packages (apt-get; sudo when not root)"
	@echo "make mpi      build build/sheaf-mpi, the clusterer spread over MPI ranks (Open MPI)"
	@echo "make install  install library, header, sheaf.pc, sheaf, sheaf-stream and man pages under PREFIX=$(PREFIX)"
	@echo "make man      build/man: sheaf(1), sheaf-stream(1), libsheaf(3) from --help and sheaf.h"
	@echo "make python   the Python binding into build/python (PYTHONPATH=build/python)"
	@echo "make uninstall  remove what install put there"
	@echo "make clean    remove build outputs"

# Installs only what is missing; prints the command when it cannot run it.
deps:
	@missing=""; \
	for d in $(DEPS); do pkg=$${d%%:*}; hdr=$${d#*:}; \
	  if [ -n "$$hdr" ]; then \
	    echo '#include <'$$hdr'>' | $(CC) -E -x c - >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	  else command -v $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; fi; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "sheaf: installing missing packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "sheaf: not root and no sudo; run as root: apt-get update && apt-get install -y$$missing" >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "sheaf: no apt-get; install the equivalents of:$$missing" >&2; exit 1; fi; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq$$missing >/dev/null || \
	{ echo "sheaf: failed; run: $$sudo apt-get update && $$sudo apt-get install -y$$missing" >&2; exit 1; }
	@$(MAKE) --no-print-directory deps-optional

# Optional groups: their absence only skips what needs them (with a
# message), so a failed install warns and goes on.
DEPS_OPTIONAL := openmpi-bin:mpirun libopenmpi-dev:mpicc
.PHONY: deps-optional
deps-optional:
	@missing=""; \
	for d in $(DEPS_OPTIONAL); do pkg=$${d%%:*}; cmd=$${d#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "sheaf: installing optional packages (MPI):$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "sheaf: warning: cannot install$$missing (not root); make mpi and its tests need them" >&2; exit 0; fi; \
	command -v apt-get >/dev/null 2>&1 && $$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq$$missing >/dev/null || \
	echo "sheaf: warning: could not install$$missing; make mpi and its tests need them" >&2

$(BUILD)/obj/lib/%.o: lib/%.c $(LIB_HDR) include/sheaf.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/obj/cli/%.o: examples/cluster/%.c $(wildcard examples/cluster/*.h) include/sheaf.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iexamples/cluster $(ALL_CFLAGS) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libsheaf.so.$(SOVERSION) $(SANITIZE) -o $@ $^ $(LDLIBS_LIB)
	ln -sf libsheaf.so.$(VERSION) $(BUILD)/libsheaf.so.$(SOVERSION)
	ln -sf libsheaf.so.$(SOVERSION) $(BUILD)/libsheaf.so

$(CLI): $(CLI_OBJ) $(STATIC_LIB)
	$(CC) $(SANITIZE) -o $@ $(CLI_OBJ) $(STATIC_LIB) $(LDLIBS_CLI)

# The embedding example shares the clusterer's JSONL parser.
$(STREAM): examples/stream/stream.c $(BUILD)/obj/cli/jsonl.o $(STATIC_LIB)
	$(CC) $(CPPFLAGS) -Iexamples/cluster $(ALL_CFLAGS) -o $@ $< \
	  $(BUILD)/obj/cli/jsonl.o $(STATIC_LIB) $(LDLIBS_CLI)

# sheaf-mpi (examples/mpi): the clusterer's sources but its main, built
# with Open MPI's compiler wrapper. Optional: plain make needs no MPI.
MPICC        ?= mpicc
MPI          := $(BUILD)/sheaf-mpi
MPI_SRC      := $(sort $(wildcard examples/mpi/*.c))
MPI_OBJ      := $(MPI_SRC:examples/mpi/%.c=$(BUILD)/obj/mpi/%.o)
MPI_CLI_OBJ  := $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ))

mpi: $(MPI)

$(BUILD)/obj/mpi/%.o: examples/mpi/%.c $(wildcard examples/mpi/*.h) $(wildcard examples/cluster/*.h) include/sheaf.h
	@mkdir -p $(@D)
	$(MPICC) $(CPPFLAGS) -Iexamples/cluster $(ALL_CFLAGS) -c $< -o $@

$(MPI): $(MPI_OBJ) $(MPI_CLI_OBJ) $(STATIC_LIB)
	$(MPICC) $(SANITIZE) -o $@ $(MPI_OBJ) $(MPI_CLI_OBJ) $(STATIC_LIB) $(LDLIBS_CLI)

# The harness records the flags the library was built with, for its report.
BENCH_SRC    := bench/bench.c bench/corpus.c bench/gen.c bench/accuracy.c bench/e2e.c bench/replay.c bench/source.c
$(BENCH): $(BENCH_SRC) bench/bench.h bench/source.h $(BUILD)/obj/cli/jsonl.o $(STATIC_LIB)
	$(CC) $(CPPFLAGS) -Iexamples/cluster $(ALL_CFLAGS) -DSHEAF_BENCH_CFLAGS='"$(strip $(ALL_CFLAGS))"' \
	  -o $@ $(BENCH_SRC) $(BUILD)/obj/cli/jsonl.o $(STATIC_LIB) $(LDLIBS_CLI)

# The soak test: 1M adds with expiry through a stored index, the writer
# killed and resumed every few seconds (SOAK_ARGS: e.g. --articles 200000).
SOAK         := $(BUILD)/sheaf-soak
SOAK_ARGS    ?=
$(SOAK): bench/soak.c $(STATIC_LIB)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS_LIB)

soak: $(SOAK)
	@rm -rf $(BUILD)/soak && mkdir -p $(BUILD)/soak
	@$(SOAK) $(SOAK_ARGS) $(BUILD)/soak/index

# Extra link flags of one suite, TEST_LDFLAGS_<name>. test_index wraps the
# allocator of everything linked statically to inject allocation failures.
TEST_LDFLAGS_test_index := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
# test_store_faults also fails LMDB's puts and commits.
TEST_LDFLAGS_test_store_faults := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=mdb_put,--wrap=mdb_txn_commit

# Suites include the clusterer's sources they test (test_reader, test_time).
$(BUILD)/tests/%: tests/%.c tests/*.h $(wildcard examples/cluster/*.[ch]) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -Wno-conversion -o $@ $< $(STATIC_LIB) $(TEST_LDFLAGS_$*) -lcmocka $(LDLIBS_CLI)

# Prints the golden signature vectors of tests/test_signature.c (see the
# comment at the top of tests/golden_gen.c).
golden: $(BUILD)/golden_gen
	@$(BUILD)/golden_gen

$(BUILD)/golden_gen: tests/golden_gen.c $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS_LIB)

# Builds and runs every cmocka suite and shell test; fails if any fails.
# Quiet on success: a line per suite; a failing suite's whole output is
# printed (and kept in $(BUILD)/tests/log/). test_reader runs twice, the
# second time with SHEAF_SIMD=scalar for the parser's non-SSE2 path.
test: deps
	@$(MAKE) --no-print-directory -s all $(TEST_BIN)
	@if command -v $(MPICC) >/dev/null 2>&1; then $(MAKE) --no-print-directory $(MPI); fi
	@status=0; log=$(BUILD)/tests/log; mkdir -p $$log; \
	one() { n=$$1; shift; \
	  if "$$@" >$$log/$$n.log 2>&1; then echo "ok   $$n"; \
	  else status=1; echo "FAIL $$n:"; cat $$log/$$n.log; fi; }; \
	for t in $(TEST_BIN); do one $$(basename $$t) env SHEAF_BUILD=$(BUILD) ./$$t; done; \
	one test_reader_scalar env SHEAF_SIMD=scalar ./$(BUILD)/tests/test_reader; \
	for t in $(TEST_SH); do one $$(basename $$t .sh) env SHEAF_BUILD=$(BUILD) SHEAF_SANITIZE="$(SANITIZE)" sh $$t; done; \
	if [ $$status = 0 ]; then echo "sheaf: all tests passed"; else echo "sheaf: TESTS FAILED" >&2; fi; \
	exit $$status

check: test

asan: deps
	@$(MAKE) --no-print-directory test BUILD=build-asan OPT="-O1 -g" \
	  SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# The multi-threaded stress test (and the rest of tests/test_store.c) under
# ThreadSanitizer.
tsan: deps
	@$(MAKE) --no-print-directory build-tsan/tests/test_store BUILD=build-tsan OPT="-O1 -g" \
	  SANITIZE="-fsanitize=thread"
	@TSAN_OPTIONS="halt_on_error=1 suppressions=tests/tsan.supp" build-tsan/tests/test_store

ubsan: deps
	@$(MAKE) --no-print-directory test BUILD=build-ubsan OPT="-O1 -g" \
	  SANITIZE="-fsanitize=undefined -fno-sanitize-recover=all"

# libFuzzer targets: tests/fuzz_*.c, linked with the library and the
# clusterer's sources (all but its main.c), built by clang. A failing
# input is written into the target's seeds, to be kept (committed) as a
# regression input that every later run replays; tests/test_fuzz.sh runs
# fuzz_store briefly in make test.
FUZZ_SECONDS ?= 30
FUZZ_SRC     := $(sort $(wildcard tests/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:tests/%.c=build-fuzz/%)
FUZZ_DEPS    := $(LIB_SRC) $(filter-out examples/cluster/main.c,$(CLI_SRC))

build-fuzz/%: tests/%.c $(FUZZ_DEPS) $(LIB_HDR) $(wildcard examples/cluster/*.h) include/sheaf.h
	@mkdir -p $(@D)
	clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Iexamples/cluster \
	  -o $@ $< $(FUZZ_DEPS) $(LDLIBS_CLI)

fuzz:
	@command -v clang >/dev/null 2>&1 && [ -n "$$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || \
	  { $(MAKE) --no-print-directory deps DEPS="clang: libclang-rt-14-dev:"; }
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build-fuzz/corpus/$$n; \
	  echo "== $$f ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=tests/fuzz-seeds/$$n/crash- \
	    build-fuzz/corpus/$$n tests/fuzz-seeds/$$n || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo/demo.sh $(BUILD) $(SHARED)

bench: deps
	@$(MAKE) --no-print-directory $(BENCH) $(CLI)
	@$(BENCH) $(BENCH_ARGS)
	@echo
	@sh bench/cli.sh $(BUILD)

# Written on every make install, so that a new PREFIX is always in it.
$(BUILD)/sheaf.pc: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: sheaf' 'Description: group news articles that tell the same story' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lsheaf' 'Libs.private: -llmdb -lpthread -lm' \
	  'Cflags: -I$${includedir}' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

FORCE:

install: all man $(BUILD)/sheaf.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 include/sheaf.h $(DESTDIR)$(INCLUDEDIR)/sheaf.h
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/libsheaf.a
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libsheaf.so.$(VERSION)
	ln -sf libsheaf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsheaf.so.$(SOVERSION)
	ln -sf libsheaf.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libsheaf.so
	install -m 644 $(BUILD)/sheaf.pc $(DESTDIR)$(LIBDIR)/pkgconfig/sheaf.pc
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/sheaf
	install -m 755 $(STREAM) $(DESTDIR)$(BINDIR)/sheaf-stream
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/sheaf.h $(DESTDIR)$(LIBDIR)/libsheaf.a \
	  $(DESTDIR)$(LIBDIR)/libsheaf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsheaf.so.$(SOVERSION) \
	  $(DESTDIR)$(LIBDIR)/libsheaf.so $(DESTDIR)$(LIBDIR)/pkgconfig/sheaf.pc $(DESTDIR)$(BINDIR)/sheaf \
	  $(DESTDIR)$(BINDIR)/sheaf-stream $(DESTDIR)$(MANDIR)/man1/sheaf.1 \
	  $(DESTDIR)$(MANDIR)/man1/sheaf-stream.1 $(DESTDIR)$(MANDIR)/man3/libsheaf.3

# Man pages, generated from --help and the header (examples/man/man.sh).
MAN1         := $(BUILD)/man/sheaf.1 $(BUILD)/man/sheaf-stream.1
MAN3         := $(BUILD)/man/libsheaf.3

man: $(MAN1) $(MAN3)

$(BUILD)/man/sheaf.1: $(CLI) examples/man/man.sh
	@mkdir -p $(@D)
	$(CLI) cluster --help | sh examples/man/man.sh help sheaf 1 "group news articles that tell the same story" > $@

# sheaf-stream prints its usage to stderr, with status 2, when asked for help.
$(BUILD)/man/sheaf-stream.1: $(STREAM) examples/man/man.sh
	@mkdir -p $(@D)
	{ $(STREAM) --help 2>&1 || :; } | sh examples/man/man.sh help sheaf-stream 1 \
	  "the sheaf index embedded: one JSON article in, its cluster out" > $@

$(BUILD)/man/libsheaf.3: include/sheaf.h examples/man/man.sh
	@mkdir -p $(@D)
	sh examples/man/man.sh header < include/sheaf.h > $@

clean:
	rm -rf build build-asan build-ubsan build-tsan build-fuzz

# ------------------------------------------------------------ story mode
# Story mode (lib/story/) on the shared evaluation data: bench/story_eval.c
# clusters the Multi-News validation split, the five seed articles alone,
# and the seeds after the split, and ../shared/tools/score_story.py scores
# them (EVAL_ARGS: options for story-eval, e.g. --threshold 0.12).
SHARED       ?= ../shared
STORY_EVAL   := $(BUILD)/story-eval
EVAL_DIR     := $(BUILD)/eval
EVAL_ARGS    ?=
TEST_LDFLAGS_test_story := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

.PHONY: eval

$(STORY_EVAL): bench/story_eval.c bench/corpus.c bench/bench.h $(STATIC_LIB)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ bench/story_eval.c bench/corpus.c \
	  $(STATIC_LIB) $(LDLIBS_CLI)

eval: deps
	@$(MAKE) --no-print-directory $(STORY_EVAL)
	@if [ ! -f $(SHARED)/corpora/multinews/val.jsonl.gz ] || [ ! -d $(SHARED)/seeds ]; then \
	  echo "sheaf: $(SHARED) (Multi-News split and seeds) absent: nothing to evaluate"; exit 0; fi; \
	set -e; mkdir -p $(EVAL_DIR); score=$(SHARED)/tools/score_story.py; \
	val=$(SHARED)/corpora/multinews/val.jsonl.gz; seeds=$$(ls $(SHARED)/seeds/*.txt); \
	for f in $$seeds; do id=$$(basename $$f .txt); \
	  case $$id in 00[0-3]_*) st=lima;; *) st=hangzhou;; esac; \
	  printf '{"id": "%s", "story": "%s", "noise": false, "text": ""}\n' $$id $$st; \
	done > $(EVAL_DIR)/seeds-gold.jsonl; \
	echo "== Multi-News validation, story mode, $$(basename $$val)"; \
	$(STORY_EVAL) $(EVAL_ARGS) --out $(EVAL_DIR)/val.tsv $$val; \
	python3 $$score $$val $(EVAL_DIR)/val.tsv --exclude-noise --label story | tail -n 12; \
	echo "== the seeds alone (want {000,001,002,003} {004})"; \
	$(STORY_EVAL) $(EVAL_ARGS) --out $(EVAL_DIR)/seeds.tsv $$seeds; \
	cat $(EVAL_DIR)/seeds.tsv; \
	python3 $$score $(EVAL_DIR)/seeds-gold.jsonl $(EVAL_DIR)/seeds.tsv | tail -n 1; \
	echo "== the seeds after the Multi-News split"; \
	$(STORY_EVAL) $(EVAL_ARGS) --out $(EVAL_DIR)/mixed.tsv $$val $$seeds; \
	grep -E '^00[0-4]_' $(EVAL_DIR)/mixed.tsv; \
	python3 $$score $(EVAL_DIR)/seeds-gold.jsonl $(EVAL_DIR)/mixed.tsv | tail -n 1

# ------------------------------------------------------------ python
# The CPython binding (examples/python) over the public API, linked with
# the static library (PIC objects), so build/python imports with no
# LD_LIBRARY_PATH. Optional: plain `make` does not need python3-dev.
PYTHON       ?= python3
PY_SRC       := $(sort $(wildcard examples/python/src/*.c))
PY_HDR       := $(wildcard examples/python/src/*.h)
PY_PKG       := $(wildcard examples/python/sheaf/*)
PY_DIR       := $(BUILD)/python/sheaf

.PHONY: python deps-python

# Debian's python3-dev, python3-setuptools (and wheel, pip for pip install); a failure is a warning,
# since only the binding needs them.
deps-python:
	@if $(PYTHON) -c 'import os, sysconfig, setuptools; \
	  assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' \
	  >/dev/null 2>&1; then exit 0; fi; \
	$(MAKE) --no-print-directory deps PY_DEPS_DONE=1 \
	  DEPS="python3-dev: python3-setuptools: python3-wheel: python3-pip:" || \
	  echo "sheaf: warning: python3-dev not installed; the Python binding is skipped" >&2

ifndef PY_DEPS_DONE
deps: deps-python
endif

python: $(STATIC_LIB) $(PY_SRC) $(PY_HDR) $(PY_PKG)
	@$(PYTHON) -c 'import os, sysconfig; \
	  os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) or \
	  exit("sheaf: no Python.h for $(PYTHON): make deps installs python3-dev")'
	@mkdir -p $(PY_DIR)
	cp examples/python/sheaf/__init__.py examples/python/sheaf/__init__.pyi \
	  examples/python/sheaf/py.typed $(PY_DIR)/
	$(CC) -Iinclude -I"$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
	  $(ALL_CFLAGS) -Wno-conversion -fPIC -fvisibility=hidden -shared \
	  -o $(PY_DIR)/_sheaf"$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')" \
	  $(PY_SRC) $(STATIC_LIB) $(LDLIBS_LIB)
