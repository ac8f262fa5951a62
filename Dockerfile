# syntax=docker/dockerfile:1
# The loyalty hub from its compiled output (docs/production.md). Two stages: build (sources, dev
# dependencies, the native SQLite module compiled) and run (dist/ + production dependencies, non-root).
# CI runs these same steps without Docker: scripts/build-image-steps.sh (npm run test:image).

FROM node:20-bookworm-slim AS build
# better-sqlite3 builds from source where no prebuilt binary can be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# `npm install` with the committed lockfile (npm ci refuses lockfiles without other platforms' optional binaries).
RUN npm install --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p hub/node_modules connectors/sdk/node_modules connectors/webhooks/node_modules connectors/rkeeper/node_modules connectors/acme-crm/node_modules

FROM node:20-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data PORT=8080 HOST=0.0.0.0
WORKDIR /app
# Only what runs: compiled JavaScript, package manifests, production node_modules, the console.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/hub/package.json ./hub/package.json
COPY --from=build /app/hub/node_modules ./hub/node_modules
COPY --from=build /app/hub/bin ./hub/bin
COPY --from=build /app/hub/dist ./hub/dist
COPY --from=build /app/admin/package.json ./admin/package.json
COPY --from=build /app/admin/dist ./admin/dist
COPY --from=build /app/connectors/sdk/package.json ./connectors/sdk/package.json
COPY --from=build /app/connectors/sdk/node_modules ./connectors/sdk/node_modules
COPY --from=build /app/connectors/sdk/dist ./connectors/sdk/dist
COPY --from=build /app/connectors/webhooks/package.json ./connectors/webhooks/package.json
COPY --from=build /app/connectors/webhooks/node_modules ./connectors/webhooks/node_modules
COPY --from=build /app/connectors/webhooks/dist ./connectors/webhooks/dist
COPY --from=build /app/connectors/rkeeper/package.json ./connectors/rkeeper/package.json
COPY --from=build /app/connectors/rkeeper/node_modules ./connectors/rkeeper/node_modules
COPY --from=build /app/connectors/rkeeper/dist ./connectors/rkeeper/dist
COPY --from=build /app/connectors/acme-crm/package.json ./connectors/acme-crm/package.json
COPY --from=build /app/connectors/acme-crm/node_modules ./connectors/acme-crm/node_modules
COPY --from=build /app/connectors/acme-crm/dist ./connectors/acme-crm/dist
# Workspace links to packages the image does not ship (tests, desktop agent, fixtures) are removed.
RUN find node_modules/@loyalty -maxdepth 1 -xtype l -delete \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness only: readiness (/readyz) is the load balancer's check.
HEALTHCHECK --interval=10s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `serve` (default) or `migrate`; connector workers: --entrypoint node … hub/bin/loyalty-connector.js <id>
ENTRYPOINT ["node", "hub/bin/hub.js"]
CMD ["serve"]
