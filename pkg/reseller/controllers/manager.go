package controllers

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
)

// Scheme knows the core kinds and pco.plusserver.com.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = pcov1.AddToScheme(s)
	return s
}

// ManagerOptions are the reseller controller's command-line settings.
type ManagerOptions struct {
	Options
	MetricsAddr, HealthAddr string
	LeaderElect             bool
	// SkipNameValidation allows more than one manager in a process (tests playing two clusters).
	SkipNameValidation bool
}

// AddFlags registers the settings on fs.
func (o *ManagerOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "namespace of the controller identifier Secret (default $POD_NAMESPACE)")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address of /metrics (0 disables)")
	fs.StringVar(&o.HealthAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect a leader (for more than one replica)")
	fs.Func("secret-namespaces", "comma-separated namespaces whose Secrets the controller reads and writes (Region accounts, Users' and bindings' Secrets), besides --namespace; empty: all, which needs a cluster-wide read of Secrets", func(v string) error {
		o.SecretNamespaces = nil
		for _, ns := range strings.Split(v, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				o.SecretNamespaces = append(o.SecretNamespaces, ns)
			}
		}
		return nil
	})
	fs.BoolVar(&o.AdoptUnrecorded, "adopt-unrecorded", true, "take over OpenStack projects and users without an owner record (made by pco-reseller-operator) when no other object of this cluster maps to their name; false refuses them")
}

// secretCache limits the cache of Secrets to --secret-namespaces (and the identifier's
// namespace), so that the controller needs no cluster-wide read of Secrets.
func secretCache(o Options) map[client.Object]cache.ByObject {
	scope := newSecretScope(o.SecretNamespaces, o.Namespace)
	if scope.namespaces == nil {
		return nil
	}
	only := map[string]cache.Config{}
	for _, ns := range scope.list() {
		only[ns] = cache.Config{}
	}
	return map[client.Object]cache.ByObject{&corev1.Secret{}: {Namespaces: only}}
}

// NewManager builds a manager with the reseller controllers registered.
func NewManager(ctx context.Context, cfg *rest.Config, o ManagerOptions) (ctrl.Manager, string, error) {
	if o.Namespace == "" {
		return nil, "", fmt.Errorf("--namespace (or POD_NAMESPACE) is required: it holds the controller identifier")
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.HealthAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        "pco-reseller-controller",
		LeaderElectionNamespace: o.Namespace,
		Controller:              config.Controller{SkipNameValidation: &o.SkipNameValidation},
		Cache:                   cache.Options{ByObject: secretCache(o.Options)},
	})
	if err != nil {
		return nil, "", err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, "", err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, "", err
	}
	id, err := Setup(ctx, mgr, o.Options)
	return mgr, id, err
}
