# syntax=docker/dockerfile:1
# rapfs server image. The server runs TypeScript from source with tsx (a runtime dependency of
# @rapfs/server), so there is no build step: the runtime stage gets the sources and production
# node_modules only. Build: docker build -t rapfs .   Run: see docker-compose.yml.

ARG NODE_VERSION=20.20
ARG PNPM_VERSION=10.34.8

FROM node:${NODE_VERSION}-bookworm-slim AS base
ARG PNPM_VERSION
ENV CI=true
# Corepack is missing or disabled in some environments; npm is always there.
RUN npm install -g "pnpm@${PNPM_VERSION}" && pnpm --version
WORKDIR /app
# The lockfile covers every workspace package, so every manifest is needed for --frozen-lockfile.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY server/package.json server/
COPY sdk/package.json sdk/

# Everything, dev tools included: the stage to lint, typecheck and test in
# (docker build --target deps, then pnpm test with the sources mounted).
FROM base AS deps
RUN --mount=type=cache,id=rapfs-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod=false --store-dir /pnpm/store

# What the server needs at run time (tsx included): about a quarter of the full install.
# A fresh --prod install rather than `pnpm prune --prod`, which empties workspace packages'
# node_modules in pnpm 10.
FROM base AS prod-deps
RUN --mount=type=cache,id=rapfs-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --store-dir /pnpm/store

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    RAPFS_DATA_DIR=/var/lib/rapfs
WORKDIR /app
# Sources stay root-owned and read-only to the server; only the embedded-mode data directory
# (used when DATABASE_URL is unset) is writable.
RUN mkdir -p /var/lib/rapfs && chown 1000:1000 /var/lib/rapfs
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/server/node_modules ./server/node_modules
COPY package.json pnpm-workspace.yaml ./
COPY server/package.json server/
COPY server/src server/src
# server/tsconfig.json's paths take @rapfs/sdk from sdk/src below (tsx and the built CLI alike).
COPY tsconfig.base.json ./
COPY server/tsconfig.json server/
# `rapfs codegen` runs the SDK's generator and client from source (loaded only by that command).
COPY sdk/src sdk/src
COPY migrations migrations
COPY feature-definitions feature-definitions

# The image's `node` user, numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
WORKDIR /app/server
EXPOSE 8080
# /health answers while the first start still prepares data; readiness (/ready) is the
# orchestrator's business, not the container's.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# node itself is PID 1 (no npm/pnpm/tsx wrapper process), so SIGTERM reaches the server's
# graceful shutdown directly.
CMD ["node", "--import", "tsx", "src/cli/main.ts", "start"]
