# SPDX-License-Identifier: Apache-2.0
# credwatch build. Everything lands in build/. `make V=1` shows commands.
#
#   make deps        install build and test dependencies with apt (idempotent)
#   make             build the BPF object, skeleton, agent and tools
#   make run         deps + build + run the agent on this host (root)
#   make demo        deps + build + a one-minute attack story on a throwaway node (root)
#   make test        deps + build + every test (root), then all again under
#                    ASan+UBSan+LSan (SANITIZE_STAGE=0: not); ends "N passed, N failed"
#   make unit        unit tests only          make integration  integration tests only
#   make redteam     the red-team suite (tests/redteam/: one real attack per script)
#   make bench       benchmarks (build/bench/) make sanitize     tests under ASan+UBSan
#   make fuzz        fuzz targets              make lint         static checks
#   make install     install to $(DESTDIR)$(PREFIX) (config, rules, unit, man pages too)
#   make deb         build/credwatch_<version>_<arch>.deb (dpkg-deb, dpkg-shlibdeps)
#   make image       build/credwatch-image.tar, the agent's OCI image, with no
#                    container daemon (helm/image.mk, packaging/image/)
#   make docs        regenerate the option tables in docs/operations.md and man/credwatch.8
#   make vmlinux-h   regenerate bpf/vmlinux/<arch>/vmlinux.h from the pinned Debian kernel

BUILD      ?= build
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
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
RULES_DIR  ?= /etc/credwatch/rules
CATALOG_DIR ?= /etc/credwatch/catalog.d
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -MMD -MP -D_GNU_SOURCE \
	      -DCW_VERSION='"$(VERSION)"' -DCW_RULES_DIR='"$(RULES_DIR)"' \
	      -DCW_CATALOG_DIR='"$(CATALOG_DIR)"' -I$(BUILD) -I. $(PKG_CFLAGS)
LDLIBS     += $(PKG_LIBS) -lpthread -lm

ifneq ($(SANITIZER),)
CFLAGS     += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SANITIZER)
endif

# Debian's packages for building and testing; `make deps` installs the missing ones.
DEB_DEPS   := clang llvm make gcc pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
	      libcjson-dev libcurl4-openssl-dev libyaml-dev libmicrohttpd-dev \
	      libcmocka-dev liburing-dev openssl python3 util-linux iproute2 ca-certificates \
	      libasan8 libubsan1 unzip python3-yaml prometheus dpkg-dev systemd man-db groff-base \
	      libclang-rt-14-dev curl bsdutils coreutils cppcheck bpftrace libbpf-tools \
	      qemu-system-x86 busybox-static cpio zstd xz-utils mmdebstrap umoci containerd runc \
	      binutils chromium strace btrfs-progs xfsprogs fuse3 libfuse3-dev
# libclang-rt-14-dev (libFuzzer, sanitizers for clang) is only a Recommends of
# clang and deps installs --no-install-recommends; curl (the CLI) scrapes
# /metrics in tests; bpftrace and libbpf-tools are the peers in make bench;
# qemu-system-x86, busybox-static and cpio boot the kernel matrix
# (tests/integration/test_kernel_matrix.sh), zstd and xz-utils unpack
# kernel images for it and for make vmlinux-h.
# mmdebstrap and umoci build the image without a daemon (make image);
# containerd, runc and busybox-static (the test pods' userland) run it in
# tests/integration/test_e2e_runtime.sh, and run the pods of make demo and of
# the attribution tests (tests/lib/containerd.sh). chromium is the headless
# browser the report tests open the page in. strace shows
# test_catalog_inventory.sh that discovery and the inventory open no credential.

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

