# mcm-provider-pco: the two commands are `make demo` and `make test`.
SHELL := /usr/bin/env bash
GO ?= go
FUZZTIME ?= 5s
BIN := bin

.PHONY: gardener bench-scale all build bench chaos chaos-openstack demo demo-check demo-reseller generate e2e-openstack test unit integration go-test verify integration-mcm start lint fuzz measure sim envtest-assets clean image e2e-node

all: build

build: ## Build the binaries into bin/
	$(GO) build -o $(BIN)/ ./cmd/...

# The demo is built and then run, not go run: go run exits 1 whenever it sees SIGINT, even when
# the program it runs cleans up and exits 0, so Ctrl-C would end in "make: *** ... Error 1".
demo: ## The whole system on loopback: 3 machines from the sample MachineDeployment; Ctrl-C cleans up
	$(GO) build -o $(BIN)/demo ./test/demo
	exec $(BIN)/demo

demo-check: ## The demo without a terminal: exits 0 once the machines are Running, then tears down
	$(GO) build -o $(BIN)/demo ./test/demo
	exec $(BIN)/demo --check

demo-reseller: ## The demo in a reseller project: Region, Project, User, binding -> credentials -> machines
	$(GO) build -o $(BIN)/demo ./test/demo
	exec $(BIN)/demo --reseller --machines 2

generate: ## Regenerate deepcopy of pkg/apis/* and the CRDs of pco and registry (controller-gen, cached)
	./hack/generate.sh

test: lint verify ## Everything CI runs: lint, verify, brief fuzzing, the demo end to end, then all tests
	FUZZTIME=10000x ./hack/fuzz.sh
	$(MAKE) demo-check
	$(MAKE) go-test
	$(MAKE) gardener
	$(MAKE) integration-mcm
	$(MAKE) chaos CHAOS_ARGS="-rounds 5 -restarts 5"

# Test tiers (hack/test-packages.sh): a package whose test binary links controller-runtime's
# envtest starts a real kube-apiserver + etcd and belongs to the integration tier; every other
# package (pure Go and the in-process OpenStack simulator) is a unit package. New packages sort
# themselves. UNIT_ARGS adds go test flags, e.g. UNIT_ARGS=-race.
UNIT_ARGS ?=
unit: ## Quick tier: every package without a control plane (pure Go + the OpenStack simulator), no -race; 1-3 minutes on 2 cores
	pkgs="$$(./hack/test-packages.sh unit)" && $(GO) test -count=1 -timeout 10m $(UNIT_ARGS) $$pkgs

integration: ## The control-plane tier: the suites that start a real kube-apiserver + etcd (and MCM's controllers), with -race; about 12 minutes
	pkgs="$$(./hack/test-packages.sh integration)" && $(GO) test -count=1 -race -timeout 30m $$pkgs

go-test: ## Every Go test of the root module with -race, both tiers in one go test (what make test runs)
	$(GO) test -count=1 -race -timeout 30m ./...

verify: ## Generated code, CRDs and the chart's CRD copies are current; go mod tidy changes nothing; import rules
	./hack/verify.sh

gardener: ## gardener-extension-provider-openstack v1.57.0's rendered MachineClasses through our validation and a simulator cycle (own module in test/gardener; docs/gardener.md)
	cd test/gardener && $(GO) vet ./... && $(GO) test -count=1 -timeout 15m ./...

integration-mcm: ## MCM's own provider integration-test framework against our controller (runs alone: it kills every machine-controller)
	PCO_MCM_FRAMEWORK=1 $(GO) test -count=1 -v -timeout 30m ./test/integration/controller/

# start runs our machine-controller against a cluster; MCM's integration-test framework calls it
# (make start CONTROL_KUBECONFIG=.. TARGET_KUBECONFIG=.. CONTROL_NAMESPACE=.. LEADER_ELECT=..).
MACHINE_CONTROLLER ?= $(BIN)/machine-controller
CONTROL_NAMESPACE ?= default
LEADER_ELECT ?= true
START_ARGS ?=
start: ## Run the machine-controller against CONTROL_KUBECONFIG and TARGET_KUBECONFIG
	@if [[ "$(MACHINE_CONTROLLER)" == "$(BIN)/machine-controller" ]]; then $(GO) build -o $(BIN)/ ./cmd/machine-controller; fi
	exec $(MACHINE_CONTROLLER) --control-kubeconfig=$(CONTROL_KUBECONFIG) --target-kubeconfig=$(TARGET_KUBECONFIG) --namespace=$(CONTROL_NAMESPACE) --leader-elect=$(LEADER_ELECT) $(START_ARGS)

