# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/fuzz.mk - libFuzzer targets, one per byte boundary (see
# tests/fuzz/README.md). The top Makefile includes this file; it also works
# alone: make -f tests/fuzz/fuzz.mk fuzz-cond
#
#   make fuzz-<target> FUZZ_SECONDS=10    build, then fuzz for N seconds
# Needs clang with libFuzzer (Debian: clang + libclang-rt-14-dev, which the
# clang-14 package pulls in). New inputs go to $(BUILD)/fuzz/corpus-<target>,
# the committed seeds in tests/fuzz/<dir>/corpus are only read.
#
# The agent's modules are compiled once with -fsanitize=fuzzer-no-link into
# $(BUILD)/fuzz/libcredwatch-fuzz.a; each harness links only what it uses.
# sensor*.c (the BPF skeleton) is left out: no harness reaches it.

BUILD        ?= build
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 10
FUZZ_VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  ?= -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror \
		-Wno-format-truncation -Wno-unknown-warning-option $(FUZZ_SAN) \
		-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
		-DCW_VERSION='"$(FUZZ_VERSION)"' -DCW_RULES_DIR='"/etc/credwatch/rules"'
FUZZ_LIBS    := $(shell pkg-config --libs libbpf libelf zlib libcjson libcurl yaml-0.1 \
		libmicrohttpd 2>/dev/null) -lpthread -lm
# Every target, the one list: `make fuzz` runs them all, `make fuzz-list`
# prints them (tests/integration/test_fuzz_smoke.sh reads it). A new target
# is a directory tests/fuzz/<name_with_underscores>/ plus its name here and
# a FUZZ_MAXLEN_ line below.
FUZZ_ALL     := dump-reader rules-load cond cgroup-path k8s-json spool-reader \
		json-writer ndjson config-load mountinfo redact catalog-load
FUZZ_TARGETS := $(addprefix fuzz-,$(FUZZ_ALL))

FUZZ_LIB_SRCS := $(filter-out user/main.c $(wildcard user/sensor*.c),$(wildcard user/*.c user/discovery/*.c))
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRCS))

# Per target: longest input, in bytes (the parsers' realistic sizes).
FUZZ_MAXLEN_dump-reader  := 32768
FUZZ_MAXLEN_rules-load   := 16384
FUZZ_MAXLEN_cond         := 4096
FUZZ_MAXLEN_cgroup-path  := 4096
FUZZ_MAXLEN_k8s-json     := 32768
FUZZ_MAXLEN_spool-reader := 16384
FUZZ_MAXLEN_json-writer  := 8192
FUZZ_MAXLEN_ndjson       := 16384
FUZZ_MAXLEN_config-load  := 8192
FUZZ_MAXLEN_mountinfo    := 16384
FUZZ_MAXLEN_redact       := 4096
FUZZ_MAXLEN_catalog-load := 16384

.PHONY: $(FUZZ_TARGETS) fuzz-build fuzz-list

fuzz-list:
	@echo $(FUZZ_TARGETS)

# -MMD: an object is rebuilt when a header it includes changes (a stale one
# built against an older struct cw_record overflowed it in record_reset)
$(BUILD)/fuzz/obj/%.o: user/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c $< -o $@

-include $(FUZZ_LIB_OBJS:.o=.d)

$(BUILD)/fuzz/libcredwatch-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@ && ar rcs $@ $^

# fuzz-spool-reader: tests/fuzz/spool_reader/fuzz_spool_reader.c -> build/fuzz/fuzz_spool_reader
fuzz_dir = $(subst -,_,$(1))

define FUZZ_BUILD_RULE
$(BUILD)/fuzz/fuzz_$(call fuzz_dir,$(1)): tests/fuzz/$(call fuzz_dir,$(1))/fuzz_$(call fuzz_dir,$(1)).c \
		tests/fuzz/fuzz_common.h $(BUILD)/fuzz/libcredwatch-fuzz.a
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer $$(filter %.c %.a,$$^) $$(FUZZ_LIBS) -o $$@
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_BUILD_RULE,$(t))))

fuzz-build: $(foreach t,$(FUZZ_ALL),$(BUILD)/fuzz/fuzz_$(call fuzz_dir,$(t)))

# Leaks fail a run (detect_leaks is libFuzzer's default under ASan; said
# here so a caller's ASAN_OPTIONS cannot turn it off by accident). A harness
# that needs files (catalog-load's host tree) makes them under TMPDIR, a
# directory of the build emptied before each run: libFuzzer exits without
# running exit handlers, so nothing could remove them from /tmp.
define FUZZ_RUN_RULE
fuzz-$(1): $(BUILD)/fuzz/fuzz_$(subst -,_,$(1))
	@mkdir -p $(BUILD)/fuzz/corpus-$(1)
	@rm -rf $(BUILD)/fuzz/tmp-$(1) && mkdir -p $(BUILD)/fuzz/tmp-$(1)
	TMPDIR=$(abspath $(BUILD)/fuzz/tmp-$(1)) \
	ASAN_OPTIONS=$$$${ASAN_OPTIONS:+$$$$ASAN_OPTIONS:}detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$$< -max_total_time=$$(FUZZ_SECONDS) -max_len=$(FUZZ_MAXLEN_$(1)) -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/corpus-$(1) tests/fuzz/$(subst -,_,$(1))/corpus
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_RUN_RULE,$(t))))
