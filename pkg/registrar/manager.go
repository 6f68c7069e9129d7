package registrar

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar/connect"
)

// Scheme knows the core kinds, MCM's and the registry's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = mcmv1alpha1.AddToScheme(s)
	_ = regv1.AddToScheme(s)
	return s
}

// Options are the registrar's settings (flags of cmd/cluster-registrar).
type Options struct {
	// ControlKubeconfig and TargetKubeconfig as MCM's (empty or "inClusterConfig": in-cluster).
	ControlKubeconfig, TargetKubeconfig string
	// ControlNamespace is MCM's namespace.
	ControlNamespace string
	// Namespace holds the registry's Secrets (default $POD_NAMESPACE, else ControlNamespace).
	Namespace string
	// TargetAuthSecret ("namespace/name") is registered as the clusters' ClusterAuthInfo.
	TargetAuthSecret string
	// TargetEndpoint overrides the endpoint shown for the target (default: its kubeconfig's server).
	TargetEndpoint              string
	MetricsAddr, HealthAddr     string
	LeaderElect                 bool
	Resync                      time.Duration
	SkipNameValidation          bool
	ControlConfig, TargetConfig *rest.Config // set directly by tests instead of the kubeconfig paths
	// DisableConnect leaves the ClusterConnect controller out (tests of automatic registration).
	DisableConnect bool
	// AuthAPI serves the per-user auth API when its Port is set.
	AuthAPI AuthAPIOptions
	// Connect limits what ClusterConnects may reach.
	Connect connect.Options
}

// AddFlags registers the settings on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.ControlKubeconfig, "control-kubeconfig", "", "kubeconfig of the control cluster (MCM's objects and the registry); empty: in-cluster")
	fs.StringVar(&o.TargetKubeconfig, "target-kubeconfig", "", "kubeconfig of the target cluster the machines join; empty: the control cluster")
	fs.StringVar(&o.ControlNamespace, "namespace", "", "MCM's control namespace")
	fs.StringVar(&o.Namespace, "registry-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the registry's Secrets (default $POD_NAMESPACE, else --namespace)")
	fs.StringVar(&o.TargetAuthSecret, "target-auth-secret", "", "namespace/name of a Secret with the target's kubeconfig, registered as the clusters' auth data")
	fs.StringVar(&o.TargetEndpoint, "target-endpoint", "", "API server URL to register for the target (default: from its kubeconfig)")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8082", "address of /metrics (0 disables)")
	fs.StringVar(&o.HealthAddr, "health-probe-bind-address", ":8083", "address of /healthz and /readyz")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect a leader (for more than one replica)")
	fs.DurationVar(&o.Resync, "resync", 30*time.Second, "how often node readiness and the target's version are re-read")
	o.AuthAPI.AddFlags(fs)
	o.Connect.AddFlags(fs)
}

func loadConfig(path string) (*rest.Config, error) {
	if path == "" || path == "inClusterConfig" {
		return ctrl.GetConfig()
	}
	return clientcmd.BuildConfigFromFlags("", path)
}

// NewManager builds the registrar's manager with its controllers.
func NewManager(ctx context.Context, o Options) (ctrl.Manager, error) {
	if o.ControlNamespace == "" {
		return nil, fmt.Errorf("--namespace (MCM's control namespace) is required")
	}
	if o.Namespace == "" {
		o.Namespace = o.ControlNamespace
	}
	control, target := o.ControlConfig, o.TargetConfig
	var err error
	if control == nil {
		if control, err = loadConfig(o.ControlKubeconfig); err != nil {
			return nil, fmt.Errorf("control kubeconfig: %w", err)
		}
	}
	if target == nil {
		if o.TargetKubeconfig == "" {
			target = control
		} else if target, err = loadConfig(o.TargetKubeconfig); err != nil {
			return nil, fmt.Errorf("target kubeconfig: %w", err)
		}
	}
	// MCM's objects are read from the control namespace only; the registry is cluster-scoped
	// and connect reads kubeconfig Secrets wherever they are, through the API reader. The
	// cache holds Secrets of the control namespace (the MachineClasses'), the registry's and
	// --target-auth-secret's only, so no cluster-wide read of Secrets is needed.
	only := map[string]cache.Config{o.ControlNamespace: {}}
	secretNamespaces := map[string]cache.Config{o.ControlNamespace: {}, o.Namespace: {}}
	var targetAuth *types.NamespacedName
	if o.TargetAuthSecret != "" {
		ns, name, ok := strings.Cut(o.TargetAuthSecret, "/")
		if !ok || ns == "" || name == "" {
			return nil, fmt.Errorf("--target-auth-secret %q: want namespace/name", o.TargetAuthSecret)
		}
		targetAuth = &types.NamespacedName{Namespace: ns, Name: name}
		secretNamespaces[ns] = cache.Config{}
	}
	mgr, err := ctrl.NewManager(control, ctrl.Options{
		Scheme:                  Scheme(),
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.HealthAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        "pco-cluster-registrar",
		LeaderElectionNamespace: o.Namespace,
		Controller:              config.Controller{SkipNameValidation: &o.SkipNameValidation},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&mcmv1alpha1.MachineDeployment{}: {Namespaces: only},
			&mcmv1alpha1.MachineClass{}:      {Namespaces: only},
			&mcmv1alpha1.Machine{}:           {Namespaces: only},
			&corev1.Secret{}:                 {Namespaces: secretNamespaces},
		}},
	})
	if err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	recorder := mgr.GetEventRecorder("pco-cluster-registrar")
	targetClient, err := kubernetes.NewForConfig(target)
	if err != nil {
		return nil, err
	}
	cr := &ClusterReconciler{Client: mgr.GetClient(), ControlNamespace: o.ControlNamespace, Target: targetClient,
		TargetEndpoint: o.TargetEndpoint, Recorder: recorder, Resync: o.Resync}
	if cr.TargetEndpoint == "" {
		cr.TargetEndpoint = target.Host
	}
	cr.TargetAuthSecret = targetAuth
	if err := cr.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if !o.DisableConnect {
		if err := setupConnect(mgr, o.Namespace, recorder, o.Connect); err != nil {
			return nil, err
		}
	}
	if o.AuthAPI.Port != 0 {
		if err := setupAuthAPI(mgr, o); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}
