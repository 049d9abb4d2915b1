# SPDX-License-Identifier: Apache-2.0
# helm/image.mk - `make image`: build the container image from Dockerfile
# with the first container builder that works here (docker, podman,
# buildah). Included from the Makefile:  -include helm/image.mk
#   make image IMAGE=ghcr.io/credwatch/credwatch IMAGE_TAG=0.1.0
# Fails with one line saying why when no builder works (no daemon, no
# podman/buildah), instead of a builder's own confusing error.

IMAGE          ?= ghcr.io/credwatch/credwatch
IMAGE_TAG      ?= $(or $(VERSION),$(shell cat VERSION 2>/dev/null),dev)
IMAGE_BUILDERS ?= docker podman buildah

.PHONY: image
image:
	@builder=""; \
	for b in $(IMAGE_BUILDERS); do \
		command -v $$b >/dev/null 2>&1 || continue; \
		if $$b info >/dev/null 2>&1; then builder=$$b; break; fi; \
		echo "image: $$b is installed but not usable here ($$b info fails: no daemon or no permission)" >&2; \
	done; \
	if [ -z "$$builder" ]; then \
		echo "image: no working container builder (tried: $(IMAGE_BUILDERS)); install and start one, or build elsewhere with: docker build -t $(IMAGE):$(IMAGE_TAG) ." >&2; \
		exit 1; \
	fi; \
	echo "image: building $(IMAGE):$(IMAGE_TAG) with $$builder"; \
	case $$builder in \
	buildah) buildah bud -f Dockerfile -t $(IMAGE):$(IMAGE_TAG) . ;; \
	*) $$builder build -f Dockerfile -t $(IMAGE):$(IMAGE_TAG) . ;; \
	esac
