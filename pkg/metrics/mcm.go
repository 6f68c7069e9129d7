package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	mcmmetrics "github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// ProviderLabel is the "provider" label value of MCM's mcm_cloud_api_* metrics: the one
// gardener's provider-openstack v0.27.1 writes, so Gardener's dashboards and alerts that select
// provider="openstack" see this driver too.
const ProviderLabel = "openstack"

// mcmService names our OpenStack services as the peer labels them (nova, neutron, cinder) and,
// for the services the peer does not count, by their OpenStack project names.
var mcmService = map[string]string{
	"compute":  "nova",
	"network":  "neutron",
	"volume":   "cinder",
	"image":    "glance",
	"identity": "keystone",
}

// observeMCMRequest feeds MCM's cloud API metrics (registered by MCM's provider app package on the
// default registry; Gardener's seed Prometheus keeps them, and drops pco_*). Every request
// counts; a failed one also counts as failed, and only a successful one is timed, as MCM's help
// texts define.
func observeMCMRequest(ev openstack.RequestEvent) {
	service, ok := mcmService[ev.Service]
	if !ok {
		service = ev.Service
	}
	mcmmetrics.APIRequestCount.WithLabelValues(ProviderLabel, service).Inc()
	if requestFailed(ev) {
		mcmmetrics.APIFailedRequestCount.WithLabelValues(ProviderLabel, service).Inc()
		return
	}
	mcmmetrics.APIRequestDuration.WithLabelValues(ProviderLabel, service).Observe(ev.Duration.Seconds())
}

// requestFailed: no response, or an error status. A 404 on a read or a delete is an answer
// ("gone"), not a failure, as the peer counts it.
func requestFailed(ev openstack.RequestEvent) bool {
	if ev.Code == 0 || ev.Code >= 500 {
		return true
	}
	if ev.Code == http.StatusNotFound {
		return ev.Method != http.MethodGet && ev.Method != http.MethodHead && ev.Method != http.MethodDelete
	}
	return ev.Code >= 400
}

// observeMCMCall feeds MCM's driver metrics as MCM's other providers do: a successful call is
// timed per operation (the driver method), a failed one counted with its MCM code as a number.
func observeMCMCall(method string, code codes.Code, took time.Duration) {
	if code != codes.OK {
		mcmmetrics.DriverFailedAPIRequests.WithLabelValues(ProviderLabel, method, strconv.Itoa(int(code))).Inc()
		return
	}
	mcmmetrics.DriverAPIRequestDuration.WithLabelValues(ProviderLabel, method).Observe(took.Seconds())
}
