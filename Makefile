# sheaf: `make help` lists the targets.

VERSION      := 0.3.0
SOVERSION    := 1
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
DESTDIR      ?=

CC           ?= cc
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

.PHONY: all lib test check demo bench install uninstall asan ubsan tsan fuzz help deps clean golden mpi
.DEFAULT_GOAL := all

all: $(STATIC_LIB) $(SHARED_LIB) $(CLI) $(STREAM) $(BENCH)

lib: $(STATIC_LIB) $(SHARED_LIB)

help:
	@echo "make          build build/libsheaf.a, build/libsheaf.so and build/sheaf"
	@echo "make demo     install missing packages, build, cluster the sample corpus"
	@echo "make test     install missing packages, build, run every test"
	@echo "make bench    build and run the benchmark harness (BENCH_ARGS=\"FILE\")"
	@echo "make eval     story mode on ../shared: Multi-News scores, the seeds alone and mixed in"
	@echo "make asan     rebuild in build-asan/ and run the tests under AddressSanitizer"
	@echo "make ubsan    rebuild in build-ubsan/ and run the tests under UBSan"
	@echo "make tsan     the concurrency stress test under ThreadSanitizer"
	@echo "make fuzz     run each libFuzzer target (tests/fuzz_*.c) for FUZZ_SECONDS=$(FUZZ_SECONDS)"
	@echo "make deps     install missing Debian packages (apt-get; sudo when not root)"
	@echo "make mpi      build build/sheaf-mpi, the clusterer spread over MPI ranks (Open MPI)"
	@echo "make install  install library, header, sheaf.pc and sheaf under PREFIX=$(PREFIX)"
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
BENCH_SRC    := bench/bench.c bench/corpus.c bench/gen.c bench/accuracy.c bench/e2e.c bench/replay.c
$(BENCH): $(BENCH_SRC) bench/bench.h $(BUILD)/obj/cli/jsonl.o $(STATIC_LIB)
	$(CC) $(CPPFLAGS) -Iexamples/cluster $(ALL_CFLAGS) -DSHEAF_BENCH_CFLAGS='"$(strip $(ALL_CFLAGS))"' \
	  -o $@ $(BENCH_SRC) $(BUILD)/obj/cli/jsonl.o $(STATIC_LIB) $(LDLIBS_CLI)

# Extra link flags of one suite, TEST_LDFLAGS_<name>. test_index wraps the
# allocator of everything linked statically to inject allocation failures.
TEST_LDFLAGS_test_index := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

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
test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@if command -v $(MPICC) >/dev/null 2>&1; then $(MAKE) --no-print-directory $(MPI); fi
	@status=0; \
	for t in $(TEST_BIN); do echo "== $$t"; SHEAF_BUILD=$(BUILD) ./$$t || status=1; done; \
	echo "== $(BUILD)/tests/test_reader, SHEAF_SIMD=scalar (the parser's SSE2 scanner)"; \
	SHEAF_SIMD=scalar ./$(BUILD)/tests/test_reader || status=1; \
	for t in $(TEST_SH); do echo "== $$t"; SHEAF_BUILD=$(BUILD) SHEAF_SANITIZE="$(SANITIZE)" sh $$t || status=1; done; \
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
# clusterer's sources (all but its main.c), built by clang.
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
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus/$$n tests/fuzz-seeds/$$n || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@$(CLI) cluster --quiet --format groups examples/demo/articles.jsonl

bench: deps
	@$(MAKE) --no-print-directory $(BENCH) $(CLI)
	@$(BENCH) $(BENCH_ARGS)
	@echo
	@sh bench/cli.sh $(BUILD)

$(BUILD)/sheaf.pc: Makefile
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: sheaf' 'Description: group news articles that tell the same story' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lsheaf' 'Libs.private: -llmdb -lpthread -lm' \
	  'Cflags: -I$${includedir}' > $@

install: all $(BUILD)/sheaf.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/sheaf.h $(DESTDIR)$(INCLUDEDIR)/sheaf.h
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/libsheaf.a
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libsheaf.so.$(VERSION)
	ln -sf libsheaf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsheaf.so.$(SOVERSION)
	ln -sf libsheaf.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libsheaf.so
	install -m 644 $(BUILD)/sheaf.pc $(DESTDIR)$(LIBDIR)/pkgconfig/sheaf.pc
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/sheaf

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/sheaf.h $(DESTDIR)$(LIBDIR)/libsheaf.a \
	  $(DESTDIR)$(LIBDIR)/libsheaf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsheaf.so.$(SOVERSION) \
	  $(DESTDIR)$(LIBDIR)/libsheaf.so $(DESTDIR)$(LIBDIR)/pkgconfig/sheaf.pc $(DESTDIR)$(BINDIR)/sheaf

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
