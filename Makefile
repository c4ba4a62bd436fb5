# qx-bench: one build for the program, kernel sets, plugins and tests.
#
#   make run     install missing Debian packages, build, run the default suite
#   make test    install missing Debian packages, run every test (plain and ASan+UBSan builds)
#   make bench   kernel and whole-model benchmarks (not a test)
#   make install PREFIX=/usr/local   qx-bench, its plugins, qx-nightly; SDK headers + qx.pc
#
# Everything lands under $(BUILD) (build/ by default; the sanitizer build uses build/asan).

BUILD    ?= build
PREFIX   ?= /usr/local
SAN      ?=
VERSION  := 0.1.0
GIT_REV  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# gcc unless the command line or the environment names another compiler (make CC=clang):
# make's built-in default "cc" counts as not named.
ifeq ($(origin CC),default)
  CC     := gcc
endif
ifeq ($(origin CXX),default)
  CXX    := g++
endif
PKGS     := yaml-0.1 hwloc libprotobuf-c zlib jansson gsl libcrypto
ONNX_PROTO_DIR := /usr/include

# -std=c11 (not gnu11) also turns floating-point contraction off, which the int8 requantization
# relies on for bit-identical results across kernel sets; -ffp-contract=off says so explicitly.
CSTD     := -std=c11
WARN     := -Wall -Wextra -Werror
ifneq ($(SAN),)
  OPT    := -O1 -g
else
  OPT    ?= -O2 -g
endif
CPPFLAGS := -Iinclude -Iharness -Ikernels -Itests -I$(BUILD)/gen -D_GNU_SOURCE -DQX_VERSION='"$(VERSION)"' \
            -DQX_PLUGIN_DIR_DEFAULT='"$(abspath $(BUILD))/plugins"' -MMD -MP
CFLAGS   := $(CSTD) $(WARN) $(OPT) -ffp-contract=off -fPIC $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CXXFLAGS := -std=c++17 $(WARN) $(OPT) -fPIC $(shell pkg-config --cflags benchmark 2>/dev/null)
# libqx holds one C++ object (the Google Benchmark shim), so programs link with the C++ driver:
# under clang's UBSan only clang++ brings the C++ part of the runtime (the shim's vptr checks).
LINK     = $(CXX)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(shell pkg-config --libs benchmark 2>/dev/null) \
            -lstdc++ -lm -ldl -lpthread

# SAN=1: ASan+UBSan (build/asan); SAN=fuzz: the same plus libFuzzer's coverage, for the fuzz
# targets (clang only, build/fuzz); SAN=thread: ThreadSanitizer (build/tsan: the threaded code's tests).
ifeq ($(SAN),fuzz)
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SAN),thread)
  SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else ifneq ($(SAN),)
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifneq ($(SAN),)
  CFLAGS   += $(SANFLAGS)
  CXXFLAGS += $(SANFLAGS)
  LDFLAGS  += $(SANFLAGS)
endif

# Kernel sets: each folder is compiled with its own target flags; the program itself is built
# for baseline x86-64 and picks a set at run time after a CPU check (kernels/kernels.c).
FLAGS_avx2       := -mavx2 -mfma -mf16c
FLAGS_avx512vnni := -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
FLAGS_avxvnni    := -mavx2 -mfma -mavxvnni

