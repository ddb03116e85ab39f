# The movieclassifier image: `docker build -t movieclassifier .` (or podman). See docs/deploy.md.

# Build stage: the full Node image has python3, make and g++, which better-sqlite3 needs when no
# prebuilt binary fits, and the dev dependencies compile the TypeScript.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY scripts scripts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: the slim image, the compiled server and command-line tools, the production
# dependencies, the templates and static files, and the shipped model (copied into /data on first
# start by the entrypoint). No sources, no compiler.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY scripts/build-if-stale.mjs scripts/
COPY views views
COPY public public
COPY data/model.bin data/model.bin
COPY deploy/docker-entrypoint.sh /usr/local/bin/movieclassifier-entrypoint
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# slim has no curl: Node's own fetch asks /healthz (200 while the model is loaded and the
# database answers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["movieclassifier-entrypoint"]
# What `npm start` runs, without npm in between: node is the process that gets SIGTERM, closes
# the server and the database, and exits 0. The flags are npm start's (see src/main.ts).
CMD ["node", "--max-old-space-size=160", "--heap-growing-percent=100", "dist/src/main.js"]
