# syntax=docker/dockerfile:1
# bedrock-gateway container image: one static-ish Rust binary on distroless.
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 -t IMAGE --push .
# (each platform builds natively under buildx; see docs/deploy.md).

FROM rust:1.95-slim-trixie AS build
WORKDIR /src
COPY . .
# The same release build as the README's; the cache mounts keep rebuilds incremental.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p gateway --bin bedrock-gateway \
    && install -D -m 0755 target/release/bedrock-gateway /out/bedrock-gateway

# glibc + libgcc + CA certificates, no shell, no package manager; runs as uid 65532.
FROM gcr.io/distroless/cc-debian13:nonroot
COPY --from=build /out/bedrock-gateway /usr/local/bin/bedrock-gateway
ENV HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json
EXPOSE 8080
USER 65532:65532
# Exec form: the binary's `healthcheck` mode GETs /health itself (no shell or curl in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/bedrock-gateway", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/bedrock-gateway"]
