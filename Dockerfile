# syntax=docker/dockerfile:1
# packetgate's container action: one static (musl) binary, the CA bundle, nothing else.
#
#   docker build -t packetgate .                                   # compile inside the build stage
#   docker build --build-arg BINARY_FROM=prebuilt -t packetgate .  # use dist/packetgate instead
#
# The prebuilt path (a static binary and CA bundle copied into dist/) is what
# scripts/image-smoke.sh assembles with buildah where no base image can be pulled; BuildKit
# and buildah skip the stage that is not used.
ARG BINARY_FROM=build

FROM rust:1.95-alpine AS build
# On Alpine the native target is musl, so the binary is static on amd64 and arm64 alike.
# The packages come from the release the base image pins; their versions follow it.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY policies ./policies
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/packetgate /out/packetgate \
    && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /out/ca-certificates.crt

FROM scratch AS prebuilt
COPY dist/packetgate /out/packetgate
COPY dist/ca-certificates.crt /out/ca-certificates.crt

FROM ${BINARY_FROM} AS binary

# The image: no shell, no package manager, no git. The built-in policies are inside the
# binary. No USER: GitHub runs Docker actions as the image's default user, and a different
# one could not read the mounted workspace; packetgate needs no privilege of its own.
FROM scratch
COPY --from=binary /out/packetgate /usr/local/bin/packetgate
COPY --from=binary /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.title="packetgate" \
      org.opencontainers.image.description="Gate pull requests carrying AI API token-budget packets" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
ENTRYPOINT ["/usr/local/bin/packetgate", "github"]
