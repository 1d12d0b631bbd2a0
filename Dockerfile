# Keyshelf's image: `docker build -t keyshelf .` (docker-compose.yml builds it too).
# The same Node.js major version as CI. Installs are `npm ci`, exactly as package-lock.json
# says; no install script is needed (the only ones are telemetry and a dev-only watcher).

# Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

# Build: every dependency, to compile the TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# Runtime: the compiled code and the production dependencies, owned by root and run as the
# unprivileged `node` user, which owns only the data volume.
FROM node:20-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Ready means the database and the storage answer (SPEC §8.2).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# main.js handles SIGTERM itself: in-flight requests finish, then the database closes (SPEC §9).
CMD ["node", "dist/src/main.js"]
