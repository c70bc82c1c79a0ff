# syntax=docker/dockerfile:1
# Portcullis image: compiled with the dev toolchain, run with production dependencies only, as `node`.
# Node 24 LTS (22 LTS is supported too; Node 20 left support in April 2026). Keep the tag on a
# release that package.json "engines" accepts.

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
# npm ci's postinstall (scripts/prisma-generate.mjs) generates the Prisma client from prisma/.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The generated client is compiled into dist/; its runtime comes from @prisma/client (a dependency).
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24.22.3-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Applied by the service itself at start-up (src/infra/migrate.ts finds them above dist/).
COPY --from=build /app/prisma/migrations ./prisma/migrations
# Files stay root-owned and read-only to the service.
USER node
EXPOSE 4000
CMD ["node", "dist/src/main.js"]
