# Multi-stage build of both binaries into a static, non-root distroless image.
# (No Docker engine runs on the development machines; CI builds and tests the binaries directly.)
FROM golang:1.26 AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/ ./cmd/machine-controller ./cmd/cluster-registrar ./cmd/reseller-controller ./cmd/pco-sim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /out/machine-controller /out/cluster-registrar /out/reseller-controller /
USER 65532:65532
ENTRYPOINT ["/machine-controller"]
