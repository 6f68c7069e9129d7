package authapi

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilcompatibility "k8s.io/apiserver/pkg/util/compatibility"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
)

// Options configure a Server.
type Options struct {
	// Kubeconfig is the management cluster's kubeconfig: the kube-apiserver that authentication
	// (TokenReview, the extension-apiserver-authentication ConfigMap with the client and
	// front-proxy CAs) and authorization (SubjectAccessReview) are delegated to, and where the
	// registry's ClusterUserAuths, ClusterInfos and Secrets are read. Empty: in-cluster.
	Kubeconfig string
	// Config reads the registry (default: from Kubeconfig).
	Config *restclient.Config
	// BindAddress defaults to 127.0.0.1.
	BindAddress net.IP
	// BindPort 0 picks a free port.
	BindPort int
	// ServiceNamespace and ServiceName are the Service the APIService refers to; the
	// self-signed serving certificate is valid for <name>.<namespace>.svc. Defaults:
	// kube-system, pco-mcm-authapi.
	ServiceNamespace, ServiceName string
	// ServicePort is the Service's port in the APIService (default: the port listened on).
	ServicePort int
	// CertDir holds the serving certificate as tls.crt and tls.key (a mounted kubernetes.io/tls
	// Secret, e.g. cert-manager's; re-read when they change) and, for RegisterAPIService, the
	// CA as ca.crt. Empty: a self-signed certificate made in memory at start.
	CertDir string
	// SecretNamespace is where the registry's Secrets are (see SourceOptions).
	SecretNamespace string
	// RegisterAPIService makes Run create or update the APIService with this server's CA,
	// instead of leaving it to a chart (it needs create, get and update on apiservices).
	RegisterAPIService bool
	// APIServiceOwner names a ClusterRole the registered APIService is owned by (its
	// ownerReference): when a chart uninstall deletes that ClusterRole, the garbage collector
	// deletes the APIService, which would otherwise point at a Service that is gone and
	// break discovery (and namespace deletion) cluster-wide. Needs get on that ClusterRole.
	APIServiceOwner string
	// MaxWatchesPerUser caps one user's concurrent watches (see SourceOptions).
	MaxWatchesPerUser int
	// AuditPolicyFile is a kube-apiserver audit policy (audit.k8s.io/v1 Policy) for this
	// server's requests; AuditLogPath where the events go ("-": standard output). Both empty:
	// no audit log (the kube-apiserver audits the requests it proxies here anyway, at its
	// own policy).
	AuditPolicyFile, AuditLogPath string
	// EnableProfiling serves /debug/pprof; off by default (it lets any caller the
	// authorizer allows on that path profile the process).
	EnableProfiling bool
}

// Server is the aggregated API server of auth.registry.pco-mcm.io.
type Server struct {
	generic  *genericapiserver.GenericAPIServer
	source   *Source
	opts     Options
	port     int
	caBundle []byte
	cfg      *restclient.Config
}

