# NEON int8 kernels on an x86 machine: cross-build the bit-exactness test for AArch64 with
# Debian's aarch64-linux-gnu-gcc and run it under qemu-aarch64 (user mode). The Makefile includes
# this fragment; it also works alone: make -f kernels/neon/neon.mk neon-test
#
#   neon-test-build   builds $(NEON_TEST_BIN) (static, so qemu needs no AArch64 sysroot)
#   neon-test-path    prints $(NEON_TEST_BIN)
#   neon-test         runs it twice: -cpu max (dotprod: the sdot micro-kernel) and
#                     -cpu cortex-a53 (Armv8.0: the vmlal micro-kernel)
#
# Emulation checks results only; timings under qemu mean nothing. The objects are the same C
# files a native AArch64 build compiles (kernels/neon/*.c need no extra flags: the dotprod code
# carries its own target attribute and runs only after a HWCAP check).

NEON_CC       ?= aarch64-linux-gnu-gcc
NEON_QEMU     ?= qemu-aarch64
NEON_BUILD    := build/aarch64
NEON_CFLAGS   := -std=c11 -O2 -Wall -Wextra -Werror -ffp-contract=off
NEON_CPPFLAGS := -Itests -Ikernels -Iharness -Iinclude -D_GNU_SOURCE -MMD -MP
NEON_LDFLAGS  := -static

# The bit-exactness test over every kernel set of the registry (scalar is its reference).
NEON_TEST_SRC := $(wildcard tests/test_q8_bitexact.c)
NEON_TEST_BIN := $(NEON_BUILD)/tests/test_q8_bitexact
# tests/support's ONNX model builder needs protobuf-c and the harness: not part of this test.
NEON_LIB_SRC  := kernels/kernels.c $(sort $(wildcard kernels/scalar/*.c)) \
                 $(sort $(wildcard kernels/neon/*.c)) \
                 $(filter-out tests/support/onnx_builder.c,$(sort $(wildcard tests/support/*.c)))
NEON_OBJ      := $(patsubst %.c,$(NEON_BUILD)/obj/%.o,$(NEON_LIB_SRC) $(NEON_TEST_SRC))

# Included anywhere in the Makefile, this fragment must not become its default goal.
NEON_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: neon-test neon-test-build neon-test-path
neon-test-path:
	@echo $(NEON_TEST_BIN)

ifeq ($(NEON_TEST_SRC),)
neon-test-build neon-test:
	@echo "neon.mk: no tests/test_q8_bitexact.c to build" >&2
	@exit 1
else
neon-test-build: $(NEON_TEST_BIN)

neon-test: $(NEON_TEST_BIN)
	$(NEON_QEMU) -cpu max $(NEON_TEST_BIN)
	$(NEON_QEMU) -cpu cortex-a53 $(NEON_TEST_BIN)

$(NEON_OBJ): $(NEON_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(NEON_CC) $(NEON_CPPFLAGS) $(NEON_CFLAGS) -c $< -o $@

$(NEON_TEST_BIN): $(NEON_OBJ)
	@mkdir -p $(dir $@)
	$(NEON_CC) $(NEON_CFLAGS) $(NEON_LDFLAGS) $^ -lm -o $@

endif

-include $(NEON_OBJ:.o=.d)
.DEFAULT_GOAL := $(NEON_SAVED_GOAL)