# The modules with a go.mod of their own; golangci-lint runs inside each with the root's .golangci.yml.
LINT_MODULES := test/gardener test/bench hack/image
lint: ## gofmt, go vet and golangci-lint (.golangci.yml; hack/golangci-lint.sh builds the pinned version once, a few minutes cold)
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	./hack/golangci-lint.sh run ./...
	@set -e; for m in $(LINT_MODULES); do echo "golangci-lint in $$m"; (cd $$m && $(CURDIR)/hack/golangci-lint.sh run ./...); done

fuzz: ## Fuzz every parser of user input for FUZZTIME each (a duration, or Nx executions)
	FUZZTIME=$(FUZZTIME) ./hack/fuzz.sh

measure: ## Requests and Keystone tokens for 100 machine cycles against the simulator
	PCO_MEASURE_CYCLES=100 $(GO) test -v -count=1 -run TestDriver ./pkg/driver -ginkgo.focus "request cost" -ginkgo.v | grep -E '^ +[0-9]+ |^MEASURE' 

bench: ## Ours vs gardener's provider-openstack v0.27.1 on one simulator: BENCH lines (about 4 minutes; BENCH_ONLY=cycles,alloc,wall100,list; BENCH_REAL_CLOUDS=clouds.yaml runs the request counts against a real OpenStack)
	cd test/bench && $(GO) run . --cycles $${CYCLES:-5} $${BENCH_ONLY:+--only $$BENCH_ONLY}

bench-scale: ## A MachineDeployment of MACHINES (500) to Running and back to 0 with our machine-controller, then the peer's, on the integration stack: converge/requests/RSS BENCH lines (about 15 minutes)
	cd test/bench && $(GO) run . --only scale --machines $${MACHINES:-500}

chaos: ## Faults (5xx, 429, drops, latency, Nova build faults, lost deletes) and controller crashes while scaling; prints CHAOS and SECRETS lines (all 0 or it fails)
	$(GO) run ./test/chaos $(CHAOS_ARGS)

chaos-openstack: ## Chaos on the real OpenStack lab: restarts nova-api, nova-conductor, neutron-server, keystone and rabbitmq and kills the controller while MCM scales; CHAOS and SECRETS lines (needs root, starts the lab like e2e-openstack)
	cd test/e2e/openstack && SKIP_VERIFY=1 ./setup.sh
	$(GO) run ./test/chaos -real-clouds $(CURDIR)/test/e2e/openstack/clouds.yaml $${CHAOS_OPENSTACK_ARGS:--rounds 6 -round-time 40s -restarts 2 -sequence 2,4,1,3,0,2 -final 2 -create-timeout 4m -delete-timeout 3m -converge-timeout 8m -drain-timeout 5m -orphan-period 1m}

sim: ## Run the OpenStack simulator on 127.0.0.1:8774 and write clouds.yaml
	$(GO) run ./cmd/pco-sim --listen 127.0.0.1:8774 --clouds-yaml clouds.yaml

e2e-openstack: ## Start (idempotently) a real OpenStack Zed on loopback; run the driver e2e specs and the Kubernetes integration specs against it
	cd test/e2e/openstack && SKIP_VERIFY=1 ./setup.sh
	PCO_E2E_CLOUDS=$(CURDIR)/test/e2e/openstack/clouds.yaml $(GO) test -count=1 -v -timeout 30m ./test/e2e/openstack/ -ginkgo.v
	PCO_E2E_CLOUDS=$(CURDIR)/test/e2e/openstack/clouds.yaml $(GO) test -count=1 -v -timeout 40m ./test/integration/ -ginkgo.v

# Images without Docker (hack/image): one OCI layout per image in bin/images, IMAGE_PLATFORMS in one index.
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
IMAGE_ARGS ?= --sbom
image: ## Build the images (machine-controller, cluster-registrar, reseller-controller, pco-sim) for IMAGE_PLATFORMS into bin/images, reproducibly
	cd hack/image && SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} \
	  $(GO) run . --src ../.. --out ../../$(BIN)/images --platforms $(IMAGE_PLATFORMS) $(IMAGE_ARGS)

e2e-node: ## The chart on a real single-node Kubernetes (kubelet, containerd, runc; needs root): install, 3 machines, helm test, upgrade, uninstall
	./hack/e2e-node.sh

envtest-assets: ## Build (or reuse) kube-apiserver, etcd and kubectl; prints their folder last
	@./hack/envtest-assets.sh

clean:
	rm -rf $(BIN)
