package connect

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// Reconciler connects clusters from ClusterConnects, as loftctl connect cluster and
// Loft's ClusterConnect do: with the admin kubeconfig of spec.configSecretRef it makes, in the
// target, the management namespace, the service account pco-registry-admin bound to
// cluster-admin and its token Secret; it stores a kubeconfig with that token in the registry
// (Secret cluster-<cluster>-auth, ClusterAuthInfo <cluster>), gives every user of the access
// rules its own service account, ClusterRole and token (ClusterUserAuth <cluster>-<user>), and
// registers the cluster (ClusterInfo). Deleting the ClusterConnect removes all of it.
//
// Tokens: the token Secret is filled by the token controller of kube-controller-manager. When
// it is still empty after TokenWait (clusters without that controller, like a bare
// kube-apiserver in tests, or ones that no longer fill manually created token Secrets), the
// token comes from the TokenRequest API instead, asking for a year (the target may grant
// less); such tokens are renewed when a third of their life is left, at the periodic resync.
// Users' tokens always come from the TokenRequest API.
//
// Teams: an access rule's teams are groups whose members the platform resolves, so each team
// gets one ClusterUserAuth with user "team:<team>" (and its own service account).
//
// Secrets are read with the manager's API reader (no cluster-wide Secret cache). No Secret
// payload is ever written into a status, an event or a log: kubeconfig errors are fixed
// sentences (KubeconfigError) and target errors are client-go's, which carry no credentials.
type Reconciler struct {
	Client client.Client
	// Namespace is where the registrar keeps the Secrets it makes.
	Namespace string
	Recorder  events.EventRecorder
	// NewTargetClient makes a client for a target (nil: kubernetes.NewForConfig).
	NewTargetClient func(cfg *rest.Config) (kubernetes.Interface, error)
	// TokenWait is how long the token controller may take to fill the token Secret before the
	// TokenRequest API is used (default 5s).
	TokenWait time.Duration
	// DisconnectTimeout is how long a disconnect retries an unreachable target before it
	// removes the registry's objects anyway (default 2m).
	DisconnectTimeout time.Duration
	// Resync is how often a connected cluster is looked at again (version, nodes, tokens;
	// default 10m).
	Resync time.Duration
	// Options limit what a ClusterConnect may reach (see Options).
	Options Options

	reader client.Reader
}

func (r *Reconciler) read() client.Reader {
	if r.reader != nil {
		return r.reader
	}
	return r.Client
}

func (r *Reconciler) tokenWait() time.Duration {
	if r.TokenWait > 0 {
		return r.TokenWait
	}
	return DefaultTokenWait
}

func (r *Reconciler) disconnectTimeout() time.Duration {
	if r.DisconnectTimeout > 0 {
		return r.DisconnectTimeout
	}
	return DefaultDisconnectTimeout
}

func (r *Reconciler) resync() time.Duration {
	if r.Resync > 0 {
		return r.Resync
	}
	return DefaultResync
}

func (r *Reconciler) targetClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = targetTimeout
	}
	if !r.Options.AllowLocalAddresses && cfg.Dial == nil {
		cfg.Dial = r.Options.dialer()
	}
	if r.NewTargetClient != nil {
		return r.NewTargetClient(cfg)
	}
	return kubernetes.NewForConfig(cfg)
}

