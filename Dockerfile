# duban (督办) collector image: a static binary (CGO off) on a small base, run as a
# non-root user; the binary carries the shipped catalog, templates and CSS. Build:
# docker build -t duban:local .
# The full stack (InfluxDB, Prometheus, Alertmanager, Grafana): docker compose up.

FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/duban ./cmd/duban

FROM alpine:3.20
# wget (busybox) serves the health check; nothing else is added.
RUN addgroup -S -g 10001 duban \
 && adduser -S -D -H -u 10001 -G duban duban \
 && mkdir -p /app /var/lib/duban \
 && chown duban:duban /var/lib/duban
WORKDIR /app
COPY --from=build /out/duban /usr/local/bin/duban
COPY config/duban.yaml /etc/duban/duban.yaml
USER 10001:10001
ENV DUBAN_LISTEN=0.0.0.0:8080 \
    DUBAN_STORE_PATH=/var/lib/duban
VOLUME ["/var/lib/duban"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=5 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/-/healthy || exit 1
ENTRYPOINT ["/usr/local/bin/duban"]
CMD ["serve", "--config", "/etc/duban/duban.yaml"]
