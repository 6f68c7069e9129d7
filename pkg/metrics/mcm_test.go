package metrics

import (
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	mcmmetrics "github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

func histogramCount(t *testing.T, h *prometheus.HistogramVec, labels ...string) uint64 {
	t.Helper()
	m := &dto.Metric{}
	if err := h.WithLabelValues(labels...).(prometheus.Histogram).Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func TestObserveRequestCountsMCMCloudAPIRequestsByPeerServiceLabel(t *testing.T) {
	for _, tc := range []struct {
		service, method string
		code            int
		label           string
		failed          bool
	}{
		{"compute", "POST", 202, "nova", false},
		{"network", "GET", 200, "neutron", false},
		{"image", "GET", 200, "glance", false},
		{"identity", "POST", 201, "keystone", false},
		{"compute", "GET", 404, "nova", false},    // a server that is gone is an answer
		{"compute", "DELETE", 404, "nova", false}, // so is deleting one that is gone
		{"compute", "POST", 404, "nova", true},
		{"compute", "POST", 403, "nova", true},
		{"network", "GET", 503, "neutron", true},
		{"compute", "GET", 0, "nova", true}, // no response
	} {
		reqs := testutil.ToFloat64(mcmmetrics.APIRequestCount.WithLabelValues("openstack", tc.label))
		fails := testutil.ToFloat64(mcmmetrics.APIFailedRequestCount.WithLabelValues("openstack", tc.label))
		timed := histogramCount(t, mcmmetrics.APIRequestDuration, "openstack", tc.label)

		ObserveRequest(openstack.RequestEvent{Service: tc.service, Operation: "op", Method: tc.method, Code: tc.code, Duration: time.Millisecond})

		if got := testutil.ToFloat64(mcmmetrics.APIRequestCount.WithLabelValues("openstack", tc.label)) - reqs; got != 1 {
			t.Errorf("%s %s %d: mcm_cloud_api_requests_total{service=%q} moved by %v, want 1", tc.service, tc.method, tc.code, tc.label, got)
		}
		wantFail, wantTimed := 0.0, uint64(1)
		if tc.failed {
			wantFail, wantTimed = 1, 0
		}
		if got := testutil.ToFloat64(mcmmetrics.APIFailedRequestCount.WithLabelValues("openstack", tc.label)) - fails; got != wantFail {
			t.Errorf("%s %s %d: mcm_cloud_api_requests_failed_total moved by %v, want %v", tc.service, tc.method, tc.code, got, wantFail)
		}
		if got := histogramCount(t, mcmmetrics.APIRequestDuration, "openstack", tc.label) - timed; got != wantTimed {
			t.Errorf("%s %s %d: mcm_cloud_api_api_request_duration_seconds observed %d times, want %d", tc.service, tc.method, tc.code, got, wantTimed)
		}
	}
}

func TestObserveCallTimesSuccessfulAndCountsFailedDriverCallsWithNumericMCMCode(t *testing.T) {
	timed := histogramCount(t, mcmmetrics.DriverAPIRequestDuration, "openstack", "CreateMachine")
	ObserveCall("CreateMachine", codes.OK, time.Second)
	if got := histogramCount(t, mcmmetrics.DriverAPIRequestDuration, "openstack", "CreateMachine") - timed; got != 1 {
		t.Errorf("a successful CreateMachine observed %d times in mcm_cloud_api_driver_request_duration_seconds, want 1", got)
	}

	failed := testutil.ToFloat64(mcmmetrics.DriverFailedAPIRequests.WithLabelValues("openstack", "CreateMachine", "8"))
	timed = histogramCount(t, mcmmetrics.DriverAPIRequestDuration, "openstack", "CreateMachine")
	ObserveCall("CreateMachine", codes.ResourceExhausted, time.Second)
	if got := testutil.ToFloat64(mcmmetrics.DriverFailedAPIRequests.WithLabelValues("openstack", "CreateMachine", "8")) - failed; got != 1 {
		t.Errorf(`a ResourceExhausted CreateMachine moved mcm_cloud_api_driver_requests_failed_total{error_code="8"} by %v, want 1`, got)
	}
	if got := histogramCount(t, mcmmetrics.DriverAPIRequestDuration, "openstack", "CreateMachine") - timed; got != 0 {
		t.Errorf("a failed CreateMachine was timed %d times, want 0 (MCM times successful calls only)", got)
	}
}
