# SPDX-License-Identifier: Apache-2.0
# Dockerfile - the credwatch agent image: built with the project's own
# Makefile on Debian 12, shipped on debian:12-slim with only the runtime
# libraries, the agent, credwatch-inspect and the default rules.
#   make image            (helm/image.mk picks docker, podman or buildah)
#   docker build -t credwatch:dev .

FROM debian:12 AS build
# The build half of `make deps` (DEB_DEPS in the Makefile), without the test tools.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang llvm make gcc libc6-dev pkg-config bpftool libbpf-dev libelf-dev \
      zlib1g-dev libcjson-dev libcurl4-openssl-dev libyaml-dev libmicrohttpd-dev \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The kernel types come from the committed bpf/vmlinux/<arch>/vmlinux.h, not
# the build host's kernel; CO-RE relocates the programs to each node's kernel
# at load time (docs/deploy.md, Kernels).
RUN make clean && make build/credwatch build/credwatch-inspect \
 && install -D -m 0755 build/credwatch /out/usr/bin/credwatch \
 && install -D -m 0755 build/credwatch-inspect /out/usr/bin/credwatch-inspect \
 && if ! ls rules/*.yaml >/dev/null 2>&1; then \
      echo "Dockerfile: rules/*.yaml: the default rules are missing" >&2; exit 1; fi \
 && install -d /out/etc/credwatch/rules \
 && install -m 0644 rules/*.yaml /out/etc/credwatch/rules/

FROM debian:12-slim
LABEL org.opencontainers.image.title="credwatch" \
      org.opencontainers.image.description="eBPF monitor of Kubernetes credential file access" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/credwatch/credwatch"
# Exactly the shared libraries the agent links (PKGS in the Makefile), and
# CA certificates for an HTTPS backend.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libbpf1 libelf1 zlib1g libcjson1 libcurl4 libyaml-0-2 libmicrohttpd12 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
# Root, because Kubernetes grants added capabilities (BPF, PERFMON,
# DAC_READ_SEARCH) to uid 0 only; see helm/credwatch/README.md.
USER 0:0
ENTRYPOINT ["credwatch"]
