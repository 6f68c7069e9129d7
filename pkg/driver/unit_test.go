package driver

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"k8s.io/apimachinery/pkg/util/validation/field"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

func apiError(code int, body string) error {
	return fmt.Errorf("creating server: %w", gophercloud.ErrUnexpectedResponseCode{
		Method: "POST", URL: "http://127.0.0.1/compute/v2.1/servers", Expected: []int{202}, Actual: code, Body: []byte(body)})
}

func TestStatusErrorClassification(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want codes.Code
		msg  string // what MCM shows after "create machine m: "
	}{
		{"nova quota", apiError(403, `{"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}}`), codes.ResourceExhausted,
			"creating server: HTTP 403: Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"},
		{"neutron quota", apiError(409, `{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['port'].", "detail": ""}}`), codes.ResourceExhausted,
			"creating server: HTTP 409: Quota exceeded for resources: ['port']."},
		{"cinder quota", apiError(413, `{"overLimit": {"code": 413, "message": "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'."}}`), codes.ResourceExhausted,
			"creating server: HTTP 413: VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'."},
		{"no valid host fault", &serverFaultError{server: serverWithID("x"), msg: "No valid host was found. There are not enough hosts available."}, codes.ResourceExhausted,
			"server x went to ERROR: No valid host was found. There are not enough hosts available."},
		{"port limit fault", &serverFaultError{server: serverWithID("x"), msg: "Maximum number of ports exceeded"}, codes.ResourceExhausted,
			"server x went to ERROR: Maximum number of ports exceeded"},
		{"other fault", &serverFaultError{server: serverWithID("x"), msg: "Unexpected vif_type=binding_failed"}, codes.Internal,
			"server x went to ERROR: Unexpected vif_type=binding_failed"},
		{"rate limited", apiError(429, `{"message": "slow down"}`), codes.Unavailable,
			"creating server: HTTP 429: slow down"},
		{"bad gateway", apiError(502, `<html>bad gateway</html>`), codes.Unavailable,
			"creating server: HTTP 502: <html>bad gateway</html>"},
		{"internal server error", apiError(500, `{"computeFault": {"code": 500, "message": "oops"}}`), codes.Unavailable,
			"creating server: HTTP 500: oops"},
		// 5xx other than 501 is transient, as for the retry policy (openstack.classifyError).
		{"insufficient storage", apiError(507, `{"message": "full"}`), codes.Unavailable,
			"creating server: HTTP 507: full"},
		{"not implemented", apiError(501, `{"message": "no such API"}`), codes.Internal,
			"creating server: HTTP 501: no such API"},
		{"unavailable", apiError(503, `{"computeFault": {"code": 503, "message": "down"}}`), codes.Unavailable,
			"creating server: HTTP 503: down"},
		{"unauthorized", apiError(401, `{"error": {"code": 401, "title": "Unauthorized"}}`), codes.Unauthenticated,
			`creating server: HTTP 401: {"error": {"code": 401, "title": "Unauthorized"}}`},
		{"forbidden", apiError(403, `{"forbidden": {"code": 403, "message": "Policy doesn't allow os_compute_api:servers:create to be performed."}}`), codes.PermissionDenied,
			"creating server: HTTP 403: Policy doesn't allow os_compute_api:servers:create to be performed."},
		{"bad request", apiError(400, `{"badRequest": {"code": 400, "message": "Invalid key_name provided."}}`), codes.InvalidArgument,
			"creating server: HTTP 400: Invalid key_name provided."},
		{"not found", apiError(404, `{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}`), codes.NotFound,
			"creating server: HTTP 404: Instance x could not be found."},
		{"multiple", &openstack.MultipleFoundError{Kind: "server", Name: "a", Count: 2}, codes.OutOfRange,
			`2 servers are named "a", expected exactly one`},
		{"invalid spec", &invalidSpecError{errs: field.ErrorList{field.Required(field.NewPath("spec", "region"), "")}}, codes.InvalidArgument,
			"spec.region: Required value"},
		{"cinder gigabytes quota fault", &serverFaultError{server: serverWithID("x"), msg: "Build of instance x aborted: VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 50G, quota is 100G and 80G has been consumed."}, codes.ResourceExhausted,
			"server x went to ERROR: Build of instance x aborted: VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 50G, quota is 100G and 80G has been consumed."},
		{"cinder gigabytes quota", apiError(413, `{"overLimit": {"code": 413, "message": "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 50G, quota is 100G and 80G has been consumed."}}`), codes.ResourceExhausted,
			"creating server: HTTP 413: VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 50G, quota is 100G and 80G has been consumed."},
		{"flavor not offered", &flavorUnavailableError{err: fmt.Errorf(`flavor "SCS-16V-64": %w`, openstack.ErrNotFound)}, codes.ResourceExhausted,
			`flavor "SCS-16V-64" is not offered in this region and project (not found); the cluster-autoscaler may scale another worker pool`},
		{"image not found", &invalidReferenceError{err: fmt.Errorf(`image "ubuntu": %w`, openstack.ErrNotFound)}, codes.InvalidArgument,
			`image "ubuntu": not found`},
		{"stuck", &stuckError{server: serverWithID("x"), status: "BUILD", waited: "15m"}, codes.DeadlineExceeded,
			"server x was still BUILD after 15m"},
		{"connection reset", errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), codes.Unavailable,
			"read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := statusError("create machine m", tc.err)
			st, ok := status.FromError(err)
			if !ok {
				t.Fatalf("MCM cannot parse %q", err)
			}
			if st.Code() != tc.want {
				t.Fatalf("code = %s, want %s (%s)", st.Code(), tc.want, err)
			}
			if want := "create machine m: " + tc.msg; st.Message() != want {
				t.Fatalf("MCM reads the message as %q, want %q", st.Message(), want)
			}
		})
	}
}

