package integration_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pco-mcm/mcm-provider-pco/pkg/logfilter"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	"github.com/pco-mcm/mcm-provider-pco/test/secretscan"
)

// No secret in any log (issue 7, item 5): the suite runs every controller at its most verbose
// (MCM and our machine-controller at --v=10, where client-go dumps requests and responses; the
// in-process reseller controller and registrar at zap V 4 (see logInProcess), with client-go at -v=10,
// which their binaries do not even offer),
// records every secret value it creates or learns while the specs run, and at the end
// (AfterSuite) looks for each of them, raw, base64 and escaped, in every log file, every
// version of every Machine and Event, and the controllers' /metrics. A finding fails the suite
// with the secret's name, the file and the line, never the value.
//
// The secrets: every value under a secret key (password, applicationCredentialSecret,
// token-secret, userData, clouds.yaml and kubeconfig contents, ...) of every Secret of the
// cluster, each version (rotations included), watched from the start, so the reseller chain's
// generated passwords and application credential secrets and MCM's short-lived bootstrap tokens
// are all known; the cloud fixture's password; the admin kubeconfig's client key; on a real
// cloud, the secrets of the PCO_E2E_CLOUDS clouds.yaml. With the simulator also its seeded
// passwords and application credential secret, the userData its servers got, and every Keystone
// token issued through a token-recording proxy the example Secret's authURL points at (the
// simulator itself has no accessor for the tokens it issued; the reseller chain's Region talks
// to the simulator's Keystone directly). Tokens nobody recorded are found by their shape
// (Fernet tokens, JWTs, PEM private keys) in both modes.

// inProcessLog and inProcessKlog are the logs of what runs inside the test process: the
// reseller controller and registrar managers (controller-runtime's zap logger) and client-go
// (klog).
const (
	inProcessLog  = "in-process-controllers.log"
	inProcessKlog = "in-process-klog.log"
)

// logInProcess sets the test process's logging up as cmd/reseller-controller and
// cmd/cluster-registrar do theirs (logfilter for klog, zap for controller-runtime), at the
// highest verbosity, into files of dir. It must run before any spec sets a logger:
// controller-runtime takes the first one only.
func logInProcess(dir string) error {
	zapFile, err := os.Create(filepath.Join(dir, inProcessLog))
	if err != nil {
		return err
	}
	klogFile, err := os.Create(filepath.Join(dir, inProcessKlog))
	if err != nil {
		return err
	}
	kfs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(kfs)
	for k, v := range map[string]string{"v": "10", "logtostderr": "false", "alsologtostderr": "false", "one_output": "true"} {
		if err := kfs.Set(k, v); err != nil {
			return err
		}
	}
	klog.SetOutput(klogFile)
	logfilter.Install()

	// The binaries' own flags: development mode (console encoder; logged objects in full) and
	// V level 4. Our controllers log at Info and Error only (no V levels), so 4 loses none of
	// their lines; above 4 controller-runtime v0.24.1's priority queue logs its items every 10 s
	// (V(5) "workqueue_items") after releasing its lock, which the race detector reports as a data
	// race with the queue's own goroutine (seen in a clean-clone run). Secret-relevant output (the
	// client-go body dumps) comes through klog, which runs at -v=10 above.
	var zo zap.Options
	zfs := flag.NewFlagSet("zap", flag.ContinueOnError)
	zo.BindFlags(zfs)
	if err := zfs.Parse([]string{"--zap-devel=true", "--zap-log-level=4"}); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo), zap.WriteTo(zapFile)))
	return nil
}

// inProcessTail is the end of the in-process controllers' log, for a failed spec's report.
func inProcessTail(n int) string {
	b, err := os.ReadFile(filepath.Join(stack.Opts.Dir, inProcessLog))
	if err != nil {
		return err.Error()
	}
	return string(b[max(0, len(b)-n):])
}

// secretScan records secrets and the objects that may show them while the suite runs.
type secretScan struct {
	sec   *secretscan.Secrets
	proxy *framework.TokenProxy // simulator only
	stop  context.CancelFunc
	done  sync.WaitGroup

	mu      sync.Mutex
	objects []recordedObject
	seen    map[[sha256.Size]byte]bool
}

// recordedObject is one version of a Machine or an Event.
type recordedObject struct {
	place string
	json  []byte
}

var scan *secretScan

