# The perfcase image: one static binary on distroless, run as a non-root
# user, as 'perfcase k8s' Jobs expect (docs/scale-out.md).
#
#   docker build -t registry.example.com/perfcase:1.0 .
#   docker push registry.example.com/perfcase:1.0

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a change to the code reuses their layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo: the final stage has no C library), without the build's
# paths and without symbols, which a load generator never needs.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/perfcase ./cmd/perfcase

# distroless' static image has CA certificates and time zones and no
# shell; its nonroot tag runs as uid 65532, the user the Job's
# securityContext names.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/perfcase /usr/local/bin/perfcase
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/perfcase"]
