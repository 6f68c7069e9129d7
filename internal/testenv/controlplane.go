package testenv

import (
	"fmt"
	"os"
	"path/filepath"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
)

// ControlPlane is a real kube-apiserver with etcd, with MCM's CRDs installed.
type ControlPlane struct {
	env            *envtest.Environment
	Config         *rest.Config
	KubeconfigPath string
	Client         client.Client
	Clientset      kubernetes.Interface
	Scheme         *runtime.Scheme
}

// StartControlPlane starts kube-apiserver and etcd and installs MCM's CRDs, this project's
// (kubernetes/crds) and the CRDs in extraCRDDirs. The admin kubeconfig is written into dir.
func StartControlPlane(dir string, extraCRDDirs ...string) (*ControlPlane, error) {
	assets, err := EnvtestAssets()
	if err != nil {
		return nil, err
	}
	mcmDir, err := MCMModuleDir()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     append([]string{filepath.Join(mcmDir, "kubernetes", "crds"), filepath.Join(RepoRoot(), "kubernetes", "crds")}, extraCRDDirs...),
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	cp := &ControlPlane{env: env, Config: cfg}
	if err := cp.init(dir); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) init(dir string) error {
	admin, err := cp.env.AddUser(envtest.User{Name: "pco-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the admin user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	cp.KubeconfigPath = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(cp.KubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	cp.Scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(cp.Scheme); err != nil {
		return err
	}
	if err := mcmv1alpha1.AddToScheme(cp.Scheme); err != nil {
		return err
	}
	if err := pcov1.AddToScheme(cp.Scheme); err != nil {
		return err
	}
	if err := apiextensionsv1.AddToScheme(cp.Scheme); err != nil {
		return err
	}
	if cp.Client, err = client.New(cp.Config, client.Options{Scheme: cp.Scheme}); err != nil {
		return err
	}
	cp.Clientset, err = kubernetes.NewForConfig(cp.Config)
	return err
}

// Stop stops kube-apiserver and etcd.
func (cp *ControlPlane) Stop() error {
	if cp == nil || cp.env == nil {
		return nil
	}
	return cp.env.Stop()
}
