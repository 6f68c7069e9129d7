// Package authapitest is a test helper: it runs a real kube-apiserver (envtest) with the
// aggregation layer configured, for tests of the auth API: a front-proxy CA and client
// certificate, the requestheader flags, users with client certificates, and a way to route an
// APIService to a server on 127.0.0.1. It lives outside pkg/ and test/ so package tests can use it
// and production code never builds it.
package authapitest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/authapi"
)

// Env is a kube-apiserver and etcd with aggregation configured and this project's CRDs.
type Env struct {
	Environment *envtest.Environment
	// Assets is the folder of kube-apiserver, etcd and kubectl.
	Assets string
	Dir    string
	// AdminConfig and AdminKubeconfig are a system:masters user's.
	AdminConfig     *rest.Config
	AdminKubeconfig string
	// Admin knows the core and the registry's kinds.
	Admin client.Client
	// FrontProxy is the client certificate the kube-apiserver proxies to extension servers
	// with (to send request headers to one directly).
	FrontProxy tls.Certificate
}

// Start starts the control plane with the CRDs of kubernetes/crds and crdDirs; files go to dir.
func Start(dir string, crdDirs ...string) (*Env, error) {
	assets, err := testenv.EnvtestAssets()
	if err != nil {
		return nil, err
	}
	caPath, certPath, keyPath, err := frontProxyPKI(dir)
	if err != nil {
		return nil, err
	}
	e := &Env{Assets: assets, Dir: dir}
	if e.FrontProxy, err = tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		return nil, err
	}
	e.Environment = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     append([]string{filepath.Join(testenv.RepoRoot(), "kubernetes", "crds")}, crdDirs...),
		ErrorIfCRDPathMissing: true,
	}
	e.Environment.ControlPlane.GetAPIServer().Configure().
		Set("requestheader-client-ca-file", caPath).
		Set("requestheader-allowed-names", "front-proxy-client").
		Set("requestheader-extra-headers-prefix", "X-Remote-Extra-").
		Set("requestheader-group-headers", "X-Remote-Group").
		Set("requestheader-username-headers", "X-Remote-User").
		Set("proxy-client-cert-file", certPath).
		Set("proxy-client-key-file", keyPath)
	if _, err := e.Environment.Start(); err != nil {
		return nil, err
	}
	if e.AdminConfig, e.AdminKubeconfig, err = e.AddUser("pco-admin", "system:masters"); err != nil {
		_ = e.Stop()
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := regv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if e.Admin, err = client.New(e.AdminConfig, client.Options{Scheme: scheme}); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

// Stop stops the control plane.
func (e *Env) Stop() error { return e.Environment.Stop() }

// AddUser makes a user with a client certificate: its config (allowed 1,000 QPS) and a
// kubeconfig file for it.
func (e *Env) AddUser(name string, groups ...string) (*rest.Config, string, error) {
	u, err := e.Environment.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, "", err
	}
	kubeconfig, err := u.KubeConfig()
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(e.Dir, "kubeconfig-"+name)
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, "", err
	}
	cfg := u.Config()
	cfg.QPS, cfg.Burst = 1000, 1000
	return cfg, path, nil
}

// RouteToLoopback makes the Service an APIService refers to lead to 127.0.0.1: an
// ExternalName Service "127.0.0.1", so the aggregator proxies to https://127.0.0.1:<the
// APIService's port>. ("localhost" works too but costs ~300 ms a request here, ::1 being
// tried first; a selector-less Service with an EndpointSlice on 127.0.0.1 is refused: "may
// not be in the loopback range".)
func (e *Env) RouteToLoopback(ctx context.Context, namespace, name string) error {
	if err := e.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	err := e.Admin.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "127.0.0.1"},
	})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// WaitAvailable waits until the APIService name is Available.
func (e *Env) WaitAvailable(ctx context.Context, name string, timeout time.Duration) error {
	var last []any
	var getErr error
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(authapi.APIServiceGVK)
		if getErr = e.Admin.Get(ctx, client.ObjectKey{Name: name}, u); getErr != nil {
			return false, nil //nolint:nilerr // not registered yet or the apiserver is still starting: poll on
		}
		last, _, _ = unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range last {
			if m, ok := c.(map[string]any); ok && m["type"] == "Available" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		if getErr != nil {
			return fmt.Errorf("APIService %s not available: last get: %w: %w", name, getErr, err)
		}
		return fmt.Errorf("APIService %s not available: %v: %w", name, last, err)
	}
	return nil
}

// frontProxyPKI writes a CA and a client certificate front-proxy-client signed by it.
func frontProxyPKI(dir string) (caPath, certPath, keyPath string, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "front-proxy-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "front-proxy-client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", "", err
	}
	caPath = filepath.Join(dir, "front-proxy-ca.crt")
	certPath = filepath.Join(dir, "front-proxy-client.crt")
	keyPath = filepath.Join(dir, "front-proxy-client.key")
	for path, block := range map[string]*pem.Block{
		caPath:   {Type: "CERTIFICATE", Bytes: caDER},
		certPath: {Type: "CERTIFICATE", Bytes: der},
		keyPath:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return "", "", "", err
		}
	}
	return caPath, certPath, keyPath, nil
}
