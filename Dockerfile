# SPDX-License-Identifier: Apache-2.0
# Dockerfile - the credwatch agent image for machines with a container
# builder: built with the project's own Makefile on Debian 12, shipped on
# debian:12-slim with the same packages and files as `make image`, which
# builds it with no daemon (packaging/image/build.sh). Both take the package
# list and the files from packaging/image/rootfs.sh.
#   make image-docker     (docker, podman or buildah)
#   docker build -t credwatch:dev .

FROM debian:12 AS build
# The build half of `make deps` (DEB_DEPS in the Makefile), without the test tools.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang llvm make gcc libc6-dev binutils pkg-config bpftool libbpf-dev libelf-dev \
      zlib1g-dev libcjson-dev libcurl4-openssl-dev libyaml-dev libmicrohttpd-dev \
      ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The kernel types come from the committed bpf/vmlinux/<arch>/vmlinux.h, not
# the build host's kernel; CO-RE relocates the programs to each node's kernel
# at load time (docs/deploy.md, Kernels).
RUN make clean && make build/credwatch build/credwatch-inspect \
 && packaging/image/rootfs.sh install /src build /out

FROM debian:12-slim
LABEL org.opencontainers.image.title="credwatch" \
      org.opencontainers.image.description="eBPF monitor of Kubernetes credential file access" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/credwatch/credwatch"
COPY packaging/image/packages packaging/image/rootfs.sh /tmp/image/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(/tmp/image/rootfs.sh packages) \
 && rm -rf /var/lib/apt/lists/* /tmp/image
COPY --from=build /out/ /
# Root, because Kubernetes grants added capabilities (BPF, PERFMON,
# DAC_READ_SEARCH) to uid 0 only; see helm/credwatch/README.md.
USER 0:0
ENTRYPOINT ["/usr/bin/credwatch"]