// NewServer builds the server: a listener on BindAddress, the serving certificate (from
// CertDir or self-signed), delegated authentication (anonymous requests are refused) and
// authorization, and the resources clusteruserauths and clusters, read from informers that
// Run starts.
func NewServer(opts Options) (*Server, error) {
	if opts.BindAddress == nil {
		opts.BindAddress = net.IPv4(127, 0, 0, 1)
	}
	if opts.ServiceNamespace == "" {
		opts.ServiceNamespace = "kube-system"
	}
	if opts.ServiceName == "" {
		opts.ServiceName = "pco-mcm-authapi"
	}
	cfg := opts.Config
	if cfg == nil {
		var err error
		if cfg, err = clientcmd.BuildConfigFromFlags("", opts.Kubeconfig); err != nil {
			return nil, err
		}
	}
	source, err := NewSource(cfg, SourceOptions{SecretNamespace: opts.SecretNamespace, MaxWatchesPerUser: opts.MaxWatchesPerUser})
	if err != nil {
		return nil, err
	}

	scheme := runtime.NewScheme()
	if err := authv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	metav1.AddToGroupVersion(scheme, unversioned)
	scheme.AddUnversionedTypes(unversioned, &metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{},
		&metav1.APIGroup{}, &metav1.APIResourceList{})
	codecs := serializer.NewCodecFactory(scheme)

	listener, err := net.Listen("tcp", net.JoinHostPort(opts.BindAddress.String(), strconv.Itoa(opts.BindPort)))
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		_ = listener.Close()
		return nil, err
	}
	serving := genericoptions.NewSecureServingOptions().WithLoopback()
	serving.BindAddress = opts.BindAddress
	serving.Listener = listener
	serving.BindPort = listener.Addr().(*net.TCPAddr).Port
	serving.ServerCert.CertDirectory, serving.ServerCert.PairName = "", "" // never written to disk
	var caBundle []byte
	if opts.CertDir != "" {
		serving.ServerCert.CertKey.CertFile = filepath.Join(opts.CertDir, corev1.TLSCertKey)
		serving.ServerCert.CertKey.KeyFile = filepath.Join(opts.CertDir, corev1.TLSPrivateKeyKey)
		if opts.RegisterAPIService {
			if caBundle, err = os.ReadFile(filepath.Join(opts.CertDir, "ca.crt")); err != nil {
				return fail(fmt.Errorf("registering the APIService needs the CA (ca.crt) beside the serving certificate: %w", err))
			}
		}
	} else {
		svcDNS := opts.ServiceName + "." + opts.ServiceNamespace + ".svc"
		if err := serving.MaybeDefaultWithSelfSignedCerts(opts.BindAddress.String(),
			[]string{svcDNS, svcDNS + ".cluster.local", "localhost"}, []net.IP{opts.BindAddress}); err != nil {
			return fail(err)
		}
		if caBundle, err = servingCA(serving); err != nil {
			return fail(err)
		}
	}

	authn := genericoptions.NewDelegatingAuthenticationOptions()
	authn.RemoteKubeConfigFile = opts.Kubeconfig
	authz := genericoptions.NewDelegatingAuthorizationOptions()
	authz.RemoteKubeConfigFile = opts.Kubeconfig

	config := genericapiserver.NewRecommendedConfig(codecs)
	config.EffectiveVersion = utilcompatibility.DefaultBuildEffectiveVersion()
	namer := openapinamer.NewDefinitionNamer(scheme)
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(GetOpenAPIDefinitions, namer)
	config.OpenAPIConfig.Info.Title = "pco-mcm-authapi"
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(GetOpenAPIDefinitions, namer)
	config.OpenAPIV3Config.Info.Title = "pco-mcm-authapi"
	if err := serving.ApplyTo(&config.SecureServing, &config.LoopbackClientConfig); err != nil {
		return fail(err)
	}
	if err := authn.ApplyTo(&config.Authentication, config.SecureServing, config.OpenAPIConfig); err != nil {
		return fail(err)
	}
	if err := authz.ApplyTo(&config.Authorization); err != nil {
		return fail(err)
	}
	config.Authentication.Authenticator = refuseAnonymous(config.Authentication.Authenticator)
	config.EnableProfiling, config.EnableContentionProfiling = opts.EnableProfiling, false
	if opts.AuditPolicyFile != "" || opts.AuditLogPath != "" {
		if opts.AuditPolicyFile == "" || opts.AuditLogPath == "" {
			return fail(fmt.Errorf("an audit log needs both a policy file and a log path"))
		}
		audit := genericoptions.NewAuditOptions()
		audit.PolicyFile, audit.LogOptions.Path = opts.AuditPolicyFile, opts.AuditLogPath
		if errs := audit.Validate(); len(errs) > 0 {
			return fail(fmt.Errorf("audit options: %v", errs))
		}
		if err := audit.ApplyTo(&config.Config); err != nil {
			return fail(fmt.Errorf("audit log: %w", err))
		}
	}
	// Not ready until the informers have delivered the registry: an empty list before that
	// would be a wrong answer, not a slow one.
	config.AddReadyzChecks(healthz.NamedCheck("registry-informers", func(*http.Request) error {
		if !source.HasSynced() {
			return fmt.Errorf("the registry's informers have not synced")
		}
		return nil
	}))

	generic, err := config.Complete().New("pco-mcm-authapi", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return fail(err)
	}

	authorizer := config.Authorization.Authorizer
	userAuths := NewStorage[*authv1alpha1.ClusterUserAuth, *authv1alpha1.ClusterUserAuthList](NewClusterUserAuthStore(source),
		func() *authv1alpha1.ClusterUserAuth { return &authv1alpha1.ClusterUserAuth{} },
		func() *authv1alpha1.ClusterUserAuthList { return &authv1alpha1.ClusterUserAuthList{} },
		authv1alpha1.Resource, "clusteruserauth", authorizer, WithTable(userAuthTable))
	clusters := NewStorage[*authv1alpha1.Cluster, *authv1alpha1.ClusterList](NewClusterStore(source),
		func() *authv1alpha1.Cluster { return &authv1alpha1.Cluster{} },
		func() *authv1alpha1.ClusterList { return &authv1alpha1.ClusterList{} },
		authv1alpha1.ClusterResource, "cluster", authorizer, WithTable(clusterTable))
	group := genericapiserver.NewDefaultAPIGroupInfo(authv1alpha1.GroupName, scheme, metav1.ParameterCodec, codecs)
	group.VersionedResourcesStorageMap[authv1alpha1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		authv1alpha1.Resource.Resource:        userAuths,
		authv1alpha1.ClusterResource.Resource: clusters,
	}
	if err := generic.InstallAPIGroup(&group); err != nil {
		return fail(err)
	}
	return &Server{generic: generic, source: source, opts: opts, port: serving.BindPort, caBundle: caBundle, cfg: cfg}, nil
}

