package framework

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
)

// StackOptions tune a Stack.
type StackOptions struct {
	// Dir holds the kubeconfig and the controllers' logs; a temp dir when empty.
	Dir string
	// Namespace is the control namespace MCM watches.
	Namespace string
	// Sim tunes the OpenStack simulator.
	Sim ossim.Options
	// CloudsFile, when set, runs against the real OpenStack of cloud CloudName in this
	// clouds.yaml instead of the simulator (see RealCloudFromEnv).
	CloudsFile, CloudName string
	// ProviderArgs are extra flags for our machine-controller.
	ProviderArgs []string
	// ProviderBinary, when set, is run as the provider's machine-controller instead of ours:
	// another provider built on MCM's provider app (test/bench runs gardener's
	// provider-openstack this way). BuildBinaries still builds MCM (and ours).
	ProviderBinary string
	// ProviderOwnDefaults leaves out the provider flags the stack sets for quick tests
	// (--machine-creation-timeout=5m and our --pco-poll-interval and --pco-max-poll-interval):
	// the provider then runs with its own defaults plus ProviderArgs. A ProviderBinary that does
	// not know our --pco-* flags needs it.
	ProviderOwnDefaults bool
	// SafetyOrphanPeriod is --machine-safety-orphan-vms-period (orphan collection).
	SafetyOrphanPeriod time.Duration
	// Verbosity is the controllers' -v.
	Verbosity int
}

// Stack is the whole local system: simulator, kube-apiserver + etcd, MCM core, our
// machine-controller and the node simulator.
type Stack struct {
	Opts StackOptions
	// Sim is the simulator; nil on a real cloud. Cloud is whichever of the two runs.
	Sim      *ossim.Sim
	Cloud    Cloud
	CP       *testenv.ControlPlane
	MCM      *Process
	Provider *Process
	Nodes    *NodeSimulator
	// ProviderPort serves our machine-controller's /metrics and /healthz on 127.0.0.1.
	ProviderPort int
	stopNodes    context.CancelFunc
	// common are the flags MCM and the provider share; ourProvider is our machine-controller.
	common      []string
	ourProvider string
}

// providerArgs are the provider's flags: the shared ones, its port and orphan period, the quick
// test settings unless ownDefaults, and extra.
func (s *Stack) providerArgs(ownDefaults bool, extra []string) []string {
	args := append(slices.Clone(s.common),
		fmt.Sprintf("--port=%d", s.ProviderPort),
		"--machine-safety-orphan-vms-period="+s.Opts.SafetyOrphanPeriod.String())
	if !ownDefaults {
		args = append(args, "--machine-creation-timeout=5m", "--pco-poll-interval=250ms", "--pco-max-poll-interval=1s")
	}
	return append(args, extra...)
}

// SwitchProvider stops the running provider and starts another in its place, as an operator
// changing the sidecar's image does: binary "" is our machine-controller with the stack's
// settings; any other binary runs with its own defaults (it does not know our flags), at -v=2,
// logging into the subfolder "other" (its logs are not ours to scan for secrets).
func (s *Stack) SwitchProvider(binary string) error {
	s.Provider.Stop()
	dir, ownDefaults, extra := filepath.Join(s.Opts.Dir, "other"), true, []string{"--v=2"}
	if binary == "" {
		binary, dir, ownDefaults, extra = s.ourProvider, s.Opts.Dir, s.Opts.ProviderOwnDefaults, s.Opts.ProviderArgs
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	p, err := StartProcess("machine-controller", dir, binary, s.providerArgs(ownDefaults, extra)...)
	if err != nil {
		return err
	}
	s.Provider = p
	return nil
}

// StartStack starts everything; call Stop to end it.
func StartStack(opts StackOptions) (_ *Stack, err error) {
	if opts.Namespace == "" {
		opts.Namespace = "machine-controller"
	}
	if opts.SafetyOrphanPeriod == 0 {
		opts.SafetyOrphanPeriod = 15 * time.Minute
	}
	if opts.Dir == "" {
		if opts.Dir, err = os.MkdirTemp("", "pco-stack-"); err != nil {
			return nil, err
		}
	}
	s := &Stack{Opts: opts}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	mcmBin, providerBin, err := BuildBinaries(filepath.Join(opts.Dir, "bin"))
	if err != nil {
		return nil, err
	}
	if opts.CloudsFile != "" {
		if s.Cloud, err = NewRealCloud(context.Background(), opts.CloudsFile, opts.CloudName); err != nil {
			return nil, err
		}
	} else {
		if s.Sim, err = ossim.Start(opts.Sim); err != nil {
			return nil, err
		}
		s.Cloud = simCloud{s.Sim}
	}
	if s.CP, err = testenv.StartControlPlane(opts.Dir); err != nil {
		return nil, err
	}
	ctx := context.Background()
	if _, err = s.CP.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: opts.Namespace}}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating the control namespace: %w", err)
	}

	v := fmt.Sprint(opts.Verbosity)
	common := []string{
		"--control-kubeconfig=" + s.CP.KubeconfigPath,
		"--target-kubeconfig=" + s.CP.KubeconfigPath,
		"--namespace=" + opts.Namespace,
		"--leader-elect=false",
		"--address=127.0.0.1",
		"--v=" + v,
	}
	mcmPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	if s.ProviderPort, err = FreePort(); err != nil {
		return nil, err
	}
	if s.MCM, err = StartProcess("machine-controller-manager", opts.Dir, mcmBin,
		append(common, fmt.Sprintf("--port=%d", mcmPort), "--safety-up=2", "--safety-down=1", "--machine-safety-overshooting-period=1m")...); err != nil {
		return nil, err
	}
	s.common, s.ourProvider = common, providerBin
	if opts.ProviderBinary != "" {
		providerBin = opts.ProviderBinary
	}
	if s.Provider, err = StartProcess("machine-controller", opts.Dir, providerBin, s.providerArgs(opts.ProviderOwnDefaults, opts.ProviderArgs)...); err != nil {
		return nil, err
	}

	nodeCtx, cancel := context.WithCancel(context.Background())
	s.stopNodes = cancel
	s.Nodes = &NodeSimulator{Cloud: s.Cloud, Client: s.CP.Clientset, Region: s.Cloud.Fixture().Region}
	go s.Nodes.Run(nodeCtx)
	return s, nil
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Stop ends every part of the stack (safe to call twice).
func (s *Stack) Stop() {
	if s == nil {
		return
	}
	if s.stopNodes != nil {
		s.stopNodes()
	}
	s.Provider.Stop()
	s.MCM.Stop()
	if s.CP != nil {
		_ = s.CP.Stop()
	}
	if s.Cloud != nil {
		s.Cloud.Close()
	}
	if s.Sim != nil {
		s.Sim.Close()
	}
}

// Pid is the process ID of the running process (0 when it never started).
func (p *Process) Pid() int {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Healthy reports a controller that died.
func (s *Stack) Healthy() error {
	var errs []error
	for _, p := range []*Process{s.MCM, s.Provider} {
		if p != nil && !p.Running() {
			errs = append(errs, fmt.Errorf("%s exited; last log lines:\n%s", p.Name, p.Tail(3000)))
		}
	}
	return errors.Join(errs...)
}
