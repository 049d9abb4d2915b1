# SPDX-License-Identifier: Apache-2.0
# helm/image.mk - the agent image. Included from the Makefile.
#
#   make image          $(BUILD)/credwatch-image.tar: an OCI image archive built
#                       with no container daemon and no registry
#                       (packaging/image/build.sh: mmdebstrap + umoci), byte for
#                       byte reproducible; load it with `ctr image import`,
#                       `podman load` or `skopeo copy oci-archive:...`
#   make image-docker   the same image from the Dockerfile with docker, podman
#                       or buildah, for machines that have one
#   make image IMAGE=ghcr.io/credwatch/credwatch IMAGE_TAG=0.1.0

IMAGE          ?= ghcr.io/credwatch/credwatch
IMAGE_TAG      ?= $(or $(VERSION),$(shell cat VERSION 2>/dev/null),dev)
IMAGE_TAR      := $(BUILD)/credwatch-image.tar
IMAGE_BUILDERS ?= docker podman buildah

.PHONY: image image-docker
image: $(IMAGE_TAR)

# Rebuilt when a binary or a file it holds changes; the Debian part is cached
# in $(BUILD)/image keyed on packaging/image/packages.
$(IMAGE_TAR): $(BUILD)/credwatch $(BUILD)/credwatch-inspect $(RULES_FILES) VERSION \
	      packaging/credwatch.yaml packaging/copyright $(wildcard packaging/image/*)
	$(call msg,IMAGE,$@)
	$(Q)packaging/image/build.sh . $(BUILD) $@ $(IMAGE):$(IMAGE_TAG)

image-docker:
	@builder=""; \
	for b in $(IMAGE_BUILDERS); do \
		command -v $$b >/dev/null 2>&1 || continue; \
		if $$b info >/dev/null 2>&1; then builder=$$b; break; fi; \
		echo "image-docker: $$b is installed but not usable here ($$b info fails: no daemon or no permission)" >&2; \
	done; \
	if [ -z "$$builder" ]; then \
		echo "image-docker: no working container builder (tried: $(IMAGE_BUILDERS)); use make image (no daemon needed)" >&2; \
		exit 1; \
	fi; \
	echo "image-docker: building $(IMAGE):$(IMAGE_TAG) with $$builder"; \
	case $$builder in \
	buildah) buildah bud -f Dockerfile -t $(IMAGE):$(IMAGE_TAG) . ;; \
	*) $$builder build -f Dockerfile -t $(IMAGE):$(IMAGE_TAG) . ;; \
	esac