// refuseAnonymous makes requests without credentials unauthenticated (401) instead of
// system:anonymous (the delegating authenticator always allows anonymous).
func refuseAnonymous(next authenticator.Request) authenticator.Request {
	return authenticator.RequestFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
		resp, ok, err := next.AuthenticateRequest(req)
		if !ok || err != nil || resp == nil || resp.User == nil || resp.User.GetName() == user.Anonymous {
			return nil, false, err
		}
		return resp, true, nil
	})
}

// servingCA is the CA of the self-signed serving certificate (the last one of the chain).
func servingCA(serving *genericoptions.SecureServingOptionsWithLoopback) ([]byte, error) {
	if serving.ServerCert.GeneratedCert == nil {
		return nil, fmt.Errorf("no self-signed serving certificate")
	}
	certPEM, _ := serving.ServerCert.GeneratedCert.CurrentCertKeyContent()
	var last []byte
	for remaining := certPEM; ; {
		var block *pem.Block
		block, remaining = pem.Decode(remaining)
		if block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err == nil {
			last = pem.EncodeToMemory(block)
		}
	}
	if last == nil {
		return nil, fmt.Errorf("no certificate in the self-signed serving certificate")
	}
	return last, nil
}

// Port is the port the server listens on.
func (s *Server) Port() int { return s.port }

// CABundle is the PEM CA of the server's serving certificate: the self-signed one's, or
// CertDir's ca.crt when RegisterAPIService is set (else nil).
func (s *Server) CABundle() []byte { return s.caBundle }

// Handler serves the API (for tests without TLS).
func (s *Server) Handler() http.Handler { return s.generic.Handler }

// Ready says whether the registry's informers have synced.
func (s *Server) Ready() bool { return s.source.HasSynced() }

