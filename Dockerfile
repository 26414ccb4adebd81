# syntax=docker/dockerfile:1
# Node.js 24 LTS (maintained until April 2028), the line CI tests besides the machine's
# own; `-slim` is Debian without build tools, enough since no dependency compiles.
ARG NODE_IMAGE=node:24-slim

# --- build: all dependencies, compile TypeScript to dist/ (Lua scripts and the dashboard included) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts/build-dashboard.js ./scripts/
COPY src ./src
# The CLI's cleanup command runs the cleanup script (its types are needed to compile).
COPY scripts/cleanup.js scripts/cleanup.d.ts ./scripts/
RUN npm run build

# --- runtime: production dependencies and dist/ only, unprivileged user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY scripts/cleanup.js ./scripts/cleanup.js
# The image's built-in unprivileged user; the files above stay root-owned (read-only to it).
USER node
EXPOSE 3000
# The API (with an in-process worker unless WORKER_ENABLED=false).
# The headless worker is the same image with: node dist/worker.js
# The jobq CLI: node dist/cli.js --help (e.g. docker compose exec api node dist/cli.js stats)
CMD ["node", "dist/main.js"]
