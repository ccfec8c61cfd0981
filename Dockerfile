# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --bin qinaotong

# Runtime stage: the binary, libpq and CA certificates, running as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/qinaotong qinaotong \
    && mkdir -p /var/lib/qinaotong && chown qinaotong /var/lib/qinaotong
COPY --from=build /src/target/release/qinaotong /usr/local/bin/qinaotong
USER qinaotong
ENV QAT_BIND=0.0.0.0:8080 QAT_DATA_DIR=/var/lib/qinaotong QAT_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fs http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/qinaotong"]
