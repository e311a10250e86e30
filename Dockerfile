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
COPY sdk sdk
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The commit the image was built from, for fx_build_info: FX_COMMIT=$(git rev-parse --short HEAD) docker compose build
ARG FX_COMMIT=unknown
ENV FX_COMMIT=$FX_COMMIT
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY config config
COPY docs docs
COPY engine/scripts engine/scripts
COPY app/desk/scripts app/desk/scripts
COPY gateway/desk-page gateway/desk-page
COPY feeds/samples feeds/samples
# The fx CLI runs in the image too (bin/fx.js finds the compiled CLI in dist/): docker exec <container> node bin/fx.js corridors
COPY bin bin
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/app/main.js"]
