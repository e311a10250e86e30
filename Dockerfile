# syntax=docker/dockerfile:1
# Node 20 is pinned: the uWebSockets.js build we use ships native binaries for Node 16/18/20 only (ABI 115 on 20).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app app
COPY engine engine
COPY feeds feeds
COPY gateway gateway
COPY config config
COPY bench bench
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY config config
COPY engine/scripts engine/scripts
COPY feeds/samples feeds/samples
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/app/main.js"]
