package authapi

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilcompatibility "k8s.io/apiserver/pkg/util/compatibility"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	registryv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/authapi/v1alpha1"
)

// Options configure a Server.
type Options struct {
	// Kubeconfig is the management cluster's kubeconfig: the kube-apiserver that authentication
	// (TokenReview, the extension-apiserver-authentication ConfigMap with the client and
	// front-proxy CAs) and authorization (SubjectAccessReview) are delegated to, and where the
	// registry's ClusterUserAuths and Secrets are read. Required.
	Kubeconfig string
	// BindAddress defaults to 127.0.0.1.
	BindAddress net.IP
	// BindPort 0 picks a free port.
	BindPort int
	// ServiceNamespace and ServiceName are the Service the APIService refers to; the
	// self-signed serving certificate is valid for <name>.<namespace>.svc. Defaults:
	// kube-system, pco-mcm-authapi.
	ServiceNamespace, ServiceName string
	// Client reads the registry; default: a client from Kubeconfig.
	Client client.WithWatch
}

// Server is the aggregated API server of auth.registry.pco-mcm.io.
type Server struct {
	generic  *genericapiserver.GenericAPIServer
	opts     Options
	port     int
	caBundle []byte
}

// NewServer builds the server: a listener on BindAddress, a self-signed serving certificate,
// delegated authentication (anonymous requests are refused) and authorization, and the
// clusteruserauths resource.
func NewServer(opts Options) (*Server, error) {
	if opts.Kubeconfig == "" {
		return nil, fmt.Errorf("the management cluster's kubeconfig is required")
	}
	if opts.BindAddress == nil {
		opts.BindAddress = net.IPv4(127, 0, 0, 1)
	}
	if opts.ServiceNamespace == "" {
		opts.ServiceNamespace = "kube-system"
	}
	if opts.ServiceName == "" {
		opts.ServiceName = "pco-mcm-authapi"
	}
	if opts.Client == nil {
		cfg, err := clientcmd.BuildConfigFromFlags("", opts.Kubeconfig)
		if err != nil {
			return nil, err
		}
		// Every request reads the source objects (no cache yet): client-go's default 5 QPS
		// would serialize the server.
		cfg.QPS, cfg.Burst = 500, 1000
		scheme := runtime.NewScheme()
		if err := clientgoscheme.AddToScheme(scheme); err != nil {
			return nil, err
		}
		if err := registryv1alpha1.AddToScheme(scheme); err != nil {
			return nil, err
		}
		if opts.Client, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
			return nil, err
		}
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
	serving := genericoptions.NewSecureServingOptions().WithLoopback()
	serving.BindAddress = opts.BindAddress
	serving.Listener = listener
	serving.BindPort = listener.Addr().(*net.TCPAddr).Port
	serving.ServerCert.CertDirectory, serving.ServerCert.PairName = "", "" // in memory
	svcDNS := opts.ServiceName + "." + opts.ServiceNamespace + ".svc"
	if err := serving.MaybeDefaultWithSelfSignedCerts(opts.BindAddress.String(),
		[]string{svcDNS, svcDNS + ".cluster.local", "localhost"}, []net.IP{opts.BindAddress}); err != nil {
		_ = listener.Close()
		return nil, err
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
		_ = listener.Close()
		return nil, err
	}
	if err := authn.ApplyTo(&config.Authentication, config.SecureServing, config.OpenAPIConfig); err != nil {
		_ = listener.Close()
		return nil, err
	}
	if err := authz.ApplyTo(&config.Authorization); err != nil {
		_ = listener.Close()
		return nil, err
	}
	config.Authentication.Authenticator = refuseAnonymous(config.Authentication.Authenticator)

	generic, err := config.Complete().New("pco-mcm-authapi", genericapiserver.NewEmptyDelegate())
	if err != nil {
		_ = listener.Close()
		return nil, err
	}

	store := &ClusterUserAuthStore{Client: opts.Client}
	storage := NewStorage[*authv1alpha1.ClusterUserAuth, *authv1alpha1.ClusterUserAuthList](store,
		func() *authv1alpha1.ClusterUserAuth { return &authv1alpha1.ClusterUserAuth{} },
		func() *authv1alpha1.ClusterUserAuthList { return &authv1alpha1.ClusterUserAuthList{} },
		authv1alpha1.Resource, "clusteruserauth", config.Authorization.Authorizer)
	group := genericapiserver.NewDefaultAPIGroupInfo(authv1alpha1.GroupName, scheme, metav1.ParameterCodec, codecs)
	group.VersionedResourcesStorageMap[authv1alpha1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		authv1alpha1.Resource.Resource: storage,
	}
	if err := generic.InstallAPIGroup(&group); err != nil {
		_ = listener.Close()
		return nil, err
	}

	s := &Server{generic: generic, opts: opts, port: serving.BindPort}
	if s.caBundle, err = servingCA(serving); err != nil {
		_ = listener.Close()
		return nil, err
	}
	return s, nil
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

// CABundle is the PEM CA of the server's self-signed serving certificate.
func (s *Server) CABundle() []byte { return s.caBundle }

// Handler serves the API (for tests without TLS).
func (s *Server) Handler() http.Handler { return s.generic.Handler }

// Run serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	return s.generic.PrepareRun().RunWithContext(ctx)
}

// APIServiceGVK is apiregistration.k8s.io/v1 APIService (k8s.io/kube-aggregator is not a
// dependency of this module, so APIService() is unstructured).
var APIServiceGVK = schema.GroupVersionKind{Group: "apiregistration.k8s.io", Version: "v1", Kind: "APIService"}

// APIService registers this server with the kube-aggregator: v1alpha1.auth.registry.pco-mcm.io
// served by Service ServiceNamespace/ServiceName on port Port(), trusted through CABundle().
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
				"port":      int64(s.port),
			},
		},
	}}
	u.SetGroupVersionKind(APIServiceGVK)
	u.SetName(authv1alpha1.SchemeGroupVersion.Version + "." + authv1alpha1.GroupName)
	return u
}
