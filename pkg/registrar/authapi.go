package registrar

import (
	"flag"
	"fmt"
	"net"
	"net/http"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/pco-mcm/mcm-provider-pco/pkg/authapi"
)

// AuthAPIOptions are the settings of the per-user auth API (auth.registry.pco-mcm.io, see
// pkg/authapi) the registrar serves beside its controllers.
type AuthAPIOptions struct {
	// Port 0 (the default) leaves the API out.
	Port        int
	BindAddress string
	// CertDir holds tls.crt and tls.key (and ca.crt); empty: self-signed in memory.
	CertDir string
	// RegisterAPIService makes the registrar create or update the APIService itself.
	RegisterAPIService bool
	// APIServiceOwner is a ClusterRole that owns the registered APIService (see
	// authapi.Options.APIServiceOwner).
	APIServiceOwner string
	// ServiceNamespace (default: the registry namespace), ServiceName and ServicePort are the
	// Service in front of the API, as the APIService refers to it.
	ServiceNamespace, ServiceName string
	ServicePort                   int
	// MaxWatchesPerUser, AuditPolicyFile, AuditLogPath and EnableProfiling: see
	// authapi.Options.
	MaxWatchesPerUser             int
	AuditPolicyFile, AuditLogPath string
	EnableProfiling               bool
}

// AddFlags registers the settings on fs.
func (o *AuthAPIOptions) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Port, "authapi-port", 0, "port of the aggregated per-user auth API auth.registry.pco-mcm.io (0 disables it)")
	fs.StringVar(&o.BindAddress, "authapi-bind-address", "0.0.0.0", "address the auth API listens on")
	fs.StringVar(&o.CertDir, "authapi-cert-dir", "", "folder with the auth API's serving certificate tls.crt and tls.key (and ca.crt for --authapi-register-apiservice), e.g. a mounted cert-manager Secret; empty: self-signed in memory")
	fs.BoolVar(&o.RegisterAPIService, "authapi-register-apiservice", false, "create or update the APIService v1alpha1.auth.registry.pco-mcm.io with this process's CA")
	fs.StringVar(&o.APIServiceOwner, "authapi-apiservice-owner", "", "ClusterRole that owns the registered APIService, so that deleting it (a chart uninstall) deletes the APIService too")
	fs.StringVar(&o.ServiceNamespace, "authapi-service-namespace", "", "namespace of the auth API's Service (default: --registry-namespace)")
	fs.StringVar(&o.ServiceName, "authapi-service-name", "pco-mcm-authapi", "name of the auth API's Service")
	fs.IntVar(&o.ServicePort, "authapi-service-port", 443, "port of the auth API's Service")
	fs.IntVar(&o.MaxWatchesPerUser, "authapi-max-watches-per-user", 10, "concurrent watches one user may have open on the auth API; past it a watch gets 429 (negative: no cap)")
	fs.StringVar(&o.AuditPolicyFile, "authapi-audit-policy-file", "", "audit policy (audit.k8s.io/v1 Policy) for the auth API's requests; needs --authapi-audit-log-path")
	fs.StringVar(&o.AuditLogPath, "authapi-audit-log-path", "", "where the auth API writes its audit events ('-': standard output)")
	fs.BoolVar(&o.EnableProfiling, "authapi-profiling", false, "serve /debug/pprof on the auth API's port")
}

// setupAuthAPI adds the auth API to the manager as a runnable that every replica runs (no
// leader election: the Service balances over all of them), and to its readiness check.
func setupAuthAPI(mgr ctrl.Manager, o Options) error {
	a := o.AuthAPI
	ip := net.ParseIP(a.BindAddress)
	if ip == nil {
		return fmt.Errorf("--authapi-bind-address %q is not an IP address", a.BindAddress)
	}
	kubeconfig := o.ControlKubeconfig
	if kubeconfig == "inClusterConfig" {
		kubeconfig = "" // delegated authentication and authorization use the in-cluster config then
	}
	ns := a.ServiceNamespace
	if ns == "" {
		ns = o.Namespace
	}
	srv, err := authapi.NewServer(authapi.Options{
		Kubeconfig:         kubeconfig,
		Config:             mgr.GetConfig(),
		BindAddress:        ip,
		BindPort:           a.Port,
		ServiceNamespace:   ns,
		ServiceName:        a.ServiceName,
		ServicePort:        a.ServicePort,
		CertDir:            a.CertDir,
		SecretNamespace:    o.Namespace, // the registrar writes the users' Secrets there
		RegisterAPIService: a.RegisterAPIService,
		APIServiceOwner:    a.APIServiceOwner,
		MaxWatchesPerUser:  a.MaxWatchesPerUser,
		AuditPolicyFile:    a.AuditPolicyFile,
		AuditLogPath:       a.AuditLogPath,
		EnableProfiling:    a.EnableProfiling,
	})
	if err != nil {
		return fmt.Errorf("auth API: %w", err)
	}
	if err := mgr.Add(srv); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("authapi", func(*http.Request) error {
		if !srv.Ready() {
			return fmt.Errorf("the auth API's informers have not synced")
		}
		return nil
	})
}