USER_SRCS  := $(filter-out user/main.c,$(wildcard user/*.c user/discovery/*.c))
USER_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
# credwatch-inspect: main.c and one file per command (tools/inspect/inspect.h);
# the commands are a library test_report links too
INSPECT_SRCS := $(filter-out tools/inspect/main.c,$(wildcard tools/inspect/*.c))
INSPECT_OBJS := $(patsubst tools/inspect/%.c,$(BUILD)/obj/inspect/%.o,$(INSPECT_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
ITEST_SRCS := $(wildcard tests/integration/*.c)
ifneq ($(ARCH),x86)
ITEST_SRCS := $(filter-out tests/integration/opener32.c tests/integration/noia32.c,$(ITEST_SRCS))
endif
ITEST_BINS := $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(ITEST_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench-bin/%,$(BENCH_SRCS))
TOOLS      := $(BUILD)/credwatch-inspect
SKEL       := $(BUILD)/credwatch.skel.h

.PHONY: all deps run demo test unit integration redteam bench bench-quick sanitize fuzz lint install clean \
	docs deb vmlinux-h
all: $(BUILD)/credwatch $(TOOLS) $(UNIT_BINS) $(ITEST_BINS) $(BENCH_BINS)

deps:
	@missing=""; for p in $(DEB_DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing || exit 1; \
	else echo "deps: all Debian packages installed"; fi
	@# node and npm: keep a node that is already there (Debian's npm conflicts with NodeSource's)
	@command -v node >/dev/null && command -v npm >/dev/null || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
	@tests/lib/get-helm.sh >/dev/null
	@tests/lib/get-playwright.sh >/dev/null

$(BUILD) $(BUILD)/obj $(BUILD)/obj/inspect $(BUILD)/tests $(BUILD)/itests $(BUILD)/bench-bin:
	$(Q)mkdir -p $@

# Kernel types for the BPF programs: committed per architecture, generated
# from a pinned Debian kernel's BTF (tools/gen-vmlinux-h.sh says which), so
# the object never depends on the build host's kernel and builds the same
# everywhere. `make vmlinux-h` regenerates it (downloads that kernel).
VMLINUX_DIR := bpf/vmlinux/$(ARCH)

vmlinux-h:
	$(Q)BUILD=$(BUILD) tools/gen-vmlinux-h.sh $(ARCH) $(VMLINUX_DIR)/vmlinux.h

$(BUILD)/credwatch.tmp.bpf.o: bpf/credwatch.bpf.c bpf/credwatch.h \
			      $(VMLINUX_DIR)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -I. \
		$(CLANG_BPF_SYS_INCLUDES) -Wall -Werror -c $< -o $@

$(BUILD)/credwatch.bpf.o: $(BUILD)/credwatch.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(SKEL): $(BUILD)/credwatch.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name credwatch_bpf > $@

$(BUILD)/obj/%.o: user/%.c $(SKEL) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcredwatch.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/credwatch: $(BUILD)/obj/main.o $(BUILD)/libcredwatch.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $(filter-out %.h,$^) $(LDLIBS) -o $@

$(BUILD)/obj/inspect/%.o: tools/inspect/%.c | $(BUILD)/obj/inspect
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libinspect.a: $(INSPECT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/credwatch-inspect: $(BUILD)/obj/inspect/main.o $(BUILD)/libinspect.a $(BUILD)/libcredwatch.a | $(BUILD)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/config-doc: tools/config-doc.c $(BUILD)/libcredwatch.a | $(BUILD)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The option tables in docs/operations.md and man/credwatch.8 come from
# user/config.c's table; test_config_file fails until this has been run
# after an option changed.
DOC_SPLICE = awk -v t=$(1) '/options:end/ { skip = 0 } !skip { print } \
	/options:begin/ { while ((getline l < t) > 0) print l; skip = 1 }'

docs: $(BUILD)/config-doc
	$(call msg,DOCS,README.md docs/operations.md man/credwatch.8)
	$(Q)$(BUILD)/config-doc > $(BUILD)/options.md
	$(Q)$(BUILD)/config-doc man > $(BUILD)/options.man
	$(Q)$(call DOC_SPLICE,$(BUILD)/options.md) docs/operations.md > $(BUILD)/operations.md
	$(Q)$(call DOC_SPLICE,$(BUILD)/options.man) man/credwatch.8 > $(BUILD)/credwatch.8
	$(Q)$(call DOC_SPLICE,$(BUILD)/options.md) README.md > $(BUILD)/README.md
	$(Q)mv $(BUILD)/README.md README.md
	$(Q)mv $(BUILD)/operations.md docs/operations.md
	$(Q)mv $(BUILD)/credwatch.8 man/credwatch.8

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcredwatch.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $(LDFLAGS) $(filter-out %.h,$^) $(LDLIBS) -lcmocka -o $@

# test_report covers tools/inspect/ (escaping, the report model and graph).
$(BUILD)/tests/test_report: tests/unit/test_report.c $(BUILD)/libinspect.a $(BUILD)/libcredwatch.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $(LDFLAGS) $(filter-out %.h,$^) $(LDLIBS) -lcmocka -o $@

$(BUILD)/itests/%: tests/integration/%.c | $(BUILD)/itests
	$(call msg,ITEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter-out %.h,$^) -luring -o $@

# opener32 is a freestanding 32-bit x86 program (int 0x80 only, no libc, so
# no multilib packages): built here, run where the kernel runs 32-bit code,
# in the kernel matrix's guests too. Elsewhere the rule is skipped.
ifeq ($(ARCH),x86)
$(BUILD)/itests/opener32: tests/integration/opener32.c | $(BUILD)/itests
	$(call msg,ITEST32,$@)
	$(Q)$(CC) -m32 -O2 -Wall -Wextra -Werror -nostdlib -static -ffreestanding -fno-builtin \
		-fno-pic -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
		-fcf-protection=none $< -o $@
endif

# fusefile serves one file over FUSE (libfuse3) for test_filesystems.sh.
$(BUILD)/itests/fusefile: tests/integration/fusefile.c | $(BUILD)/itests
	$(call msg,ITEST,$@)
	$(Q)$(CC) $(CFLAGS) $(shell pkg-config --cflags fuse3) $(LDFLAGS) $< \
		$(shell pkg-config --libs fuse3) -o $@

# ship_drive exercises user/ship.c, so unlike the standalone helpers it links the library.
$(BUILD)/itests/ship_drive: tests/integration/ship_drive.c $(BUILD)/libcredwatch.a | $(BUILD)/itests
	$(call msg,ITEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.c %.a,$^) $(LDLIBS) -o $@

# Load generators for tests/bench/run.sh; libbpf for the ones reading maps,
# the library for the dump generator.
$(BUILD)/bench-bin/%: tests/bench/%.c $(BUILD)/libcredwatch.a | $(BUILD)/bench-bin
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.c %.a,$^) $(LDLIBS) -o $@

run: deps all
	@tests/lib/mount-tracefs.sh
	./$(BUILD)/credwatch $(ARGS)

# A throwaway node under /tmp, the real agent, five captioned attack steps;
# removes everything it made. tests/integration/test_demo.sh runs it too.
demo: deps all
	@BUILD=$(BUILD) tests/demo/demo.sh $(ARGS)

# `make test` ends with every suite again under ASan+UBSan+LSan (gcc, in
# build/sanitize), counted in the same final line; SANITIZE_STAGE=0 skips it.
SANITIZE_STAGE ?= 1
RUN_TESTS = BUILD=$(BUILD) CW_SANITIZER=$(SANITIZER) tests/run-tests.sh

# The image is a prerequisite: test_image.sh and test_e2e_runtime.sh use it.
test: deps all image
	@CW_SANITIZE_STAGE=$(SANITIZE_STAGE) $(RUN_TESTS) all

unit: all
	@$(RUN_TESTS) unit

integration: all image
	@$(RUN_TESTS) integration

redteam: all
	@$(RUN_TESTS) redteam

# Fuzz targets (tests/fuzz/*/); `make fuzz FUZZ_SECONDS=600` for a long run.
# FUZZ_TARGETS, the one list of them, is in tests/fuzz/fuzz.mk.
include tests/fuzz/fuzz.mk

fuzz:
	@for t in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory $$t FUZZ_SECONDS=$${FUZZ_SECONDS:-60} || exit 1; done

sanitize:
	$(MAKE) BUILD=build/sanitize SANITIZER=address,undefined CC=gcc test

bench: deps all
	@tests/bench/run.sh full

bench-quick: deps all
	@tests/bench/run.sh quick

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -I. user tools

RULES_FILES := $(wildcard rules/*.yaml)
CATALOG_FILES := $(wildcard catalog/*.yaml)
MAN_PAGES   := $(wildcard man/*.[0-9])

# The config file is the operator's: never overwritten once present. The
# rules and the credential catalog are the shipped defaults and are replaced
# (local rules and catalog entries belong in other files, as with Falco).
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/credwatch \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/credwatch $(BUILD)/credwatch-inspect $(DESTDIR)$(BINDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/credwatch/credwatch.yaml ] || \
		install -m 0644 packaging/credwatch.yaml $(DESTDIR)$(SYSCONFDIR)/credwatch/credwatch.yaml
	$(if $(RULES_FILES),install -d $(DESTDIR)$(SYSCONFDIR)/credwatch/rules && \
		install -m 0644 $(RULES_FILES) $(DESTDIR)$(SYSCONFDIR)/credwatch/rules/)
	install -d $(DESTDIR)$(SYSCONFDIR)/credwatch/catalog.d
	install -m 0644 $(CATALOG_FILES) $(DESTDIR)$(SYSCONFDIR)/credwatch/catalog.d/
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/credwatch.service.in > $(DESTDIR)$(UNITDIR)/credwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/credwatch.service
	$(foreach m,$(MAN_PAGES),install -m 0644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/ && ) true

# --- Debian package -------------------------------------------------------
# Built by hand with dpkg-deb (no debian/ source tree to keep in sync): stage
# the tree as `make install` lays it out for PREFIX=/usr, strip, compute
# Depends with dpkg-shlibdeps from the binaries' real DT_NEEDED libraries
# (libbpf1, libc6, libyaml-0-2, ... with minimum versions from their
# symbols files), list the conffiles, add the maintainer scripts.
DEB_ARCH   := $(shell dpkg --print-architecture 2>/dev/null)
DEB_VER    ?= $(VERSION)
DEB_MAINT  ?= $(shell git log -1 --format='%an <%ae>' 2>/dev/null || echo 'credwatch maintainers <root@localhost>')
DEB        := $(BUILD)/credwatch_$(DEB_VER)_$(DEB_ARCH).deb
DEB_STAGE  := $(BUILD)/deb
DEB_ROOT   := $(DEB_STAGE)/debian/credwatch

deb: $(DEB)

$(DEB): all packaging/credwatch.service.in packaging/credwatch.yaml packaging/copyright \
	 packaging/postinst packaging/prerm packaging/postrm $(RULES_FILES) $(CATALOG_FILES) \
	 $(MAN_PAGES)
	$(call msg,DEB,$@)
	$(Q)rm -rf $(DEB_STAGE) && mkdir -p $(DEB_ROOT)/DEBIAN
	$(Q)$(MAKE) -s install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
		UNITDIR=/lib/systemd/system BUILD=$(BUILD) >/dev/null
	$(Q)strip --strip-unneeded --remove-section=.comment --remove-section=.note \
		$(DEB_ROOT)/usr/bin/credwatch $(DEB_ROOT)/usr/bin/credwatch-inspect
	$(Q)gzip -9n $(DEB_ROOT)/usr/share/man/man*/*
	$(Q)install -d $(DEB_ROOT)/usr/share/doc/credwatch
	$(Q)install -m 0644 packaging/copyright $(DEB_ROOT)/usr/share/doc/credwatch/copyright
	$(Q)install -m 0755 packaging/postinst packaging/prerm packaging/postrm $(DEB_ROOT)/DEBIAN/
	$(Q)(cd $(DEB_ROOT) && find etc -type f | sort | sed 's|^|/|') > $(DEB_ROOT)/DEBIAN/conffiles
	$(Q)printf 'Source: credwatch\n\nPackage: credwatch\nArchitecture: any\n' \
		> $(DEB_STAGE)/debian/control
	$(Q)cd $(DEB_STAGE) && dpkg-shlibdeps -O -Tdebian/substvars \
		debian/credwatch/usr/bin/credwatch debian/credwatch/usr/bin/credwatch-inspect \
		| sed -n 's/^shlibs:Depends=//p' > depends
	$(Q)test -s $(DEB_STAGE)/depends || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
	$(Q){ \
		echo "Package: credwatch"; \
		echo "Version: $(DEB_VER)"; \
		echo "Architecture: $(DEB_ARCH)"; \
		echo "Maintainer: $(DEB_MAINT)"; \
		echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)"; \
		echo "Depends: $$(cat $(DEB_STAGE)/depends)"; \
		echo "Section: admin"; \
		echo "Priority: optional"; \
		echo "Description: Kubernetes credential file access monitor (eBPF)"; \
		echo " credwatch loads CO-RE eBPF programs that catch every open of a"; \
		echo " credential file (service-account tokens, Secrets, kubeconfigs, PKI keys,"; \
		echo " cloud credentials) by inode, attributes each access to a process,"; \
		echo " container and pod, evaluates Falco-style rules and ships alerts."; \
		echo " ."; \
		echo " This package holds the agent, credwatch-inspect, the default rules, the"; \
		echo " credential catalog and a hardened systemd unit, enabled but not started"; \
		echo " on installation."; \
	} > $(DEB_ROOT)/DEBIAN/control
	$(Q)dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $@ >/dev/null

clean:
	rm -rf build

-include helm/image.mk

.DELETE_ON_ERROR:
.SECONDARY:

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/discovery/*.d $(BUILD)/obj/inspect/*.d $(BUILD)/tests/*.d $(BUILD)/bench-bin/*.d)
