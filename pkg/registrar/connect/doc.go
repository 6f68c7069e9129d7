// Package connect is the ClusterConnect controller: it connects a cluster from an admin
// kubeconfig (as loftctl connect cluster does) and registers it in the cluster registry; the
// registrar (pkg/registrar) wires it into its manager. Files by concept:
//
//	reconciler.go   the Reconciler: Reconcile, one connect attempt, the watch
//	names.go        finalizer, labels, phases, reasons, defaults, object names
//	kubeconfig.go   parsing and refusing kubeconfigs (fixed-sentence KubeconfigError)
//	policy.go       Options: which Secrets may be read and which servers dialled
//	credentials.go  the admin kubeconfig, the registry's token and the target's identity
//	target.go       the registry's objects in the target cluster, and their cleanup
//	token.go        service-account tokens: requested, stored, renewed
//	users.go        the access rules' users and teams, their slugs and RBAC rules
//	registry.go     the Secrets, ClusterAuthInfo, ClusterUserAuths and ClusterInfo we write
//	disconnect.go   removing all of it when the ClusterConnect is deleted
//	errors.go       outcomes of an attempt and the fixed sentences errors become
package connect
