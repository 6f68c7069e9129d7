// Command machine-controller is the pluscloud open provider of machine-controller-manager: MCM's
// provider app (flags, leader election, /metrics and /healthz) running this project's driver.
package main

import (
	"fmt"
	"os"

	_ "github.com/gardener/machine-controller-manager/pkg/util/client/metrics/prometheus" // MCM's client metrics
	"github.com/gardener/machine-controller-manager/pkg/util/provider/app"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/app/options"
	_ "github.com/gardener/machine-controller-manager/pkg/util/reflector/prometheus" // reflector metrics
	_ "github.com/gardener/machine-controller-manager/pkg/util/workqueue/prometheus" // workqueue metrics
	"github.com/spf13/pflag"
	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
	"github.com/pco-mcm/mcm-provider-pco/pkg/logfilter"
	"github.com/pco-mcm/mcm-provider-pco/pkg/metrics"
	"github.com/pco-mcm/mcm-provider-pco/pkg/version"
)

func main() {
	s := options.NewMCServer()
	s.AddFlags(pflag.CommandLine)
	opts := driver.DefaultOptions()
	driver.AddFlags(pflag.CommandLine, &opts)
	showVersion := pflag.Bool("version", false, "print the version and exit")
	mustParseFlags()
	if *showVersion {
		fmt.Println(version.String("machine-controller"))
		return
	}
	logs.InitLogs()
	defer logs.FlushLogs()
	// client-go dumps Secrets at -v>=8 and MCM logs bootstrap tokens: keep them out.
	logfilter.Install()
	klog.InfoS("Starting", "version", version.Version, "build", version.String("machine-controller"))

	metrics.Register()
	opts.Sessions.Observer = metrics.ObserveRequest
	opts.CallObserver = metrics.ObserveCall
	// app.Run returns only on failure (it exits itself when leadership is lost or on a signal).
	err := app.Run(s, driver.New(opts))
	klog.ErrorS(err, "Machine controller stopped")
	logs.FlushLogs()
	os.Exit(1)
}
