package controllers

import (
	"context"
	"fmt"
	"net/http"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Options configure the reseller controllers.
type Options struct {
	// Namespace holds the controller identifier Secret.
	Namespace string
	// ControllerID overrides the stored identifier (tests); empty means EnsureControllerID.
	ControllerID string
	// HTTPClient talks to the Reseller API (nil: a default client).
	HTTPClient *http.Client
	// AdoptUnrecorded lets the controller take over projects and users without an owner
	// record (pco-reseller-operator's) when no other object of this cluster maps to their
	// name. Objects with another owner's record are never taken.
	AdoptUnrecorded bool
	// SecretNamespaces limits the Secrets the controller reads and writes to these namespaces
	// and Namespace (Region accounts, Users' and bindings' Secrets); empty means all.
	SecretNamespaces []string
}

// Setup registers the four reconcilers with mgr and returns the controller identifier.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) (string, error) {
	id := opts.ControllerID
	if id == "" {
		var err error
		// The manager's cache is not running yet: read and write through the API reader path.
		if id, err = EnsureControllerID(ctx, directClient(mgr), opts.Namespace); err != nil {
			return "", err
		}
	} else if !validID(id) {
		return "", fmt.Errorf("controller identifier %q: 1 to 16 lower-case letters or digits", id)
	}
	scope := newSecretScope(opts.SecretNamespaces, opts.Namespace)
	conns := newConnections(mgr.GetAPIReader(), opts.HTTPClient, scope)
	c := mgr.GetClient()
	for _, s := range []interface{ setup(ctrl.Manager) error }{
		&RegionReconciler{Client: c, conns: conns, secrets: scope, recorder: mgr.GetEventRecorder(ManagerName)},
		&ProjectReconciler{Client: c, conns: conns, recorder: mgr.GetEventRecorder(ManagerName), controllerID: id, adoptUnrecorded: opts.AdoptUnrecorded},
		&UserReconciler{Client: c, secrets: scope, recorder: mgr.GetEventRecorder(ManagerName), controllerID: id},
		&BindingReconciler{Client: c, conns: conns, secrets: scope, recorder: mgr.GetEventRecorder(ManagerName), controllerID: id, adoptUnrecorded: opts.AdoptUnrecorded, appCreds: keystoneAppCreds{}},
	} {
		if err := s.setup(mgr); err != nil {
			return "", err
		}
	}
	return id, nil
}

// directClient reads and writes without the manager's cache, which only starts with the
// manager.
func directClient(mgr ctrl.Manager) client.Client {
	c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return mgr.GetClient()
	}
	return c
}