// keystoneProxy is the simulator with the fixture's Keystone URL going through the token proxy:
// ExampleObjects puts it into the credentials Secret, so the driver's tokens pass the proxy.
type keystoneProxy struct {
	framework.Cloud
	authURL string
}

func (c keystoneProxy) Fixture() framework.CloudFixture {
	fx := c.Cloud.Fixture()
	fx.AuthURL = c.authURL
	return fx
}

// startSecretScan begins recording; call it right after StartStack, before any spec.
func startSecretScan(cloudsFile string) (*secretScan, error) {
	s := &secretScan{sec: secretscan.NewSecrets(), seen: map[[sha256.Size]byte]bool{}}
	s.sec.Add("cloud fixture password", stack.Cloud.Fixture().Password)
	cfg := stack.CP.Config
	s.sec.AddPEM("admin kubeconfig client key", cfg.KeyData)
	s.sec.Add("admin kubeconfig bearer token", cfg.BearerToken)
	s.sec.Add("admin kubeconfig password", cfg.Password)
	if b, err := os.ReadFile(stack.CP.KubeconfigPath); err == nil {
		s.sec.AddStructured("admin kubeconfig", string(b))
	}
	if cloudsFile != "" {
		b, err := os.ReadFile(cloudsFile)
		if err != nil {
			return nil, err
		}
		s.sec.AddStructured("PCO_E2E_CLOUDS clouds.yaml", string(b))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if stack.Sim != nil {
		// Simulator only: its seed, its Keystone behind a token-recording proxy and the userData
		// of its servers. A real cloud has none of these to offer (its tokens are found by
		// their shape, its user data is not readable, its login is in the clouds.yaml).
		seed := stack.Sim.Seed()
		s.sec.Add("simulator password", seed.Password)
		s.sec.Add("simulator other user's password", seed.OtherPassword)
		s.sec.Add("simulator reseller password", seed.ResellerPassword)
		s.sec.Add("simulator application credential secret", seed.AppCredSecret)
		p, err := framework.StartTokenProxy(stack.Sim.URL())
		if err != nil {
			cancel()
			return nil, err
		}
		s.proxy = p
		stack.Cloud = keystoneProxy{Cloud: stack.Cloud, authURL: p.URL + "/identity/v3"}
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			for {
				s.collectSimUserData()
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		}()
	}
	if err := s.watch(ctx); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// collectSimUserData adds the userData the simulator's servers got, whole and their bootstrap
// tokens (servers come and go, so this runs every second).
func (s *secretScan) collectSimUserData() {
	for _, srv := range stack.Sim.Servers() {
		s.sec.Add("userData of server "+srv.Name, srv.UserData)
	}
	framework.CollectSimUserData(s.sec, stack.Sim)
}

var (
	secretsGVR  = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	eventsGVR   = schema.GroupVersionResource{Version: "v1", Resource: "events"}
	machinesGVR = mcmv1alpha1.SchemeGroupVersion.WithResource("machines")
)

// watch follows every Secret (for their values), Machine and Event (for every version of
// them: a Machine's status changes and the Machine is gone by the end) in all namespaces.
func (s *secretScan) watch(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(stack.CP.Config)
	if err != nil {
		return err
	}
	factory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	handle := func(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
		on := func(obj any) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				return
			}
			if gvr == secretsGVR {
				var sec corev1.Secret
				if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &sec) == nil {
					s.sec.AddSecret(&sec)
				}
				return
			}
			s.record(u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName(), u)
		}
		return cache.ResourceEventHandlerFuncs{AddFunc: on, UpdateFunc: func(_, obj any) { on(obj) }}
	}
	var synced []cache.InformerSynced
	for _, gvr := range []schema.GroupVersionResource{secretsGVR, eventsGVR, machinesGVR} {
		inf := factory.ForResource(gvr).Informer()
		if _, err := inf.AddEventHandler(handle(gvr)); err != nil {
			return err
		}
		synced = append(synced, inf.HasSynced)
	}
	factory.Start(ctx.Done())
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		<-ctx.Done()
		factory.Shutdown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("the secret scan's informers did not sync")
	}
	return nil
}

func (s *secretScan) record(place string, u *unstructured.Unstructured) {
	u = u.DeepCopy()
	u.SetManagedFields(nil)
	b, err := json.Marshal(u.Object)
	if err != nil {
		return
	}
	sum := sha256.Sum256(append([]byte(place+"\x00"), b...))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen[sum] {
		s.seen[sum] = true
		s.objects = append(s.objects, recordedObject{place, b})
	}
}