GEN_C      := $(BUILD)/gen/onnx/onnx.pb-c.c
HARNESS_C  := $(filter-out harness/cli/main.c,$(shell find harness -name '*.c' | sort))
HARNESS_CC := $(shell find harness -name '*.cc' | sort)
# kernels/x86/: code the x86 sets share, compiled for the baseline (the int8 weight packer).
KERNEL_C   := $(wildcard kernels/*.c kernels/scalar/*.c kernels/x86/*.c)
AVX2_C     := $(wildcard kernels/avx2/*.c)
AVX512_C   := $(wildcard kernels/avx512vnni/*.c)
AVXVNNI_C  := $(wildcard kernels/avxvnni/*.c)
# On an AArch64 host the x86 sets are left out and the NEON set is built in (it needs no flags:
# its dot-product code carries a target attribute and runs only after a HWCAP check).
ifeq ($(shell uname -m),aarch64)
  AVX2_C    :=
  AVX512_C  :=
  AVXVNNI_C :=
  KERNEL_C  := $(filter-out kernels/x86/%,$(KERNEL_C)) $(wildcard kernels/neon/*.c)
endif
PLUGIN_C   := $(wildcard plugins/*.c)
TEST_C     := $(wildcard tests/*.c)
TEST_SUPPORT_C := $(wildcard tests/support/*.c)
TEST_SH    := $(wildcard tests/*.sh)
TEST_PLUGIN_C := $(wildcard tests/plugins/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ := $(call obj,$(HARNESS_C) $(KERNEL_C) $(AVX2_C) $(AVX512_C) $(AVXVNNI_C)) \
           $(patsubst %.cc,$(BUILD)/obj/%.o,$(HARNESS_CC)) $(BUILD)/obj/gen/onnx.pb-c.o
LIB      := $(BUILD)/libqx.a
PROGRAM  := $(BUILD)/qx-bench
PLUGINS  := $(patsubst plugins/%.c,$(BUILD)/plugins/%.so,$(PLUGIN_C))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_C)) \
            $(patsubst tests/plugins/%.c,$(BUILD)/tests/plugins/%.so,$(TEST_PLUGIN_C))
TEST_SUPPORT_OBJ := $(call obj,$(TEST_SUPPORT_C))
# Fuzz targets (tests/fuzz/fuzz_*.c): every build links each with a replay driver (make test runs
# the corpus through them); the clang fuzz build (make fuzz) links them with libFuzzer.
FUZZ_C       := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(FUZZ_C))
FUZZ_REPLAYS := $(patsubst %,$(BUILD)/tests/fuzz/%,$(FUZZ_NAMES))
TESTS        += $(FUZZ_REPLAYS)

.PHONY: all deps run test tests install clean aa-check
all: $(PROGRAM) $(PLUGINS)
tests: all $(TESTS)

deps:
	@tools/install-deps

run: deps
	@$(MAKE) --no-print-directory all
	./$(PROGRAM) suites/fashion-mnist.yaml

# Every test runs twice: once in the plain build, once under AddressSanitizer + UBSan.
# QX_SANITIZED tells the few long tests to use a subset of the 10,000 test images.
# Then the threaded code's tests under ThreadSanitizer, and (tests/fuzz_smoke.sh, in both passes)
# every fuzz target over its corpus, plus a short libFuzzer run in the clang fuzz build.
test: deps
	@$(MAKE) --no-print-directory tests BUILD=build
	@$(MAKE) --no-print-directory tests BUILD=build/asan SAN=1
	@$(MAKE) --no-print-directory fuzz-build
	QX_ROOT=$(CURDIR) QX_BUILD=$(CURDIR)/build QX_FUZZ_BUILD=$(CURDIR)/$(FUZZ_DIR) \
	  prove $(PROVE_FLAGS) $(patsubst tests/%.c,build/tests/%,$(TEST_C)) $(TEST_SH)
	TSAN_OPTIONS=halt_on_error=1 QX_ROOT=$(CURDIR) prove $(PROVE_FLAGS) build/tests/tsan/test_*
	QX_ROOT=$(CURDIR) QX_BUILD=$(CURDIR)/build/asan QX_SANITIZED=1 \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  prove $(PROVE_FLAGS) $(patsubst tests/%.c,build/asan/tests/%,$(TEST_C)) $(TEST_SH)

# 20 A/A comparisons and 5 deliberate 2x slowdowns of the default suite under a background load
# (tools/aa-check): about an hour on a busy 2-core machine, so not part of `make test`.
aa-check: deps
	@$(MAKE) --no-print-directory all
	QX_BUILD=$(CURDIR)/$(BUILD) tools/aa-check 20 5

$(GEN_C): $(ONNX_PROTO_DIR)/onnx/onnx.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -I$(ONNX_PROTO_DIR) $(ONNX_PROTO_DIR)/onnx/onnx.proto

# Generated code is not ours to warn about beyond what protoc-c emits cleanly.
$(BUILD)/obj/gen/onnx.pb-c.o: $(GEN_C)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) -fPIC $(SANFLAGS) -I$(BUILD)/gen $(shell pkg-config --cflags libprotobuf-c) -c $< -o $@

# Every object waits for the generated headers (order-only, below); the .d files -MMD writes
# then rebuild exactly the objects that include one when it changes (a new commit rewrites
# qx_git_rev.h, which results.c alone includes).
# The graph tests' model builder (tests/support) includes them too.
$(TEST_SUPPORT_OBJ): $(GEN_C)

# The git revision results.json records: rewritten only when it changes, so that objects that
# include it are rebuilt exactly then.
$(BUILD)/gen/qx_git_rev.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define QX_GIT_REV "$(GIT_REV)"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
.PHONY: FORCE
FORCE:

# Any object may include the generated headers (main.c, the tests, the fuzz targets): they are
# made first (order-only; the .d files then rebuild what includes them when they change).
$(BUILD)/obj/%.o: %.c | $(GEN_C) $(BUILD)/gen/qx_git_rev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cc | $(GEN_C) $(BUILD)/gen/qx_git_rev.h
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# The fuzz build leaves the SIMD kernel sets uninstrumented: no reader reaches them (constant
# folding runs the scalar ones), and instrumenting their intrinsics takes most of the build.
ifeq ($(SAN),fuzz)
$(call obj,$(AVX2_C) $(AVX512_C) $(AVXVNNI_C)): CFLAGS := $(filter-out $(SANFLAGS),$(CFLAGS))
endif
$(call obj,$(AVX2_C)):    CFLAGS += $(FLAGS_avx2)
$(call obj,$(AVX512_C)):  CFLAGS += $(FLAGS_avx512vnni)
$(call obj,$(AVXVNNI_C)): CFLAGS += $(FLAGS_avxvnni)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# No -rdynamic: the plugin SDK (include/qx/) is header-only and reaches the host only through
# the pointers it is handed, so the program exports none of its functions to the plugins it
# dlopens (internal qx_* exports would become a hidden ABI). tests/exports.sh checks it.
$(PROGRAM): $(BUILD)/obj/harness/cli/main.o $(LIB)
	$(LINK) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Plugins see only the public SDK: include/qx. The code they share (plugins/common/*.c, every
# file there) is a static -fPIC archive linked into each, hidden inside it like the plugin's own
# code: a plugin exports only its entry point.
PLUGIN_CFLAGS := $(CSTD) $(WARN) $(OPT) -ffp-contract=off -fPIC -fvisibility=hidden $(SANFLAGS) -Iinclude
PLUGIN_COMMON_C   := $(wildcard plugins/common/*.c)
PLUGIN_COMMON_OBJ := $(call obj,$(PLUGIN_COMMON_C))
PLUGIN_COMMON     := $(BUILD)/plugins/libqxcommon.a
$(PLUGIN_COMMON_OBJ): $(BUILD)/obj/%.o: %.c $(wildcard include/qx/*.h) $(wildcard plugins/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -c $< -o $@
$(PLUGIN_COMMON): $(PLUGIN_COMMON_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/plugins/%.so: plugins/%.c $(PLUGIN_COMMON) $(wildcard include/qx/*.h) $(wildcard plugins/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -shared $< $(PLUGIN_COMMON) -o $@ -lm

# onnx-qdq reads ONNX itself (a plugin sees only the SDK): its files in plugins/onnx-qdq/ and its
# own copy of the generated protobuf-c code, all hidden in the .so, with libprotobuf-c.
QDQ_C := $(wildcard plugins/onnx-qdq/*.c)
$(BUILD)/plugins/onnx-qdq.so: plugins/onnx-qdq.c $(QDQ_C) $(wildcard plugins/onnx-qdq/*.h) $(GEN_C) $(wildcard include/qx/*.h)
	@mkdir -p $(dir $@) $(BUILD)/obj/gen
	$(CC) $(CSTD) $(OPT) -fPIC -fvisibility=hidden $(SANFLAGS) -I$(BUILD)/gen $(shell pkg-config --cflags libprotobuf-c) -c $(GEN_C) -o $(BUILD)/obj/gen/onnx.pb-c.plugin.o
	$(CC) $(PLUGIN_CFLAGS) -shared -I$(BUILD)/gen $(shell pkg-config --cflags libprotobuf-c) $< $(QDQ_C) $(BUILD)/obj/gen/onnx.pb-c.plugin.o -o $@ $(shell pkg-config --libs libprotobuf-c) -lm

# Deliberately faulty plugins for the plugin-host tests: built like real ones, from include/qx only.
$(BUILD)/tests/plugins/%.so: tests/plugins/%.c $(PLUGIN_COMMON) $(wildcard include/qx/*.h) $(wildcard tests/plugins/*.h) $(wildcard plugins/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -fPIC -shared -fvisibility=hidden $(SANFLAGS) -Iinclude $< $(PLUGIN_COMMON) -o $@ -lm

$(FUZZ_REPLAYS): $(BUILD)/tests/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o \
                 $(call obj,tests/fuzz/replay.c tests/fuzz/memfile.c) $(LIB)
	@mkdir -p $(dir $@)
	$(LINK) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(LINK) $(LDFLAGS) -rdynamic $^ $(LDLIBS) -o $@

# ---- ThreadSanitizer runs of the threaded code -------------------------------------------------
# The plain build also makes build/tests/tsan/<test>: the code that starts threads and its test
# instrumented with -fsanitize=thread, the rest of libqx as is (each thread's executor is its
# own). make test runs them: the lock-free pool, and the passes over the images that
# util/batch_pass.c spreads over threads (evaluation, bit-identity, trust, per-layer error).
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
TSAN_PASS := harness/util/batch_pass.c tests/support/tap.c
TSAN_SRC_test_pool          := harness/exec/pool.c tests/test_pool.c tests/support/tap.c
TSAN_SRC_test_eval_parallel := harness/measure/eval.c tests/test_eval_parallel.c $(TSAN_PASS)
TSAN_SRC_test_bitexact_sets := harness/exec/bitexact.c tests/test_bitexact_sets.c \
                               $(TSAN_PASS) tests/support/test_plan.c
TSAN_SRC_test_trust         := harness/verify/trust.c tests/test_trust.c $(TSAN_PASS) \
                               tests/support/test_plan.c
TSAN_SRC_test_layer_error   := harness/investigate/layer_error.c tests/test_layer_error.c \
                               $(TSAN_PASS) tests/support/test_plan.c
TSAN_TESTS := $(patsubst %,$(BUILD)/tests/tsan/%,test_pool test_eval_parallel test_bitexact_sets \
                                                 test_trust test_layer_error)
$(BUILD)/obj/tsan/%.o: %.c | $(GEN_C) $(BUILD)/gen/qx_git_rev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(TSAN_FLAGS) -c $< -o $@
tsan_objs = $(patsubst %.c,$(BUILD)/obj/tsan/%.o,$(TSAN_SRC_$(1)))
.SECONDEXPANSION:
$(TSAN_TESTS): $(BUILD)/tests/tsan/%: $$(call tsan_objs,$$*) $(LIB)
	@mkdir -p $(dir $@)
	$(LINK) $(LDFLAGS) $(TSAN_FLAGS) $^ $(LDLIBS) -o $@
ifeq ($(SAN),)
tests: $(TSAN_TESTS)
endif

# ---- Fuzzing (docs/fuzzing.md) ----------------------------------------------------------------
# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="fuzz_onnx ..."]: builds the harness with clang,
# ASan, UBSan and libFuzzer's coverage in build/fuzz and runs each target N seconds (nice 19) on
# a working corpus in build/fuzz/corpus/<target> started from the committed seeds
# (tests/fuzz/corpus/<target>) and regression inputs (tests/fuzz/regress/<target>).
# FUZZ_RUNS=N also stops each after N executions. A crash stops the run and leaves its input
# in build/fuzz/crashes/.
FUZZ_CC      ?= clang-14
FUZZ_CXX     ?= clang++-14
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= -1
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_DIR     := build/fuzz
.PHONY: fuzz fuzz-build
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR) SAN=fuzz CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) \
	  $(patsubst %,$(FUZZ_DIR)/%,$(FUZZ_NAMES))
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  nice -n 19 $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) \
	    -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$t- -print_final_stats=1 \
	    $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t \
	    $$([ -d tests/fuzz/regress/$$t ] && echo tests/fuzz/regress/$$t); \
	done
ifeq ($(SAN),fuzz)
$(patsubst %,$(BUILD)/%,$(FUZZ_NAMES)): $(BUILD)/%: $(BUILD)/obj/tests/fuzz/%.o \
                                         $(call obj,tests/fuzz/memfile.c) $(LIB)
	$(LINK) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@
endif

# The program with its plugins (found from the installed binary: <prefix>/lib/qx-bench/plugins),
# tools/qx-nightly, and the SDK for plugin authors.
install: all $(wildcard include/qx/*.h)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/qx-bench/plugins
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/qx-bench
	install -m 755 tools/qx-nightly $(DESTDIR)$(PREFIX)/bin/qx-nightly
	install -m 644 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/qx-bench/plugins/
	install -d $(DESTDIR)$(PREFIX)/include/qx $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/qx/*.h $(DESTDIR)$(PREFIX)/include/qx/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' tools/qx.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/qx.pc

clean:
	rm -rf build

# make bench: kernel and whole-model benchmarks beside PyTorch (docs/benchmarks.md).
include bench/bench.mk

# NEON: cross-built for AArch64 and run bit-exactly under qemu-aarch64 (tests/neon_bitexact.sh).
include kernels/neon/neon.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
