package connect

import (
	"strings"
	"time"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// Finalizer keeps a ClusterConnect until its cluster is disconnected.
const Finalizer = "registry.pco-mcm.io/finalizer"

// Label names the ClusterConnect on everything it made (management and target).
const Label = "registry.pco-mcm.io/connect"

// annTargetTouched is set on a ClusterConnect before the first object is made in its
// target: only then does a disconnect have anything to remove there.
const annTargetTouched = "registry.pco-mcm.io/target-setup"

// ClusterConnect phases (Loft's Cluster phases) and reasons of a failed connect.
const (
	PhaseInitialized = "Initialized"
	PhaseFailed      = "Failed"

	ReasonInvalidKubeconfig  = "InvalidKubeconfig"
	ReasonConfigNotFound     = "ConfigSecretNotFound"
	ReasonClusterUnreachable = "ClusterUnreachable"
	ReasonUnauthorized       = "Unauthorized"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonConflict           = "Conflict"
	ReasonTargetError        = "TargetError"
	ReasonRegistryError      = "RegistryError"
	ReasonWaitingForToken    = "WaitingForToken"
	ReasonDisconnecting      = "Disconnecting"
)

// SourceType is ClusterInfo.spec.source.type of connected clusters; Provider
// their provider.
const (
	SourceType = "Connect"
	Provider   = "Generic"
)

// Defaults of Reconciler's tunables.
const (
	DefaultTokenWait         = 5 * time.Second
	DefaultDisconnectTimeout = 2 * time.Minute
	DefaultResync            = 10 * time.Minute
	// targetTimeout bounds every request to a target.
	targetTimeout = 15 * time.Second
	// retry is how soon a failure that needs a change elsewhere (a Secret, the
	// target's RBAC) is looked at again; the ClusterConnect's own changes trigger at once.
	retry = time.Minute
)

// clusterName is the ClusterInfo's name: the template's name, else the ClusterConnect's.
func clusterName(cc *regv1.ClusterConnect) string {
	if n := strings.TrimSpace(cc.Spec.ClusterTemplate.Name); n != "" {
		return n
	}
	return cc.Name
}

func managementNamespace(cc *regv1.ClusterConnect) string {
	if ns := strings.TrimSpace(cc.Spec.ClusterTemplate.ManagementNamespace); ns != "" {
		return ns
	}
	return DefaultManagementNamespace
}

// Names of the registry's objects of a cluster.
func authSecretName(cluster string) string { return "cluster-" + cluster + "-auth" }
func userSecretName(cluster, slug string) string {
	return "cluster-" + cluster + "-user-" + slug
}
func userAuthName(cluster, slug string) string { return cluster + "-" + slug }
