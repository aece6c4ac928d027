# syntax=docker/dockerfile:1
# irsa-kit: `irsa webhook` (the pod identity webhook) in a small Node 20 runtime, running as non-root.
#   docker build -t irsa-kit:dev .
#   kubectl kustomize deploy/overlays/cert-manager | sed 's#ghcr.io/irsa-kit/irsa-kit:0.1.0#irsa-kit:dev#' | kubectl apply -f -

# --- build: compile TypeScript, then keep only production dependencies ------------------------------------------
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

# --- runtime: distroless Node 20 (no shell, no package manager), uid/gid 65532 ----------------------------------
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=0:0 /src/package.json ./package.json
COPY --from=build --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /src/dist ./dist
COPY --from=build --chown=0:0 /src/bin ./bin
USER 65532:65532
EXPOSE 8443 9999
# Files are root-owned and read-only to the process; it writes nothing (readOnlyRootFilesystem in deploy/).
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/irsa", "webhook"]
CMD ["--in-cluster=false", "--port=8443"]
