# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/fuzz.mk - libFuzzer targets. The top Makefile includes this file;
# it also works alone: make -f tests/fuzz/fuzz.mk fuzz-dump-reader
#
#   make fuzz-dump-reader FUZZ_SECONDS=10    build, then fuzz for N seconds
# Needs clang with libFuzzer (Debian: clang + libclang-rt-14-dev, which the
# clang-14 package pulls in). New inputs go to $(BUILD)/fuzz/corpus-*, the
# committed seeds in tests/fuzz/*/corpus are only read.

BUILD        ?= build
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 10
FUZZ_CFLAGS  ?= -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

FUZZ_DUMP_SRCS := user/dump_read.c user/dump.c user/fields.c user/record.c \
		  user/json.c user/log.c

.PHONY: fuzz-dump-reader

$(BUILD)/fuzz/fuzz_dump_reader: tests/fuzz/dump_reader/fuzz_dump_reader.c $(FUZZ_DUMP_SRCS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $^ -lz -o $@

fuzz-dump-reader: $(BUILD)/fuzz/fuzz_dump_reader
	@mkdir -p $(BUILD)/fuzz/corpus-dump-reader
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=32768 -timeout=10 -print_final_stats=1 \
		$(BUILD)/fuzz/corpus-dump-reader tests/fuzz/dump_reader/corpus
