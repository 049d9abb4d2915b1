# SPDX-License-Identifier: Apache-2.0
# credwatch build. Everything lands in build/. `make V=1` shows commands.
#
#   make deps        install build and test dependencies with apt (idempotent)
#   make             build the BPF object, skeleton, agent and tools
#   make run         deps + build + run the agent on this host (root)
#   make test        deps + build + every test (root); ends with "N passed, N failed"
#   make unit        unit tests only          make integration  integration tests only
#   make bench       benchmarks (build/bench/) make sanitize     tests under ASan+UBSan
#   make fuzz        fuzz targets              make lint         static checks
#   make install     install to $(DESTDIR)$(PREFIX)

BUILD      ?= build
PREFIX     ?= /usr/local
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
SANITIZER  ?=
ARCH       := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/; s/ppc64le/powerpc/; s/s390x/s390/')
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PKGS       := libbpf libelf zlib libcjson libcurl yaml-0.1 libmicrohttpd
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -MMD -MP -D_GNU_SOURCE \
	      -DCW_VERSION='"$(VERSION)"' -I$(BUILD) -I. $(PKG_CFLAGS)
LDLIBS     += $(PKG_LIBS) -lpthread -lm

ifneq ($(SANITIZER),)
CFLAGS     += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SANITIZER)
endif

# Debian's packages for building and testing; `make deps` installs the missing ones.
DEB_DEPS   := clang llvm make gcc pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
	      libcjson-dev libcurl4-openssl-dev libyaml-dev libmicrohttpd-dev \
	      libcmocka-dev liburing-dev openssl python3 util-linux iproute2 ca-certificates

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Default include dirs of clang, for BPF builds (as libbpf-bootstrap does).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

USER_SRCS  := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
ITEST_SRCS := $(wildcard tests/integration/*.c)
ITEST_BINS := $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(ITEST_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench-bin/%,$(BENCH_SRCS))
TOOLS      := $(BUILD)/credwatch-inspect
SKEL       := $(BUILD)/credwatch.skel.h

.PHONY: all deps run test unit integration bench bench-quick sanitize fuzz lint install clean
all: $(BUILD)/credwatch $(TOOLS) $(UNIT_BINS) $(ITEST_BINS) $(BENCH_BINS)

deps:
	@missing=""; for p in $(DEB_DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "deps: all installed"; fi

$(BUILD) $(BUILD)/obj $(BUILD)/tests $(BUILD)/itests $(BUILD)/bench-bin:
	$(Q)mkdir -p $@

$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/credwatch.tmp.bpf.o: bpf/credwatch.bpf.c bpf/credwatch.h $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -I. \
		$(CLANG_BPF_SYS_INCLUDES) -Wall -Werror -c $< -o $@

$(BUILD)/credwatch.bpf.o: $(BUILD)/credwatch.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(SKEL): $(BUILD)/credwatch.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name credwatch_bpf > $@

$(BUILD)/obj/%.o: user/%.c $(SKEL) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcredwatch.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/credwatch: $(BUILD)/obj/main.o $(BUILD)/libcredwatch.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/credwatch-inspect: tools/credwatch-inspect.c $(BUILD)/libcredwatch.a | $(BUILD)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcredwatch.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/itests/%: tests/integration/%.c | $(BUILD)/itests
	$(call msg,ITEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -luring -o $@

# Load generators for tests/bench/run.sh; libbpf for the ones reading maps.
$(BUILD)/bench-bin/%: tests/bench/%.c | $(BUILD)/bench-bin
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

run: deps all
	@tests/lib/mount-tracefs.sh
	./$(BUILD)/credwatch $(ARGS)

test: deps all
	@tests/run-tests.sh all

unit: all
	@tests/run-tests.sh unit

integration: all
	@tests/run-tests.sh integration

sanitize:
	$(MAKE) BUILD=build/sanitize SANITIZER=address,undefined CC=clang test

bench: deps all
	@tests/bench/run.sh full

bench-quick: deps all
	@tests/bench/run.sh quick

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -I. user tools

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/credwatch
	install -m 0755 $(BUILD)/credwatch $(BUILD)/credwatch-inspect $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build

.DELETE_ON_ERROR:
.SECONDARY:

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d $(BUILD)/bench-bin/*.d)
