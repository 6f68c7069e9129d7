// Command cluster-registrar runs beside the machine controller and keeps the cluster registry
// (registry.pco-mcm.io) current: ClusterInfo for the clusters our machines form, and clusters
// connected by kubeconfig (ClusterConnect), with their auth data in referenced Secrets. With
// --authapi-port it also serves the per-user auth API (auth.registry.pco-mcm.io, docs/authapi.md).
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/pco-mcm/mcm-provider-pco/pkg/logfilter"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar"
	"github.com/pco-mcm/mcm-provider-pco/pkg/version"
)

func main() {
	var opts registrar.Options
	opts.AddFlags(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("cluster-registrar"))
		return
	}
	logfilter.Install() // client-go's own klog output (request bodies at high -v)
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("cluster-registrar")

	ctx := ctrl.SetupSignalHandler()
	mgr, err := registrar.NewManager(ctx, opts)
	if err != nil {
		log.Error(err, "Setting up")
		os.Exit(1)
	}
	log.Info("Starting", "version", version.Version, "namespace", opts.ControlNamespace)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "Stopped")
		os.Exit(1)
	}
}