// Reconcile connects the ClusterConnect req names (or disconnects it when it is being deleted)
// and records the outcome in its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var cc regv1.ClusterConnect
	if err := r.read().Get(ctx, req.NamespacedName, &cc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !cc.DeletionTimestamp.IsZero() {
		return r.disconnect(ctx, &cc)
	}
	if !controllerutil.ContainsFinalizer(&cc, Finalizer) {
		controllerutil.AddFinalizer(&cc, Finalizer)
		if err := r.Client.Update(ctx, &cc); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := cc.DeepCopy()
	o := r.connect(ctx, &cc)
	st := &cc.Status
	st.ObservedGeneration = cc.Generation
	st.Reason, st.Message = o.reason, truncate(o.message)
	switch {
	case o.connected:
		st.Failed, st.Phase, st.Reason = false, PhaseInitialized, ""
	case o.failed:
		st.Failed, st.Phase = true, PhaseFailed
	default: // in progress
		st.Failed = false
	}
	changed := before.Status.Failed != st.Failed || before.Status.Reason != st.Reason || before.Status.Message != st.Message || before.Status.Phase != st.Phase
	if changed {
		switch {
		case o.failed:
			r.Recorder.Eventf(&cc, nil, corev1.EventTypeWarning, o.reason, "Connect", "%s", st.Message)
			log.FromContext(ctx).Info("Connect failed", "reason", o.reason, "message", st.Message)
		case o.connected && before.Status.Phase != PhaseInitialized:
			r.Recorder.Eventf(&cc, nil, corev1.EventTypeNormal, "Connected", "Connect", "%s", st.Message)
			log.FromContext(ctx).Info("Cluster connected", "cluster", st.ClusterInfo)
		}
	}
	if o.failed && st.ClusterInfo != "" && (o.reason == ReasonClusterUnreachable || o.reason == ReasonUnauthorized) {
		if err := r.markNotConnected(ctx, &cc, o); err != nil {
			log.FromContext(ctx).Error(err, "Marking the ClusterInfo not connected", "cluster", st.ClusterInfo)
		}
	}
	res := ctrl.Result{RequeueAfter: o.requeue}
	if o.connected && res.RequeueAfter == 0 {
		res.RequeueAfter = r.resync()
	}
	if !equalStatus(before.Status, cc.Status) {
		if err := r.Client.Status().Patch(ctx, &cc, client.MergeFrom(before)); err != nil {
			return res, errors.Join(o.err, client.IgnoreNotFound(err))
		}
	}
	if o.err != nil {
		return ctrl.Result{}, o.err
	}
	return res, nil
}

// markNotConnected shows on the ClusterInfo that its cluster cannot be reached (or refuses
// the registry's credentials).
func (r *Reconciler) markNotConnected(ctx context.Context, cc *regv1.ClusterConnect, o outcome) error {
	var ci regv1.ClusterInfo
	if err := r.read().Get(ctx, client.ObjectKey{Name: cc.Status.ClusterInfo}, &ci); err != nil {
		return client.IgnoreNotFound(err)
	}
	if ci.Spec.Source.Type != SourceType || ci.Spec.Source.Connect != cc.Name {
		return nil
	}
	reason := regv1.ReasonClusterNotFound
	if o.reason == ReasonUnauthorized {
		reason = regv1.ReasonAuthIssue
	}
	msg := truncate(o.message)
	if ci.Status.Phase == regv1.PhaseNotConnected && ci.Status.Reason == reason && ci.Status.Message == msg {
		return nil
	}
	ci.Status.Phase, ci.Status.Reason, ci.Status.Message = regv1.PhaseNotConnected, reason, msg
	return r.Client.Status().Update(ctx, &ci)
}

// connect does one pass of the setup; every step is idempotent.
func (r *Reconciler) connect(ctx context.Context, cc *regv1.ClusterConnect) outcome {
	cluster := clusterName(cc)
	ns := managementNamespace(cc)
	if errs := validation.IsDNS1123Subdomain(cluster); len(errs) > 0 || len(cluster) > 63 {
		return fail(ReasonInvalidSpec, fmt.Sprintf("cluster name %q must be a DNS subdomain of at most 63 characters", cluster), 0)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fail(ReasonInvalidSpec, fmt.Sprintf("clusterTemplate.managementNamespace %q is not a valid namespace name", ns), 0)
	}
	if prev := cc.Status.ClusterInfo; prev != "" && prev != cluster {
		return fail(ReasonInvalidSpec, fmt.Sprintf("the cluster was registered as %s; clusterTemplate.name cannot change: delete the ClusterConnect and create a new one", prev), 0)
	}
	users, err := usersOf(cc.Spec.AdminUser, cc.Spec.ClusterTemplate.Access)
	if err != nil {
		return fail(ReasonInvalidSpec, err.Error(), 0)
	}
	if err := r.checkRegistryConflicts(ctx, cc, cluster); err != nil {
		return registryFailure(err)
	}

	// The admin kubeconfig, else (after it was deleted) the registry's own token.
	authSecret, err := r.getSecret(ctx, r.Namespace, authSecretName(cluster))
	if err != nil {
		return registryFailure(err)
	}
	adminCfg, server, ownCreds, o := r.adminConfig(ctx, cc, authSecret)
	if o != nil {
		return *o
	}
	kc, err := r.targetClient(adminCfg)
	if err != nil {
		return fail(ReasonInvalidKubeconfig, "the kubeconfig cannot be turned into a client", retry)
	}
	if _, err := kc.Discovery().ServerVersion(); err != nil {
		return targetFailure("reaching "+server, err)
	}
	if cc.Annotations[annTargetTouched] == "" {
		orig := cc.DeepCopy()
		if cc.Annotations == nil {
			cc.Annotations = map[string]string{}
		}
		cc.Annotations[annTargetTouched] = "true"
		if err := r.Client.Patch(ctx, cc, client.MergeFrom(orig)); err != nil {
			return registryFailure(err)
		}
	}

	t := &target{kc: kc, ns: ns, cluster: cluster, connect: cc.Name}
	if err := t.ensureNamespace(ctx); err != nil {
		return targetFailure("namespace "+ns, err)
	}
	sa, err := t.ensureServiceAccount(ctx, AdminServiceAccount, "")
	if err != nil {
		return targetFailure("admin service account", err)
	}
	if err := t.ensureBinding(ctx, AdminBinding, "", "cluster-admin", AdminServiceAccount); err != nil {
		return targetFailure("admin ClusterRoleBinding", err)
	}
	tokenSecret, err := t.ensureTokenSecret(ctx, AdminTokenSecret, AdminServiceAccount)
	if err != nil {
		return targetFailure("admin token Secret", err)
	}
	tok, wait, err := r.adminToken(ctx, t, sa, tokenSecret, authSecret, ownCreds)
	if err != nil {
		return targetFailure("admin token", err)
	}
	if wait > 0 {
		return outcome{reason: ReasonWaitingForToken,
			message: fmt.Sprintf("waiting for the token controller to fill Secret %s/%s", ns, AdminTokenSecret), requeue: wait}
	}

	// Verify the new credentials with real requests, and read what the ClusterInfo shows. A
	// stored token the target no longer takes (signing keys rotated) is replaced once.
	kubeconfig, info, err := r.verifyToken(ctx, adminCfg, server, cluster, tok)
	if err != nil && isAuthError(err) && tok.stored {
		if tok, err = t.requestToken(ctx, sa); err != nil {
			return targetFailure("admin token", err)
		}
		kubeconfig, info, err = r.verifyToken(ctx, adminCfg, server, cluster, tok)
	}
	if err != nil {
		return targetFailure("verifying the registry's service account token", err)
	}
	if err := r.storeAuth(ctx, cc, cluster, authSecret, kubeconfig, tok, adminCfg.CAData); err != nil {
		return registryFailure(err)
	}
	if err := r.ensureUsers(ctx, cc, t, users, server, adminCfg); err != nil {
		// Mostly the target's errors: summarized, never quoted.
		return targetFailure("access rules", err)
	}
	if err := r.registerCluster(ctx, cc, cluster, server, info); err != nil {
		return registryFailure(err)
	}
	cc.Status.ClusterInfo = cluster
	return outcome{connected: true, message: fmt.Sprintf("cluster %s (%s, Kubernetes %s) connected: ClusterInfo %s, ClusterAuthInfo %s, %d user(s)",
		cluster, server, info.version, cluster, cluster, len(users))}
}

// changed lets through a new ClusterConnect, a spec change, the start of a deletion;
// status and annotation writes of the controller itself do not wake it again.
var changed = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld, e.ObjectNew
		return o.GetGeneration() != n.GetGeneration() || !n.GetDeletionTimestamp().Equal(o.GetDeletionTimestamp())
	},
}

// SetupWithManager registers the controller; a nil Client or Recorder is taken from mgr, and
// Secrets and registry objects are read with mgr's API reader.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("pco-cluster-registrar")
	}
	if r.Namespace == "" {
		return errors.New("connect.Reconciler: Namespace (where the registry keeps its Secrets) is required")
	}
	r.reader = mgr.GetAPIReader()
	return ctrl.NewControllerManagedBy(mgr).
		For(&regv1.ClusterConnect{}, builder.WithPredicates(changed)).
		Named("clusterconnect").
		Complete(r)
}
