# make bench: kernel and whole-model benchmarks, qx-bench against PyTorch, ONNX Runtime (ORT)
# and oneDNN where libdnnl-dev is installed; then one summary with a verdict per target (issue
# 14). A benchmark, not a test: it prints numbers and fails only when a step cannot run.
# Included by the Makefile after its variables (it uses BUILD, CC, CFLAGS, LDLIBS, LIB,
# PROGRAM); docs/benchmarks.md says what every number means.
#
#   make bench                     everything, results and the summary under $(BUILD)/bench/
#   make bench BENCH_SECONDS=0.3   longer kernel measurements (default 0.1 s each)
#   make bench BENCH_CPU=1         run pinned to another CPU (default 0, where qx-bench pins)
#   make bench BENCH_ZOO=resnet18  the model zoo step on these models only (default: every
#                                  suites/zoo/*.yaml; BENCH_ZOO= skips the step)
#   make bench-zoo                 the model zoo step alone, with its own table and target rows
#   make bench BENCH_ORT_SECONDS=2 longer ORT timing (default 1 s per model and batch size)

BENCH_OUT     := $(BUILD)/bench
BENCH_PYTHON  ?= /usr/bin/python3
BENCH_CPU     ?= 0
BENCH_SECONDS ?= 0.1
BENCH_PT_SECONDS ?= 1
BENCH_PLUGIN  := static-per-channel
BENCH_SUITE   := suites/fashion-mnist.yaml
BENCH_MODEL   := models/fashion_cnn.onnx
BENCH_ORT_SECONDS ?= 1
# tools/bench_ort.sh's settings: the CPU qx-bench's and PyTorch's thread is pinned to, seconds.
BENCH_ORT_ENV := BENCH_CPU=$(BENCH_CPU) BENCH_ORT_SECONDS=$(BENCH_ORT_SECONDS)
BENCH_ZOO     ?= $(sort $(basename $(notdir $(wildcard suites/zoo/*.yaml))))
BENCH_TASKSET := $(if $(shell command -v taskset 2>/dev/null),taskset -c $(BENCH_CPU))
BENCH_F32_C   := $(wildcard bench/f32_bench.c)
# oneDNN's C API header: Debian's libdnnl-dev puts it in both places (2.x); either will do.
BENCH_DNNL_H  := $(firstword $(wildcard /usr/include/oneapi/dnnl/dnnl.h /usr/include/dnnl.h))
BENCH_PROGRAMS := $(BUILD)/q8_bench $(if $(BENCH_F32_C),$(BUILD)/f32_bench) \
                  $(if $(BENCH_DNNL_H),$(BUILD)/onednn_conv)

# $(call bench_step,OUTPUT-FILE,COMMAND): runs COMMAND, shows its output and keeps it in
# OUTPUT-FILE; fails when COMMAND does (POSIX sh has no pipefail, hence the status file).
define bench_step
	@echo '$$ $(strip $(2))'
	@{ $(2); echo $$? > $(1).rc; } | tee $(1); \
	  rc=$$(cat $(1).rc); rm -f $(1).rc; [ "$$rc" -eq 0 ] || { echo "bench: '$(strip $(2))' exited $$rc" >&2; exit 1; }
endef

.PHONY: bench bench-run bench-zoo
# PyTorch, onnxruntime-node and oneDNN are what the figures are compared with: install them first
# (a second make so that a freshly installed oneDNN header is seen), then run.
bench:
	@tools/install-deps --bench
	@$(MAKE) --no-print-directory bench-run

bench-run: all $(BENCH_PROGRAMS)
	@mkdir -p $(BENCH_OUT)
	@echo "== int8 kernels per layer (q8_bench, $(BENCH_SECONDS) s per measurement)"
	$(call bench_step,$(BENCH_OUT)/q8_bench.txt,$(BENCH_TASKSET) $(BUILD)/q8_bench $(BENCH_SECONDS))
	@echo
ifneq ($(BENCH_F32_C),)
	@echo "== fp32 kernels per layer (f32_bench)"
	$(call bench_step,$(BENCH_OUT)/f32_bench.txt,$(BENCH_TASKSET) $(BUILD)/f32_bench $(BENCH_SECONDS))
else
	@rm -f $(BENCH_OUT)/f32_bench.txt
	@echo "== fp32 kernels per layer: skipped (no bench/f32_bench.c)"
endif
	@echo
ifneq ($(BENCH_DNNL_H),)
	@echo "== oneDNN int8 convolution per layer (onednn_conv, $(BENCH_DNNL_H))"
	$(call bench_step,$(BENCH_OUT)/onednn_conv.txt,OMP_NUM_THREADS=1 $(BENCH_TASKSET) $(BUILD)/onednn_conv $(BENCH_SECONDS))
else
	@echo "onednn_conv: skipped (libdnnl-dev is not installed: no /usr/include/oneapi/dnnl/dnnl.h or /usr/include/dnnl.h; apt-get install libdnnl-dev to compare with oneDNN)" \
	  | tee $(BENCH_OUT)/onednn_conv.txt
endif
	@echo
	@echo "== whole model: qx-bench, $(BENCH_PLUGIN) on every kernel set and fp32, one thread"
	@rm -rf $(BENCH_OUT)/qx
	@echo '$$ $(PROGRAM) --plugins $(BENCH_PLUGIN) --kernels all --threads 1 --batch 1,64 --limit 512 -o $(BENCH_OUT)/qx --quiet $(BENCH_SUITE)'
	@rc=0; $(PROGRAM) --plugins $(BENCH_PLUGIN) --kernels all --threads 1 --batch 1,64 --limit 512 \
	  -o $(BENCH_OUT)/qx --quiet $(BENCH_SUITE) || rc=$$?; \
	  [ $$rc -le 1 ] || { echo "bench: qx-bench exited $$rc" >&2; exit 1; }; \
	  [ $$rc -eq 0 ] || echo "bench: qx-bench exited 1 (a kernel set failed: its row says why); going on"
	@echo
	@echo "== whole model: ONNX Runtime, the suite's fp32 model and qx-bench's $(BENCH_PLUGIN) plan exported as QDQ"
	$(call bench_step,$(BENCH_OUT)/ort.txt,$(BENCH_ORT_ENV) tools/bench_ort.sh $(PROGRAM) $$(dirname $(BENCH_OUT)/qx/*/*/results.json) $(BENCH_PLUGIN) $(BENCH_MODEL) $(BENCH_OUT)/ort)
	@echo
	@echo "== whole model: PyTorch $(BENCH_PLUGIN) int8 (onednn) and fp32, one thread"
	$(call bench_step,$(BENCH_OUT)/pytorch.txt,$(BENCH_PYTHON) tools/bench_pytorch.py --threads 1 --cpu $(BENCH_CPU) --seconds $(BENCH_PT_SECONDS) -o $(BENCH_OUT)/pytorch.json)
	@echo
	@echo "== thread scaling: $(BENCH_PLUGIN) on the fastest kernel set, batch 64, 1 and 2 threads (pinned)"
	@rm -rf $(BENCH_OUT)/scaling
	@echo '$$ $(PROGRAM) --plugins $(BENCH_PLUGIN) --kernels auto --threads 1,2 --batch 64 --limit 512 -o $(BENCH_OUT)/scaling --quiet $(BENCH_SUITE)'
	@rc=0; $(PROGRAM) --plugins $(BENCH_PLUGIN) --kernels auto --threads 1,2 --batch 64 --limit 512 \
	  -o $(BENCH_OUT)/scaling --quiet $(BENCH_SUITE) > $(BENCH_OUT)/scaling-run.txt || rc=$$?; \
	  [ $$rc -le 1 ] || { echo "bench: qx-bench exited $$rc" >&2; exit 1; }
	$(call bench_step,$(BENCH_OUT)/scaling.txt,$(BENCH_PYTHON) tools/bench_scaling.py $(BENCH_OUT)/scaling)
	@echo
	@echo "== the default suite as make run runs it (every plugin and kernel set): wall time"
	@rm -rf $(BENCH_OUT)/suite
	$(call bench_step,$(BENCH_OUT)/suite-time.txt,$(BENCH_PYTHON) tools/bench_wall.py -o $(BENCH_OUT)/suite-time.json --log $(BENCH_OUT)/suite-run.txt -- $(PROGRAM) -o $(BENCH_OUT)/suite --quiet $(BENCH_SUITE) || [ $$? -le 1 ])
ifneq ($(strip $(BENCH_ZOO)),)
	@echo
	@$(MAKE) --no-print-directory bench-zoo BENCH_ZOO_TABLE=no
endif
	@echo
	@echo "== summary"
	$(call bench_step,$(BENCH_OUT)/summary.txt,$(BENCH_PYTHON) tools/bench_summary.py --qx-results $(BENCH_OUT)/qx --pytorch $(BENCH_OUT)/pytorch.json --ort $(BENCH_OUT)/ort --q8 $(BENCH_OUT)/q8_bench.txt --f32 $(BENCH_OUT)/f32_bench.txt --onednn $(BENCH_OUT)/onednn_conv.txt --scaling $(BENCH_OUT)/scaling --suite-time $(BENCH_OUT)/suite-time.json $(if $(strip $(BENCH_ZOO)),--zoo $(BENCH_OUT)/zoo) --plugin $(BENCH_PLUGIN) --json $(BENCH_OUT)/summary.json)

# The kernel benchmarks: one .c each, linked with the library like the tests.
$(BUILD)/q8_bench $(BUILD)/f32_bench: $(BUILD)/%: $(BUILD)/obj/bench/%.o $(LIB)
	$(LINK) $(LDFLAGS) $^ $(LDLIBS) -o $@

# oneDNN's comparison needs nothing of qx-bench; OpenMP because Debian's libdnnl uses it
# (the program limits it to one thread).
$(BUILD)/onednn_conv: bench/onednn_conv.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -fopenmp $< -ldnnl -o $@

# The model zoo (docs/model-zoo.md): per model, qx-bench's $(BENCH_PLUGIN) int8 model and fp32
# on the fastest kernel set (one thread, batch 1 and 64; and two threads), ORT's fp32 (the
# suite's model) and int8 (that plan exported as QDQ) and PyTorch's int8 (onednn) and fp32;
# then one table. Results under $(BENCH_OUT)/zoo/<model>/.
bench-zoo: all
	@echo "== model zoo: qx-bench $(BENCH_PLUGIN) int8 and fp32 beside ORT's and PyTorch's: $(BENCH_ZOO)"
	@rm -rf $(BENCH_OUT)/zoo
	@set -e; for m in $(BENCH_ZOO); do \
	  mkdir -p $(BENCH_OUT)/zoo/$$m; \
	  echo "\$$ $(PROGRAM) suites/zoo/$$m.yaml --plugins $(BENCH_PLUGIN) --kernels auto --threads 1,2 --batch 1,64 --limit 512 -o $(BENCH_OUT)/zoo/$$m/qx --quiet"; \
	  rc=0; $(PROGRAM) suites/zoo/$$m.yaml --plugins $(BENCH_PLUGIN) --kernels auto --threads 1,2 --batch 1,64 \
	    --limit 512 -o $(BENCH_OUT)/zoo/$$m/qx --quiet > $(BENCH_OUT)/zoo/$$m/qx.txt 2>&1 || rc=$$?; \
	  [ $$rc -le 1 ] || { cat $(BENCH_OUT)/zoo/$$m/qx.txt; echo "bench: qx-bench exited $$rc on $$m" >&2; exit 1; }; \
	  $(BENCH_ORT_ENV) tools/bench_ort.sh $(PROGRAM) $$(dirname $(BENCH_OUT)/zoo/$$m/qx/*/*/results.json) \
	    $(BENCH_PLUGIN) models/zoo/$$m.onnx $(BENCH_OUT)/zoo/$$m/ort $(BENCH_OUT)/ort/images > $(BENCH_OUT)/zoo/$$m/ort.txt 2>&1 \
	    || { cat $(BENCH_OUT)/zoo/$$m/ort.txt; echo "bench: tools/bench_ort.sh failed on $$m" >&2; exit 1; }; \
	  grep -e '^\$$' -e '^bench_ort.sh:' $(BENCH_OUT)/zoo/$$m/ort.txt; \
	  echo "\$$ $(BENCH_PYTHON) tools/bench_pytorch.py --zoo $$m --threads 1 --cpu $(BENCH_CPU) --seconds $(BENCH_PT_SECONDS) -o $(BENCH_OUT)/zoo/$$m/pytorch.json"; \
	  $(BENCH_PYTHON) tools/bench_pytorch.py --zoo $$m --threads 1 --cpu $(BENCH_CPU) --seconds $(BENCH_PT_SECONDS) \
	    -o $(BENCH_OUT)/zoo/$$m/pytorch.json > $(BENCH_OUT)/zoo/$$m/pytorch.txt 2>&1 \
	    || { cat $(BENCH_OUT)/zoo/$$m/pytorch.txt; echo "bench: bench_pytorch.py --zoo $$m failed" >&2; exit 1; }; \
	done
ifneq ($(BENCH_ZOO_TABLE),no)
	$(call bench_step,$(BENCH_OUT)/zoo/summary.txt,$(BENCH_PYTHON) tools/bench_summary.py --zoo $(BENCH_OUT)/zoo --plugin $(BENCH_PLUGIN) --json $(BENCH_OUT)/zoo/summary.json)
endif
