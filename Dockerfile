# Production image of one service (SERVICE=trainings or users): compiled JS, production deps only, non-root.
#   docker build --build-arg SERVICE=trainings -t trainings .

FROM node:24-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
COPY internal/integration/package.json internal/integration/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:24-bookworm-slim
ARG SERVICE=trainings
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY package.json package-lock.json ./
# The test helper (a workspace) is not part of a service: root dependencies only.
RUN npm ci --omit=dev --ignore-scripts --workspaces=false --no-audit --no-fund && npm cache clean --force
COPY --from=build /build/dist ./dist
USER node
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD ["node", "dist/shared/healthcheck.js"]
CMD ["sh", "-c", "exec node dist/${SERVICE}/main.js"]
