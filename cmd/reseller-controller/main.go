// Command reseller-controller reconciles Region, Project, User and UserProjectBinding
// (pco.plusserver.com/v1alpha1) against the pluscloud open Reseller API; each binding yields a
// credentials Secret a MachineClass can use.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/pco-mcm/mcm-provider-pco/pkg/logfilter"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
	"github.com/pco-mcm/mcm-provider-pco/pkg/version"
)

func main() {
	var opts controllers.ManagerOptions
	opts.AddFlags(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("reseller-controller"))
		return
	}
	logfilter.Install() // client-go's own klog output (request bodies at high -v)
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("reseller-controller")

	ctx := ctrl.SetupSignalHandler()
	mgr, id, err := controllers.NewManager(ctx, ctrl.GetConfigOrDie(), opts)
	if err != nil {
		log.Error(err, "Setting up")
		os.Exit(1)
	}
	log.Info("Starting", "version", version.Version, "controllerID", id, "namespace", opts.Namespace)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "Stopped")
		os.Exit(1)
	}
}