// Run starts the informers, registers the APIService when asked to, and serves until ctx is
// done.
func (s *Server) Run(ctx context.Context) error {
	log := klog.FromContext(ctx).WithName("authapi")
	if err := s.source.Start(ctx); err != nil {
		return err
	}
	if s.opts.RegisterAPIService {
		// Registered in the background, retried until it works (the RBAC for it may come
		// with the same install), while the server already serves.
		go func() {
			_ = wait.PollUntilContextCancel(ctx, 5*time.Second, true, func(ctx context.Context) (bool, error) {
				if err := s.RegisterAPIService(ctx); err != nil {
					log.Error(err, "Registering the APIService; retrying", "apiService", s.APIService().GetName())
					return false, nil
				}
				log.Info("Registered the APIService", "apiService", s.APIService().GetName(),
					"service", s.opts.ServiceNamespace+"/"+s.opts.ServiceName)
				return true, nil
			})
		}()
	}
	log.Info("Serving", "group", authv1alpha1.SchemeGroupVersion.String(), "port", s.port)
	return s.generic.PrepareRun().RunWithContext(ctx)
}

// Start is Run, for a controller-runtime manager.
func (s *Server) Start(ctx context.Context) error { return s.Run(ctx) }

// NeedLeaderElection is false: every replica serves (the Service balances over them).
func (s *Server) NeedLeaderElection() bool { return false }

// RegisterAPIService creates the APIService, or updates its spec when it differs.
func (s *Server) RegisterAPIService(ctx context.Context) error {
	c, err := client.New(s.cfg, client.Options{})
	if err != nil {
		return err
	}
	want := s.APIService()
	if s.opts.APIServiceOwner != "" {
		var owner rbacv1.ClusterRole
		if err := c.Get(ctx, client.ObjectKey{Name: s.opts.APIServiceOwner}, &owner); err != nil {
			return fmt.Errorf("reading the APIService's owner ClusterRole %s: %w", s.opts.APIServiceOwner, err)
		}
		want.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole",
			Name: owner.Name, UID: owner.UID}})
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(APIServiceGVK)
	err = c.Get(ctx, client.ObjectKey{Name: want.GetName()}, got)
	if apierrors.IsNotFound(err) {
		return c.Create(ctx, want)
	}
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(got.Object["spec"], want.Object["spec"]) &&
		(s.opts.APIServiceOwner == "" || equality.Semantic.DeepEqual(got.GetOwnerReferences(), want.GetOwnerReferences())) {
		return nil
	}
	got.Object["spec"] = want.Object["spec"]
	if s.opts.APIServiceOwner != "" {
		got.SetOwnerReferences(want.GetOwnerReferences())
	}
	return c.Update(ctx, got)
}

func (s *Server) servicePort() int {
	if s.opts.ServicePort != 0 {
		return s.opts.ServicePort
	}
	return s.port
}

// APIServiceGVK is apiregistration.k8s.io/v1 APIService (k8s.io/kube-aggregator is not a
// dependency of this module, so APIService() is unstructured).
var APIServiceGVK = schema.GroupVersionKind{Group: "apiregistration.k8s.io", Version: "v1", Kind: "APIService"}

// APIService registers this server with the kube-aggregator: v1alpha1.auth.registry.pco-mcm.io
// served by Service ServiceNamespace/ServiceName on ServicePort (default Port()), trusted
// through CABundle().
func (s *Server) APIService() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"group":                authv1alpha1.GroupName,
			"version":              authv1alpha1.SchemeGroupVersion.Version,
			"groupPriorityMinimum": int64(1000),
			"versionPriority":      int64(15),
			"caBundle":             base64.StdEncoding.EncodeToString(s.caBundle),
			"service": map[string]any{
				"namespace": s.opts.ServiceNamespace,
				"name":      s.opts.ServiceName,
				"port":      int64(s.servicePort()),
			},
		},
	}}
	u.SetGroupVersionKind(APIServiceGVK)
	u.SetName(authv1alpha1.SchemeGroupVersion.Version + "." + authv1alpha1.GroupName)
	return u
}