func TestStatusErrorKeepsAPIMessage(t *testing.T) {
	err := statusError("create machine m", apiError(403, `{"forbidden": {"code": 403, "message": "Quota exceeded for cores"}}`))
	if !strings.Contains(err.Error(), "HTTP 403: Quota exceeded for cores") {
		t.Fatalf("got %q", err)
	}
}

func TestProviderID(t *testing.T) {
	id := encodeProviderID("RegionOne", "4f1c")
	if id != "openstack:///RegionOne/4f1c" {
		t.Fatalf("got %q", id)
	}
	for in, want := range map[string]string{id: "4f1c", "openstack:///4f1c": "4f1c"} {
		got, err := decodeProviderID(in)
		if err != nil || got != want {
			t.Fatalf("decode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "aws:///x/y", "openstack:///", "openstack:///r/"} {
		if _, err := decodeProviderID(bad); err == nil {
			t.Fatalf("decode(%q) should fail", bad)
		}
	}
}

func TestNovaTag(t *testing.T) {
	if got := novaTag("kubernetes.io-role-node"); got != "kubernetes.io-role-node" {
		t.Fatalf("short tags stay as they are, got %q", got)
	}
	long := "kubernetes.io-cluster-shoot--a-very-long-project-name--with-a-long-cluster-name"
	a, b := novaTag(long), novaTag(long+"x")
	if len(a) > novaTagMaxLen || len(b) > novaTagMaxLen || a == b || !strings.HasPrefix(a, "kubernetes.io-cluster-") {
		t.Fatalf("long tags must be <= 60 chars, unique and readable: %q %q", a, b)
	}
	if strings.ContainsAny(novaTag("a/b,c"), "/,") {
		t.Fatal("Nova tags may not contain / or ,")
	}
}

func TestOwnership(t *testing.T) {
	o := ownershipOf(&api.MachineProviderConfigSpec{Tags: map[string]string{
		"kubernetes.io-cluster-shoot--x": "1", "kubernetes.io-role-node": "1", "team": "a"}})
	byTags := &servers.Server{Tags: &[]string{"kubernetes.io-cluster-shoot--x", "kubernetes.io-role-node"}}
	byMetadata := &servers.Server{Metadata: map[string]string{"kubernetes.io-cluster-shoot--x": "1", "kubernetes.io-role-node": "1"}}
	otherCluster := &servers.Server{Metadata: map[string]string{"kubernetes.io-cluster-shoot--y": "1", "kubernetes.io-role-node": "1"}}
	if !o.ownsServer(byTags) || !o.ownsServer(byMetadata) || o.ownsServer(otherCluster) {
		t.Fatal("ownership by tags or metadata, never another cluster's")
	}
	if hasTags(byMetadata, o.serverTags()) || !hasTags(byTags, o.serverTags()) {
		t.Fatal("hasTags looks at Nova tags only")
	}
	if !o.ownsPort(&ports.Port{Tags: []string{"kubernetes.io-cluster-shoot--x"}}) ||
		!o.ownsPort(&ports.Port{Description: o.portDescription()}) ||
		o.ownsPort(&ports.Port{Tags: []string{"kubernetes.io-cluster-shoot--y"}}) {
		t.Fatal("ports are ours by the peer's tag or our description")
	}
}

func TestSanitizeKeepsBalancedBrackets(t *testing.T) {
	for in, want := range map[string]string{
		"spec.podNetworkCIDRs[0]: not a CIDR":     "spec.podNetworkCIDRs[0]: not a CIDR",
		"Quota exceeded for resources: ['port'].": "Quota exceeded for resources: ['port'].",
		"broken ] message [":                      "broken ) message (",
		"unclosed [ bracket":                      "unclosed ( bracket",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
		st, ok := status.FromError(status.Error(codes.Internal, sanitize(in)))
		if !ok || st.Message() != want {
			t.Errorf("MCM parses %q as %q", want, st.Message())
		}
	}
}

func serverWithID(id string) *openstack.Server {
	return &openstack.Server{Server: servers.Server{ID: id}}
}

func TestLearnedDurationStartsFromTheFirstObservation(t *testing.T) {
	var l learnedDuration
	if _, ok := l.firstWait(time.Millisecond, time.Minute); ok {
		t.Fatal("nothing learned yet: the default schedule applies")
	}
	l.observe(2*time.Second, false, 5*time.Second) // first look too early; seen done at 5 s
	if w, _ := l.firstWait(time.Millisecond, time.Minute); w != 5*time.Second {
		t.Fatalf("first wait after a miss = %v, want the observed 5s", w)
	}
	if w, _ := l.firstWait(time.Millisecond, 3*time.Second); w != 3*time.Second {
		t.Fatalf("first wait = %v, want the ceiling 3s", w)
	}
	if w, _ := l.firstWait(10*time.Second, time.Minute); w != 10*time.Second {
		t.Fatalf("first wait = %v, want the floor 10s", w)
	}
}

func TestLearnedDurationProbesEarlierAfterAHit(t *testing.T) {
	var l learnedDuration
	for range 4 {
		l.observe(5*time.Second, true, 5*time.Second) // done at the first look: the true time may be shorter
	}
	if w, _ := l.firstWait(time.Millisecond, time.Minute); w != 4250*time.Millisecond {
		t.Fatalf("first wait after hits at 5s = %v, want 4.25s", w)
	}
}

func TestLearnedDurationIgnoresOneSlowOutlier(t *testing.T) {
	var l learnedDuration
	for i := range 15 {
		l.observe(time.Second, false, time.Duration(25+i)*time.Second) // builds of 25-39 s
	}
	l.observe(time.Second, false, 120*time.Second) // one slow boot from volume
	w, _ := l.firstWait(time.Millisecond, 5*time.Minute)
	if w != 36*time.Second {
		t.Fatalf("first wait = %v, want the upper quartile 36s of the 25-39 s builds, not the 120 s outlier", w)
	}
	for range learnedSamples {
		l.observe(time.Second, false, 60*time.Second) // builds got slower for good
	}
	if w, _ := l.firstWait(time.Millisecond, 5*time.Minute); w != 60*time.Second {
		t.Fatalf("first wait = %v, want 60s once the last %d builds all took 60s", w, learnedSamples)
	}
}

func TestLearnersKeepBootModesAndRegionsApart(t *testing.T) {
	var l learners
	l.of(learnKey(opBuild, "prod1", true)).observe(time.Second, false, 90*time.Second)
	l.of(learnKey(opBuild, "prod1", false)).observe(time.Second, false, 20*time.Second)
	for key, want := range map[string]time.Duration{
		learnKey(opBuild, "prod1", true):  90 * time.Second,
		learnKey(opBuild, "prod1", false): 20 * time.Second,
	} {
		if w, _ := l.of(key).firstWait(time.Millisecond, 5*time.Minute); w != want {
			t.Fatalf("%q: first wait = %v, want %v", key, w, want)
		}
	}
	if _, ok := l.of(learnKey(opBuild, "prod2", true)).firstWait(time.Millisecond, time.Minute); ok {
		t.Fatal("another region has learned nothing yet")
	}
}

func TestNormalizeFoldsLegacyFieldsIntoTheirLists(t *testing.T) {
	subnet := "s1"
	spec := &api.MachineProviderConfigSpec{SubnetID: &subnet, SubnetIDs: []string{"s2", "s1"},
		PodNetworkCidr: "100.96.0.0/11", PodNetworkCIDRs: []string{"100.96.0.0/11", "fd00::/48"}}
	normalize(spec)
	if spec.SubnetID != nil || fmt.Sprint(spec.SubnetIDs) != "[s1 s2]" {
		t.Fatalf("subnets = %v, %v; want nil and [s1 s2]", spec.SubnetID, spec.SubnetIDs)
	}
	if spec.PodNetworkCidr != "" || fmt.Sprint(spec.PodNetworkCIDRs) != "[100.96.0.0/11 fd00::/48]" {
		t.Fatalf("pod CIDRs = %q, %v; want empty and [100.96.0.0/11 fd00::/48]", spec.PodNetworkCidr, spec.PodNetworkCIDRs)
	}
}

func TestUnansweredCreatesWaitOnlyForMachinesOfEarlierSeconds(t *testing.T) {
	started := time.Date(2026, 12, 7, 1, 0, 0, 700_000_000, time.UTC)
	u := &unansweredCreates{started: started, wait: time.Minute, sent: newMachineMoments(time.Minute)}
	s := &scope{key: "k"}
	if got := u.until(s, "m", started.Truncate(time.Second)); !got.IsZero() {
		t.Errorf("a Machine created in the second the process started in waits until %v; want no wait", got)
	}
	if got, want := u.until(s, "m", started.Add(-time.Second).Truncate(time.Second)), started.Add(time.Minute); !got.Equal(want) {
		t.Errorf("a Machine created the second before the process started waits until %v; want %v", got, want)
	}
	if got := u.until(s, "m", time.Time{}); !got.IsZero() {
		t.Errorf("a Machine without a creation time waits until %v; want no wait", got)
	}
}
