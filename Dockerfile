# For people with Docker: the same images make image builds without Docker (hack/image, see
# docs/install.md), one build target each:
#   docker build --target machine-controller --build-arg VERSION=v$(cat VERSION) -t machine-controller .
# Targets: machine-controller (with /healthprobe), cluster-registrar, reseller-controller, pco-sim.
# Differences: the base is distroless static (its CA bundle and passwd instead of the build
# machine's), and Docker's timestamps make the digests differ from make image's.
FROM golang:1.26 AS builder
ARG VERSION=dev
ARG REVISION=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/pco-mcm/mcm-provider-pco/pkg/version.Version=${VERSION} -X github.com/pco-mcm/mcm-provider-pco/pkg/version.Revision=${REVISION}" \
      -o /out/ ./cmd/machine-controller ./cmd/healthprobe ./cmd/cluster-registrar ./cmd/reseller-controller ./cmd/pco-sim

FROM gcr.io/distroless/static-debian12:nonroot AS base
ARG VERSION=dev
LABEL org.opencontainers.image.source="https://github.com/pco-mcm/mcm-provider-pco" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
USER 65532:65532
WORKDIR /

FROM base AS cluster-registrar
COPY --from=builder /out/cluster-registrar /
ENTRYPOINT ["/cluster-registrar"]

FROM base AS reseller-controller
COPY --from=builder /out/reseller-controller /
ENTRYPOINT ["/reseller-controller"]

FROM base AS pco-sim
COPY --from=builder /out/pco-sim /
ENTRYPOINT ["/pco-sim"]

# Last, so a plain docker build gives the provider.
FROM base AS machine-controller
COPY --from=builder /out/machine-controller /out/healthprobe /
ENTRYPOINT ["/machine-controller"]
