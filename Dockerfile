# syntax=docker/dockerfile:1
# camera-recorder container image. Build it with ./build.sh, which tags recorder-service:<version>
# and recorder-service:<git-sha> and fills in the OCI labels below.
#
# Base images are pinned by exact version tag (Node.js 24.21.0, the same Node the project pins as a
# dev dependency, on Debian 12 "bookworm", the same Debian and ffmpeg as CI). For a registry policy
# that requires digests, resolve the tag once and append it, e.g.
#   docker buildx imagetools inspect node:24.21.0-bookworm-slim
#   FROM node:24.21.0-bookworm-slim@sha256:<digest> AS build
# and let Renovate/Dependabot keep tag and digest current.

# ---- build: dev dependencies, TypeScript → dist/ --------------------------------------------------
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only ------------------------------------------------------
# No dependency of the service needs an install script; the one that has one (the "node" dev
# dependency) is not installed here: the image's own node runs the service.
FROM node:24.21.0-bookworm-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS runtime

ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=""
ARG CREATED=""
LABEL org.opencontainers.image.title="camera-recorder" \
      org.opencontainers.image.description="Records RTSP cameras into crash-safe MP4 segments and ships them to S3-compatible storage" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}"

# Debian's ffmpeg/ffprobe (what CI tests against) and tini as PID 1: it reaps ffmpeg children that
# outlive node and forwards SIGTERM to node only, which then asks ffmpeg to finalize its segments.
# npm, npx, corepack and yarn are removed: nothing installs packages at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /var/lib/camera-recorder \
 && chown 1000:1000 /var/lib/camera-recorder

WORKDIR /app
# Owned by root and read-only for the service user: the application cannot modify itself.
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json config.example.toml ./

# TEMP_DIR is the only path the service writes to; mount a volume there (emptyDir, PVC, docker
# volume) and the root filesystem can be read-only.
ENV NODE_ENV=production \
    TEMP_DIR=/var/lib/camera-recorder

# UID/GID 1000 is the "node" user of the base image; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 9090
STOPSIGNAL SIGTERM

# Liveness for plain docker/compose (Kubernetes uses its own probes). The image has no curl: node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || 9090) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The same entry point the tests start (dist/main.js). Arguments go to camera-recorder:
#   docker run … recorder-service:<version> --check-config
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/main.js"]
CMD []
