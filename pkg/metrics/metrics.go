// Package metrics defines the Prometheus metrics of the driver: OpenStack requests by service,
// operation and result code, and driver calls by MCM result code. They are registered on the
// default registry, which MCM's provider app serves on /metrics. The same events also feed MCM's
// own mcm_cloud_api_* metrics (mcm.go), the ones Gardener's monitoring keeps.
package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

var (
	// OpenStackRequests counts HTTP requests to OpenStack; code "0" means no response.
	OpenStackRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pco",
		Subsystem: "openstack",
		Name:      "requests_total",
		Help:      "HTTP requests sent to OpenStack, by service, operation, method and response code.",
	}, []string{"service", "operation", "method", "code"})

	// OpenStackRequestDuration observes how long OpenStack requests take.
	OpenStackRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "pco",
		Subsystem: "openstack",
		Name:      "request_duration_seconds",
		Help:      "Duration of HTTP requests to OpenStack, by service and operation.",
		Buckets:   prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"service", "operation"})

	// DriverCalls counts driver calls by method and MCM code.
	DriverCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pco",
		Subsystem: "driver",
		Name:      "calls_total",
		Help:      "Machine driver calls, by method and MCM result code.",
	}, []string{"method", "code"})

	// DriverCallDuration observes how long driver calls take.
	DriverCallDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "pco",
		Subsystem: "driver",
		Name:      "call_duration_seconds",
		Help:      "Duration of machine driver calls, by method.",
		Buckets:   prometheus.ExponentialBuckets(0.05, 2, 14),
	}, []string{"method"})
)

var registerOnce sync.Once

// Register adds the metrics to the default Prometheus registry (once).
func Register() {
	registerOnce.Do(func() {
		prometheus.MustRegister(OpenStackRequests, OpenStackRequestDuration, DriverCalls, DriverCallDuration)
	})
}

// ObserveRequest is an openstack.RequestObserver that records into the metrics above.
func ObserveRequest(ev openstack.RequestEvent) {
	OpenStackRequests.WithLabelValues(ev.Service, ev.Operation, ev.Method, strconv.Itoa(ev.Code)).Inc()
	OpenStackRequestDuration.WithLabelValues(ev.Service, ev.Operation).Observe(ev.Duration.Seconds())
	observeMCMRequest(ev)
}

// ObserveCall records one driver call; it fits driver.Options.CallObserver.
func ObserveCall(method string, code codes.Code, took time.Duration) {
	DriverCalls.WithLabelValues(method, code.String()).Inc()
	DriverCallDuration.WithLabelValues(method).Observe(took.Seconds())
	observeMCMCall(method, code, took)
}
