package registrar

import (
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar/connect"
)

// setupConnect registers the ClusterConnect controller.
func setupConnect(mgr ctrl.Manager, namespace string, recorder events.EventRecorder, opts connect.Options) error {
	return (&connect.Reconciler{Client: mgr.GetClient(), Namespace: namespace, Recorder: recorder, Options: opts}).SetupWithManager(mgr)
}