// mcmPortFlag finds MCM's --port (its /metrics) in its log: it logs its flags at -v=1 and up
// (FLAG: --port="41969").
var mcmPortFlag = regexp.MustCompile(`FLAG: --port="(\d+)"`)

func mcmMetricsPort() int {
	b, err := os.ReadFile(stack.MCM.LogPath)
	if err != nil {
		return 0
	}
	m := mcmPortFlag.FindSubmatch(b)
	if m == nil {
		return 0
	}
	port, _ := strconv.Atoi(string(m[1]))
	return port
}

// inProcessMetrics renders controller-runtime's registry, where the in-process reseller
// controller and registrar put their metrics (their managers serve none here).
func inProcessMetrics() string {
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(crmetrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// finish stops recording, scans everything and fails with the findings.
func (s *secretScan) finish(ctx context.Context) {
	s.stop()
	s.done.Wait()
	if stack.Sim != nil {
		s.collectSimUserData()
	}
	s.sec.CollectBootstrapTokens(ctx, stack.CP.Clientset)
	issued := 0
	if s.proxy != nil {
		defer s.proxy.Close()
		for i, t := range s.proxy.Tokens() {
			s.sec.Add(fmt.Sprintf("Keystone token #%d", i+1), t)
			issued++
		}
	}
	klog.Flush()

	sc := secretscan.NewScanner(s.sec.AllNeedles())
	sc.TokenShapes = true
	var findings []secretscan.Finding

	// Every log file of the stack's folder: MCM's, our machine-controller's and the in-process
	// ones.
	logs, err := filepath.Glob(filepath.Join(stack.Opts.Dir, "*.log"))
	Expect(err).NotTo(HaveOccurred())
	sort.Strings(logs)
	lines := 0
	for _, path := range logs {
		b, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		lines += bytes.Count(b, []byte{'\n'})
		findings = append(findings, sc.ScanLog(filepath.Base(path), b)...)
	}

	// Every version of the Machines and Events seen while the specs ran, and what is there now
	// (MachineSets and MachineDeployments too).
	s.mu.Lock()
	objects := s.objects
	s.mu.Unlock()
	current, _, err := framework.MCMObjectsJSON(ctx, stack.CP.Client)
	Expect(err).NotTo(HaveOccurred())
	for _, o := range current {
		objects = append(objects, recordedObject{o.Place, o.JSON})
	}
	for _, o := range objects {
		findings = append(findings, sc.Scan(o.place, o.json)...)
	}

	// The controllers' metrics.
	metrics := map[string]string{
		"machine-controller /metrics":   secretscan.ScrapeMetrics(stack.ProviderPort),
		"in-process controller metrics": inProcessMetrics(),
	}
	if port := mcmMetricsPort(); port != 0 {
		metrics["machine-controller-manager /metrics"] = secretscan.ScrapeMetrics(port)
	}
	metricLines := 0
	for place, text := range metrics {
		metricLines += bytes.Count([]byte(text), []byte{'\n'})
		findings = append(findings, sc.Scan(place, []byte(text))...)
	}

	// To GinkgoWriter (shown when the suite fails) and stdout (shown with go test -v).
	out := io.MultiWriter(GinkgoWriter, os.Stdout)
	fmt.Fprintf(out, "\nsecrets: %d values (%d too short to look for, %d Keystone tokens through the proxy) in %d forms; "+
		"logs in %s; scanned %d log files, %d object versions, %d metrics lines (%d endpoints)\n",
		s.sec.Len(), s.sec.TooShort(), issued, len(sc.Needles), stack.Opts.Dir, len(logs), len(objects), metricLines, len(metrics))
	fmt.Fprintf(out, "secrets known: %s\n", s.sec.Kinds())
	secretscan.ReportFindings(out, findings)
	line := fmt.Sprintf("SECRETS scanned_files=%d scanned_lines=%d secrets=%d leaked=%d", len(logs), lines, s.sec.Len(), len(findings))
	fmt.Fprintln(out, line)
	AddReportEntry("secret scan", line)
	if len(findings) > 0 {
		Fail(fmt.Sprintf("%d secret(s) found (secret, form, place:line; logs in %s):\n%s", len(findings), stack.Opts.Dir, secretscan.FindingList(findings, 100)))
	}
}
