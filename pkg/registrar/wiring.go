package registrar

import (
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
)

// setupConnect registers the ClusterConnect controller.
func setupConnect(mgr ctrl.Manager, namespace string, recorder events.EventRecorder, opts ConnectOptions) error {
	return (&ConnectReconciler{Client: mgr.GetClient(), Namespace: namespace, Recorder: recorder, Options: opts}).SetupWithManager(mgr)
}
