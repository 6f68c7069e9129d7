package registrar

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// ConnectFinalizer keeps a ClusterConnect until its cluster is disconnected.
const ConnectFinalizer = "registry.pco-mcm.io/finalizer"

// ConnectLabel names the ClusterConnect on everything it made (management and target).
const ConnectLabel = "registry.pco-mcm.io/connect"

// connectAnnTargetTouched is set on a ClusterConnect before the first object is made in its
// target: only then does a disconnect have anything to remove there.
const connectAnnTargetTouched = "registry.pco-mcm.io/target-setup"

// ClusterConnect phases (Loft's Cluster phases) and reasons of a failed connect.
const (
	ConnectPhaseInitialized = "Initialized"
	ConnectPhaseFailed      = "Failed"

	ConnectReasonInvalidKubeconfig  = "InvalidKubeconfig"
	ConnectReasonConfigNotFound     = "ConfigSecretNotFound"
	ConnectReasonClusterUnreachable = "ClusterUnreachable"
	ConnectReasonUnauthorized       = "Unauthorized"
	ConnectReasonInvalidSpec        = "InvalidSpec"
	ConnectReasonConflict           = "Conflict"
	ConnectReasonTargetError        = "TargetError"
	ConnectReasonRegistryError      = "RegistryError"
	ConnectReasonWaitingForToken    = "WaitingForToken"
	ConnectReasonDisconnecting      = "Disconnecting"
)

// ConnectSourceType is ClusterInfo.spec.source.type of connected clusters; ConnectProvider
// their provider.
const (
	ConnectSourceType = "Connect"
	ConnectProvider   = "Generic"
)

// Defaults of ConnectReconciler's tunables.
const (
	ConnectDefaultTokenWait         = 5 * time.Second
	ConnectDefaultDisconnectTimeout = 2 * time.Minute
	ConnectDefaultResync            = 10 * time.Minute
	// connectTargetTimeout bounds every request to a target.
	connectTargetTimeout = 15 * time.Second
	// connectRetry is how soon a failure that needs a change elsewhere (a Secret, the
	// target's RBAC) is looked at again; the ClusterConnect's own changes trigger at once.
	connectRetry = time.Minute
)

// ConnectReconciler connects clusters from ClusterConnects, as loftctl connect cluster and
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
type ConnectReconciler struct {
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
	// Options limit what a ClusterConnect may reach (see ConnectOptions).
	Options ConnectOptions

	reader client.Reader
}

// connectOutcome is the result of one connect attempt.
type connectOutcome struct {
	connected bool
	failed    bool
	reason    string
	message   string
	requeue   time.Duration
	err       error // returned to controller-runtime (backoff)
}

func connectFail(reason, message string, requeue time.Duration) connectOutcome {
	return connectOutcome{failed: true, reason: reason, message: message, requeue: requeue}
}

// connectTargetFailure classifies an error of the target: refused credentials wait for a new
// kubeconfig, an unreachable server is retried with backoff. The message is a fixed sentence
// with the HTTP code (connectErrorSummary): nothing of the target's answer, which whoever
// runs the target controls, gets into the status or an event.
func connectTargetFailure(what string, err error) connectOutcome {
	var conflict *connectConflictError
	switch {
	case errors.As(err, &conflict):
		return connectFail(ConnectReasonConflict, conflict.msg, 5*connectRetry)
	case errors.Is(err, errConnectLocalAddress):
		return connectFail(ConnectReasonInvalidKubeconfig, fmt.Sprintf("%s: %s", what, connectMsgLocal), connectRetry)
	case connectIsAuthError(err):
		return connectFail(ConnectReasonUnauthorized, fmt.Sprintf("%s: the target cluster refused the credentials (%s)", what, connectErrorSummary(err)), connectRetry)
	case connectIsUnreachable(err):
		o := connectFail(ConnectReasonClusterUnreachable, fmt.Sprintf("%s: %s", what, connectErrorSummary(err)), 0)
		o.err = err
		return o
	default:
		o := connectFail(ConnectReasonTargetError, fmt.Sprintf("%s: %s", what, connectErrorSummary(err)), 0)
		o.err = err
		return o
	}
}

func connectRegistryFailure(err error) connectOutcome {
	var conflict *connectConflictError
	if errors.As(err, &conflict) {
		return connectFail(ConnectReasonConflict, conflict.msg, 5*connectRetry)
	}
	o := connectFail(ConnectReasonRegistryError, err.Error(), 0)
	o.err = err
	return o
}

func (r *ConnectReconciler) read() client.Reader {
	if r.reader != nil {
		return r.reader
	}
	return r.Client
}

func (r *ConnectReconciler) tokenWait() time.Duration {
	if r.TokenWait > 0 {
		return r.TokenWait
	}
	return ConnectDefaultTokenWait
}

func (r *ConnectReconciler) disconnectTimeout() time.Duration {
	if r.DisconnectTimeout > 0 {
		return r.DisconnectTimeout
	}
	return ConnectDefaultDisconnectTimeout
}

func (r *ConnectReconciler) resync() time.Duration {
	if r.Resync > 0 {
		return r.Resync
	}
	return ConnectDefaultResync
}

func (r *ConnectReconciler) targetClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = connectTargetTimeout
	}
	if !r.Options.AllowLocalAddresses && cfg.Dial == nil {
		cfg.Dial = r.Options.dialer()
	}
	if r.NewTargetClient != nil {
		return r.NewTargetClient(cfg)
	}
	return kubernetes.NewForConfig(cfg)
}

// connectClusterName is the ClusterInfo's name: the template's name, else the ClusterConnect's.
func connectClusterName(cc *regv1.ClusterConnect) string {
	if n := strings.TrimSpace(cc.Spec.ClusterTemplate.Name); n != "" {
		return n
	}
	return cc.Name
}

func connectManagementNamespace(cc *regv1.ClusterConnect) string {
	if ns := strings.TrimSpace(cc.Spec.ClusterTemplate.ManagementNamespace); ns != "" {
		return ns
	}
	return ConnectDefaultManagementNamespace
}

// Names of the registry's objects of a cluster.
func connectAuthSecretName(cluster string) string { return "cluster-" + cluster + "-auth" }
func connectUserSecretName(cluster, slug string) string {
	return "cluster-" + cluster + "-user-" + slug
}
func connectUserAuthName(cluster, slug string) string { return cluster + "-" + slug }

// Reconcile connects the ClusterConnect req names (or disconnects it when it is being deleted)
// and records the outcome in its status.
func (r *ConnectReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var cc regv1.ClusterConnect
	if err := r.read().Get(ctx, req.NamespacedName, &cc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !cc.DeletionTimestamp.IsZero() {
		return r.disconnect(ctx, &cc)
	}
	if !controllerutil.ContainsFinalizer(&cc, ConnectFinalizer) {
		controllerutil.AddFinalizer(&cc, ConnectFinalizer)
		if err := r.Client.Update(ctx, &cc); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := cc.DeepCopy()
	o := r.connect(ctx, &cc)
	st := &cc.Status
	st.ObservedGeneration = cc.Generation
	st.Reason, st.Message = o.reason, connectTruncate(o.message)
	switch {
	case o.connected:
		st.Failed, st.Phase, st.Reason = false, ConnectPhaseInitialized, ""
	case o.failed:
		st.Failed, st.Phase = true, ConnectPhaseFailed
	default: // in progress
		st.Failed = false
	}
	changed := before.Status.Failed != st.Failed || before.Status.Reason != st.Reason || before.Status.Message != st.Message || before.Status.Phase != st.Phase
	if changed {
		switch {
		case o.failed:
			r.Recorder.Eventf(&cc, nil, corev1.EventTypeWarning, o.reason, "Connect", "%s", st.Message)
			log.FromContext(ctx).Info("Connect failed", "reason", o.reason, "message", st.Message)
		case o.connected && before.Status.Phase != ConnectPhaseInitialized:
			r.Recorder.Eventf(&cc, nil, corev1.EventTypeNormal, "Connected", "Connect", "%s", st.Message)
			log.FromContext(ctx).Info("Cluster connected", "cluster", st.ClusterInfo)
		}
	}
	if o.failed && st.ClusterInfo != "" && (o.reason == ConnectReasonClusterUnreachable || o.reason == ConnectReasonUnauthorized) {
		if err := r.markNotConnected(ctx, &cc, o); err != nil {
			log.FromContext(ctx).Error(err, "Marking the ClusterInfo not connected", "cluster", st.ClusterInfo)
		}
	}
	res := ctrl.Result{RequeueAfter: o.requeue}
	if o.connected && res.RequeueAfter == 0 {
		res.RequeueAfter = r.resync()
	}
	if !equalConnectStatus(before.Status, cc.Status) {
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
func (r *ConnectReconciler) markNotConnected(ctx context.Context, cc *regv1.ClusterConnect, o connectOutcome) error {
	var ci regv1.ClusterInfo
	if err := r.read().Get(ctx, client.ObjectKey{Name: cc.Status.ClusterInfo}, &ci); err != nil {
		return client.IgnoreNotFound(err)
	}
	if ci.Spec.Source.Type != ConnectSourceType || ci.Spec.Source.Connect != cc.Name {
		return nil
	}
	reason := regv1.ReasonClusterNotFound
	if o.reason == ConnectReasonUnauthorized {
		reason = regv1.ReasonAuthIssue
	}
	msg := connectTruncate(o.message)
	if ci.Status.Phase == regv1.PhaseNotConnected && ci.Status.Reason == reason && ci.Status.Message == msg {
		return nil
	}
	ci.Status.Phase, ci.Status.Reason, ci.Status.Message = regv1.PhaseNotConnected, reason, msg
	return r.Client.Status().Update(ctx, &ci)
}

func equalConnectStatus(a, b regv1.ClusterConnectStatus) bool { return a == b }

func connectTruncate(msg string) string {
	if len(msg) > 1024 {
		return msg[:1021] + "..."
	}
	return msg
}

// connect does one pass of the setup; every step is idempotent.
func (r *ConnectReconciler) connect(ctx context.Context, cc *regv1.ClusterConnect) connectOutcome {
	cluster := connectClusterName(cc)
	ns := connectManagementNamespace(cc)
	if errs := validation.IsDNS1123Subdomain(cluster); len(errs) > 0 || len(cluster) > 63 {
		return connectFail(ConnectReasonInvalidSpec, fmt.Sprintf("cluster name %q must be a DNS subdomain of at most 63 characters", cluster), 0)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return connectFail(ConnectReasonInvalidSpec, fmt.Sprintf("clusterTemplate.managementNamespace %q is not a valid namespace name", ns), 0)
	}
	if prev := cc.Status.ClusterInfo; prev != "" && prev != cluster {
		return connectFail(ConnectReasonInvalidSpec, fmt.Sprintf("the cluster was registered as %s; clusterTemplate.name cannot change: delete the ClusterConnect and create a new one", prev), 0)
	}
	users, err := connectUsers(cc.Spec.AdminUser, cc.Spec.ClusterTemplate.Access)
	if err != nil {
		return connectFail(ConnectReasonInvalidSpec, err.Error(), 0)
	}
	if err := r.checkRegistryConflicts(ctx, cc, cluster); err != nil {
		return connectRegistryFailure(err)
	}

	// The admin kubeconfig, else (after it was deleted) the registry's own token.
	authSecret, err := r.getSecret(ctx, r.Namespace, connectAuthSecretName(cluster))
	if err != nil {
		return connectRegistryFailure(err)
	}
	adminCfg, server, ownCreds, o := r.adminConfig(ctx, cc, authSecret)
	if o != nil {
		return *o
	}
	kc, err := r.targetClient(adminCfg)
	if err != nil {
		return connectFail(ConnectReasonInvalidKubeconfig, "the kubeconfig cannot be turned into a client", connectRetry)
	}
	if _, err := kc.Discovery().ServerVersion(); err != nil {
		return connectTargetFailure("reaching "+server, err)
	}
	if cc.Annotations[connectAnnTargetTouched] == "" {
		orig := cc.DeepCopy()
		if cc.Annotations == nil {
			cc.Annotations = map[string]string{}
		}
		cc.Annotations[connectAnnTargetTouched] = "true"
		if err := r.Client.Patch(ctx, cc, client.MergeFrom(orig)); err != nil {
			return connectRegistryFailure(err)
		}
	}

	t := &connectTarget{kc: kc, ns: ns, cluster: cluster, connect: cc.Name}
	if err := t.ensureNamespace(ctx); err != nil {
		return connectTargetFailure("namespace "+ns, err)
	}
	sa, err := t.ensureServiceAccount(ctx, ConnectAdminServiceAccount, "")
	if err != nil {
		return connectTargetFailure("admin service account", err)
	}
	if err := t.ensureBinding(ctx, ConnectAdminBinding, "", "cluster-admin", ConnectAdminServiceAccount); err != nil {
		return connectTargetFailure("admin ClusterRoleBinding", err)
	}
	tokenSecret, err := t.ensureTokenSecret(ctx, ConnectAdminTokenSecret, ConnectAdminServiceAccount)
	if err != nil {
		return connectTargetFailure("admin token Secret", err)
	}
	tok, wait, err := r.adminToken(ctx, t, sa, tokenSecret, authSecret, ownCreds)
	if err != nil {
		return connectTargetFailure("admin token", err)
	}
	if wait > 0 {
		return connectOutcome{reason: ConnectReasonWaitingForToken,
			message: fmt.Sprintf("waiting for the token controller to fill Secret %s/%s", ns, ConnectAdminTokenSecret), requeue: wait}
	}

	// Verify the new credentials with real requests, and read what the ClusterInfo shows. A
	// stored token the target no longer takes (signing keys rotated) is replaced once.
	kubeconfig, info, err := r.verifyToken(ctx, adminCfg, server, cluster, tok)
	if err != nil && connectIsAuthError(err) && tok.stored {
		if tok, err = t.requestToken(ctx, sa); err != nil {
			return connectTargetFailure("admin token", err)
		}
		kubeconfig, info, err = r.verifyToken(ctx, adminCfg, server, cluster, tok)
	}
	if err != nil {
		return connectTargetFailure("verifying the registry's service account token", err)
	}
	if err := r.storeAuth(ctx, cc, cluster, authSecret, kubeconfig, tok, adminCfg.CAData); err != nil {
		return connectRegistryFailure(err)
	}
	if err := r.ensureUsers(ctx, cc, t, users, server, adminCfg); err != nil {
		// Mostly the target's errors: summarized, never quoted.
		return connectTargetFailure("access rules", err)
	}
	if err := r.registerCluster(ctx, cc, cluster, server, info); err != nil {
		return connectRegistryFailure(err)
	}
	cc.Status.ClusterInfo = cluster
	return connectOutcome{connected: true, message: fmt.Sprintf("cluster %s (%s, Kubernetes %s) connected: ClusterInfo %s, ClusterAuthInfo %s, %d user(s)",
		cluster, server, info.version, cluster, cluster, len(users))}
}

// adminConfig reads the admin kubeconfig; once it is gone the stored token kubeconfig serves
// (ownCreds true).
func (r *ConnectReconciler) adminConfig(ctx context.Context, cc *regv1.ClusterConnect, authSecret *corev1.Secret) (*rest.Config, string, bool, *connectOutcome) {
	data, where, refusal, err := r.configData(ctx, cc)
	if err != nil {
		o := connectRegistryFailure(err)
		return nil, "", false, &o
	}
	if refusal != "" {
		o := connectFail(ConnectReasonInvalidSpec, refusal, 0)
		return nil, "", false, &o
	}
	if data == nil {
		if authSecret != nil && len(authSecret.Data[regv1.KeyKubeconfig]) > 0 && authSecret.Labels[ConnectLabel] == cc.Name {
			cfg, server, err := ParseKubeconfig(authSecret.Data[regv1.KeyKubeconfig])
			if err == nil && r.Options.checkTarget(cfg, server) == "" {
				return cfg, server, true, nil
			}
		}
		o := connectFail(ConnectReasonConfigNotFound, fmt.Sprintf("%s not found", where), connectRetry)
		return nil, "", false, &o
	}
	cfg, server, err := ParseKubeconfig(data)
	if err != nil {
		o := connectFail(ConnectReasonInvalidKubeconfig, fmt.Sprintf("%s: %v", where, err), connectRetry)
		return nil, "", false, &o
	}
	if msg := r.Options.checkTarget(cfg, server); msg != "" {
		o := connectFail(ConnectReasonInvalidKubeconfig, fmt.Sprintf("%s: %s", where, msg), connectRetry)
		return nil, "", false, &o
	}
	return cfg, server, false, nil
}

// configData returns the admin kubeconfig (nil when its Secret or key is missing) and a
// description of where it is looked for; refusal says why configSecretRef may not be read
// (a namespace the operator did not allow, or one of the registrar's own Secrets).
func (r *ConnectReconciler) configData(ctx context.Context, cc *regv1.ClusterConnect) (data []byte, where, refusal string, err error) {
	ref := cc.Spec.ConfigSecretRef
	ns, key := ref.Namespace, ref.Key
	if ns == "" {
		ns = r.Namespace
	}
	if key == "" {
		key = regv1.KeyKubeconfig
	}
	where = fmt.Sprintf("key %q of Secret %s/%s", key, ns, ref.Name)
	if ref.Name == "" {
		return nil, "configSecretRef (no Secret name given)", "", nil
	}
	// Checked before reading: whether a Secret exists elsewhere is not for the author of a
	// ClusterConnect to learn either.
	if allowed := r.configNamespaces(); !slices.Contains(allowed, ns) {
		return nil, where, fmt.Sprintf(connectMsgNamespace, ns, strings.Join(allowed, ", ")), nil
	}
	s, err := r.getSecret(ctx, ns, ref.Name)
	if err != nil || s == nil {
		return nil, where, "", err
	}
	if s.Labels[connectManagedByLabel] == connectManagedBy {
		return nil, where, fmt.Sprintf(connectMsgRegistryOwn, ns, ref.Name), nil
	}
	data, ok := s.Data[key]
	if !ok {
		return nil, where, "", nil
	}
	if data == nil {
		data = []byte{}
	}
	return data, where, "", nil
}

// getSecret reads a Secret through the API reader; nil when it does not exist.
func (r *ConnectReconciler) getSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	var s corev1.Secret
	if err := r.read().Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", ns, name, err)
	}
	return &s, nil
}

// adminToken returns the admin service account's token: the token controller's, else a
// stored TokenRequest token that is still good, else (after TokenWait) a new TokenRequest
// token. wait > 0 asks to look again later.
func (r *ConnectReconciler) adminToken(ctx context.Context, t *connectTarget, sa *corev1.ServiceAccount, tokenSecret, authSecret *corev1.Secret, ownCreds bool) (*connectToken, time.Duration, error) {
	if tok := tokenSecret.Data[corev1.ServiceAccountTokenKey]; len(tok) > 0 {
		return &connectToken{token: string(tok), saUID: sa.UID}, 0, nil
	}
	if tok := connectStoredToken(authSecret, sa); tok != nil {
		return tok, 0, nil
	}
	if age := time.Since(tokenSecret.CreationTimestamp.Time); age < r.tokenWait() && !ownCreds {
		return nil, max(r.tokenWait()-age, 500*time.Millisecond), nil
	}
	log.FromContext(ctx).Info("Token Secret not filled by a token controller, using the TokenRequest API", "secret", t.ns+"/"+ConnectAdminTokenSecret)
	tok, err := t.requestToken(ctx, sa)
	return tok, 0, err
}

// verifyToken writes the token kubeconfig and makes real requests with it (reading what the
// ClusterInfo shows).
func (r *ConnectReconciler) verifyToken(ctx context.Context, base *rest.Config, server, cluster string, tok *connectToken) ([]byte, *connectTargetInfo, error) {
	kubeconfig, err := kubeconfigForToken(base, server, tok.token, cluster)
	if err != nil {
		return nil, nil, fmt.Errorf("writing the token kubeconfig: %w", err)
	}
	tokenCfg, _, err := ParseKubeconfig(kubeconfig)
	if err != nil {
		return nil, nil, fmt.Errorf("the token kubeconfig: %w", err)
	}
	tc, err := r.targetClient(tokenCfg)
	if err != nil {
		return nil, nil, err
	}
	info, err := connectReadTarget(ctx, tc)
	return kubeconfig, info, err
}

// connectTargetInfo is what the ClusterInfo shows of the target.
type connectTargetInfo struct {
	version    string
	uid        string
	readyNodes int32
}

func connectReadTarget(ctx context.Context, kc kubernetes.Interface) (*connectTargetInfo, error) {
	ns, err := kc.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	v, err := kc.Discovery().ServerVersion()
	if err != nil {
		return nil, err
	}
	nodes, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	info := &connectTargetInfo{version: v.GitVersion, uid: string(ns.UID)}
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				info.readyNodes++
			}
		}
	}
	return info, nil
}

func (r *ConnectReconciler) registryLabels(cc *regv1.ClusterConnect, cluster, user string) map[string]string {
	l := map[string]string{connectManagedByLabel: connectManagedBy, regv1.LabelCluster: cluster, ConnectLabel: cc.Name}
	if user != "" {
		l[regv1.LabelUser] = user
	}
	return l
}

// checkRegistryConflicts refuses to take over a ClusterInfo or ClusterAuthInfo someone else
// registered under the same name.
func (r *ConnectReconciler) checkRegistryConflicts(ctx context.Context, cc *regv1.ClusterConnect, cluster string) error {
	var info regv1.ClusterInfo
	err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &info)
	if err == nil && (info.Spec.Source.Type != ConnectSourceType || info.Spec.Source.Connect != cc.Name) {
		return &connectConflictError{msg: fmt.Sprintf("ClusterInfo %s is already registered (source %s %s%s)", cluster,
			info.Spec.Source.Type, info.Spec.Source.Connect, info.Spec.Source.Namespace)}
	}
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	var auth regv1.ClusterAuthInfo
	err = r.read().Get(ctx, client.ObjectKey{Name: cluster}, &auth)
	if err == nil && auth.Labels[ConnectLabel] != cc.Name {
		return &connectConflictError{msg: fmt.Sprintf("ClusterAuthInfo %s exists and was not made by this ClusterConnect", cluster)}
	}
	return client.IgnoreNotFound(err)
}

// writeSecret creates or updates a Secret of the registry (only one it made). owner, when
// given, is the ClusterUserAuth the Secret is made for: the auth API serves a Secret's
// credentials only through the ClusterUserAuth that owns it.
func (r *ConnectReconciler) writeSecret(ctx context.Context, existing *corev1.Secret, name string, l map[string]string, data map[string][]byte, tok *connectToken, owner *metav1.OwnerReference) error {
	var owners []metav1.OwnerReference
	if owner != nil {
		owners = []metav1.OwnerReference{*owner}
	}
	if existing == nil {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: name, Labels: l, OwnerReferences: owners}, Type: corev1.SecretTypeOpaque, Data: data}
		tok.annotate(s)
		return r.Client.Create(ctx, s)
	}
	if existing.Labels[connectManagedByLabel] != connectManagedBy || existing.Labels[ConnectLabel] != l[ConnectLabel] {
		return &connectConflictError{msg: fmt.Sprintf("Secret %s/%s exists and was not made by this ClusterConnect", r.Namespace, name)}
	}
	s := existing.DeepCopy()
	s.Labels = l
	s.Data = data
	s.OwnerReferences = owners
	tok.annotate(s)
	if maps.EqualFunc(s.Data, existing.Data, func(a, b []byte) bool { return string(a) == string(b) }) &&
		maps.Equal(s.Annotations, existing.Annotations) && maps.Equal(s.Labels, existing.Labels) &&
		slices.EqualFunc(s.OwnerReferences, existing.OwnerReferences, func(a, b metav1.OwnerReference) bool { return a.UID == b.UID && a.Name == b.Name && a.Kind == b.Kind }) {
		return nil
	}
	return r.Client.Update(ctx, s)
}

func connectSecretData(kubeconfig []byte, token string, ca []byte) (map[string][]byte, []string) {
	data := map[string][]byte{regv1.KeyKubeconfig: kubeconfig, regv1.KeyToken: []byte(token)}
	if len(ca) > 0 {
		data[regv1.KeyCAData] = ca
	}
	keys := slices.Sorted(maps.Keys(data))
	return data, keys
}

// storeAuth keeps the registry's admin token kubeconfig: Secret cluster-<cluster>-auth and the
// ClusterAuthInfo pointing at it.
func (r *ConnectReconciler) storeAuth(ctx context.Context, cc *regv1.ClusterConnect, cluster string, existing *corev1.Secret, kubeconfig []byte, tok *connectToken, ca []byte) error {
	name := connectAuthSecretName(cluster)
	data, keys := connectSecretData(kubeconfig, tok.token, ca)
	l := r.registryLabels(cc, cluster, "")
	if err := r.writeSecret(ctx, existing, name, l, data, tok, nil); err != nil {
		return fmt.Errorf("storing Secret %s/%s: %w", r.Namespace, name, err)
	}
	spec := regv1.ClusterAuthInfoSpec{Cluster: cluster, SecretRef: regv1.SecretReference{Name: name, Namespace: r.Namespace}, Keys: keys,
		Username: "system:serviceaccount:" + connectManagementNamespace(cc) + ":" + ConnectAdminServiceAccount}
	var auth regv1.ClusterAuthInfo
	err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &auth)
	if apierrors.IsNotFound(err) {
		auth = regv1.ClusterAuthInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster, Labels: l}, Spec: spec}
		return r.Client.Create(ctx, &auth)
	}
	if err != nil {
		return err
	}
	if connectAuthSpecEqual(auth.Spec, spec) && maps.Equal(auth.Labels, l) {
		return nil
	}
	auth.Spec, auth.Labels = spec, l
	return r.Client.Update(ctx, &auth)
}

func connectAuthSpecEqual(a, b regv1.ClusterAuthInfoSpec) bool {
	return a.Cluster == b.Cluster && a.SecretRef == b.SecretRef && a.Username == b.Username && slices.Equal(a.Keys, b.Keys)
}

// ensureUsers gives every user of the access rules its service account, ClusterRole,
// ClusterRoleBinding and token in the target, and its Secret and ClusterUserAuth in the
// registry; users no longer in the rules lose theirs.
func (r *ConnectReconciler) ensureUsers(ctx context.Context, cc *regv1.ClusterConnect, t *connectTarget, users []*connectUser, server string, base *rest.Config) error {
	keep := map[string]bool{}
	for _, u := range users {
		keep[u.slug] = true
		name := ConnectUserPrefix + u.slug
		sa, err := t.ensureServiceAccount(ctx, name, u.slug)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		if err := t.ensureClusterRole(ctx, name, u.slug, u.rules); err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		if err := t.ensureBinding(ctx, name, u.slug, name, name); err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		secretName := connectUserSecretName(t.cluster, u.slug)
		existing, err := r.getSecret(ctx, r.Namespace, secretName)
		if err != nil {
			return err
		}
		tok := connectStoredToken(existing, sa)
		if tok == nil {
			if tok, err = t.requestToken(ctx, sa); err != nil {
				return fmt.Errorf("user %s: %w", u.user, err)
			}
		}
		kubeconfig, err := kubeconfigForToken(base, server, tok.token, t.cluster)
		if err != nil {
			return err
		}
		data, keys := connectSecretData(kubeconfig, tok.token, base.CAData)
		l := r.registryLabels(cc, t.cluster, u.slug)
		if existing != nil && (existing.Labels[connectManagedByLabel] != connectManagedBy || existing.Labels[ConnectLabel] != l[ConnectLabel]) {
			return &connectConflictError{msg: fmt.Sprintf("Secret %s/%s exists and was not made by this ClusterConnect", r.Namespace, secretName)}
		}
		// The ClusterUserAuth first: its Secret is then written owned by it.
		spec := regv1.ClusterUserAuthSpec{Cluster: t.cluster, User: u.user, SecretRef: regv1.SecretReference{Name: secretName, Namespace: r.Namespace},
			Keys: keys, Verbs: u.verbs, Subresources: u.subresources}
		ua, err := r.writeUserAuth(ctx, connectUserAuthName(t.cluster, u.slug), l, spec)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		owner := &metav1.OwnerReference{APIVersion: regv1.GroupVersion.String(), Kind: "ClusterUserAuth", Name: ua.Name, UID: ua.UID}
		if err := r.writeSecret(ctx, existing, secretName, l, data, tok, owner); err != nil {
			return fmt.Errorf("user %s: storing Secret %s/%s: %w", u.user, r.Namespace, secretName, err)
		}
	}
	if err := t.removeStaleUsers(ctx, keep); err != nil {
		return fmt.Errorf("removing users no longer in the access rules: %w", err)
	}
	var list regv1.ClusterUserAuthList
	if err := r.read().List(ctx, &list, client.MatchingLabels{ConnectLabel: cc.Name}); err != nil {
		return err
	}
	for i := range list.Items {
		ua := &list.Items[i]
		if slug := ua.Labels[regv1.LabelUser]; keep[slug] {
			continue
		}
		if err := r.deleteRegistryObject(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ua.Spec.SecretRef.Namespace, Name: ua.Spec.SecretRef.Name}}, cc.Name); err != nil {
			return err
		}
		if err := client.IgnoreNotFound(r.Client.Delete(ctx, ua)); err != nil {
			return err
		}
	}
	return nil
}

func (r *ConnectReconciler) writeUserAuth(ctx context.Context, name string, l map[string]string, spec regv1.ClusterUserAuthSpec) (*regv1.ClusterUserAuth, error) {
	var ua regv1.ClusterUserAuth
	err := r.read().Get(ctx, client.ObjectKey{Name: name}, &ua)
	if apierrors.IsNotFound(err) {
		ua = regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: spec}
		return &ua, r.Client.Create(ctx, &ua)
	}
	if err != nil {
		return nil, err
	}
	if ua.Labels[ConnectLabel] != l[ConnectLabel] {
		return nil, &connectConflictError{msg: fmt.Sprintf("ClusterUserAuth %s exists and was not made by this ClusterConnect", name)}
	}
	s := ua.Spec
	if s.Cluster == spec.Cluster && s.User == spec.User && s.SecretRef == spec.SecretRef && slices.Equal(s.Keys, spec.Keys) &&
		slices.Equal(s.Verbs, spec.Verbs) && slices.Equal(s.Subresources, spec.Subresources) && maps.Equal(ua.Labels, l) {
		return &ua, nil
	}
	ua.Spec, ua.Labels = spec, l
	return &ua, r.Client.Update(ctx, &ua)
}

// registerCluster creates or updates the ClusterInfo and marks it Active.
func (r *ConnectReconciler) registerCluster(ctx context.Context, cc *regv1.ClusterConnect, cluster, server string, info *connectTargetInfo) error {
	tmpl := cc.Spec.ClusterTemplate
	owner := ""
	if tmpl.Owner != nil {
		owner = tmpl.Owner.User
		if owner == "" && tmpl.Owner.Team != "" {
			owner = "team:" + tmpl.Owner.Team
		}
	}
	spec := regv1.ClusterInfoSpec{
		DisplayName: tmpl.DisplayName, Name: cluster, UID: info.uid, Owner: owner, Provider: ConnectProvider, Endpoint: server,
		KubernetesVersion: info.version, NodeCount: info.readyNodes, AuthInfo: cluster,
		Source: regv1.ClusterSource{Type: ConnectSourceType, Connect: cc.Name},
	}
	l := r.registryLabels(cc, cluster, "")
	var ci regv1.ClusterInfo
	err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &ci)
	switch {
	case apierrors.IsNotFound(err):
		spec.CreatedAt = time.Now().Unix()
		ci = regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster, Labels: l}, Spec: spec}
		if err := r.Client.Create(ctx, &ci); err != nil {
			return fmt.Errorf("creating ClusterInfo %s: %w", cluster, err)
		}
	case err != nil:
		return err
	default:
		spec.CreatedAt = ci.Spec.CreatedAt
		if !connectInfoSpecEqual(ci.Spec, spec) || !maps.Equal(ci.Labels, l) {
			ci.Spec, ci.Labels = spec, l
			if err := r.Client.Update(ctx, &ci); err != nil {
				return fmt.Errorf("updating ClusterInfo %s: %w", cluster, err)
			}
		}
	}
	ci.Status = regv1.ClusterInfoStatus{Phase: regv1.PhaseActive, Message: fmt.Sprintf("connected by ClusterConnect %s; %d Ready nodes", cc.Name, info.readyNodes),
		ReadyNodes: info.readyNodes, LastSeen: metav1.Now(), ObservedGeneration: ci.Generation}
	if err := r.Client.Status().Update(ctx, &ci); err != nil {
		return fmt.Errorf("status of ClusterInfo %s: %w", cluster, err)
	}
	return nil
}

func connectInfoSpecEqual(a, b regv1.ClusterInfoSpec) bool {
	return a.DisplayName == b.DisplayName && a.Name == b.Name && a.UID == b.UID && a.Owner == b.Owner && a.Provider == b.Provider &&
		a.Endpoint == b.Endpoint && a.KubernetesVersion == b.KubernetesVersion && a.NodeCount == b.NodeCount && a.AuthInfo == b.AuthInfo &&
		a.CreatedAt == b.CreatedAt && a.Source.Type == b.Source.Type && a.Source.Connect == b.Source.Connect &&
		a.Source.Namespace == b.Source.Namespace && len(a.Source.MachineDeployments) == 0 && a.ExternalID == b.ExternalID &&
		a.Location == b.Location && a.Project == b.Project
}

// deleteRegistryObject deletes an object of the registry if this ClusterConnect made it.
func (r *ConnectReconciler) deleteRegistryObject(ctx context.Context, obj client.Object, connect string) error {
	if err := r.read().Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return client.IgnoreNotFound(err)
	}
	if obj.GetLabels()[ConnectLabel] != connect || obj.GetLabels()[connectManagedByLabel] != connectManagedBy {
		return nil
	}
	return client.IgnoreNotFound(r.Client.Delete(ctx, obj))
}

// disconnect removes what the ClusterConnect made: first in the target (with the admin
// kubeconfig if its Secret is still there, else with the registry's own token), then in the
// registry. A target that stays unreachable for DisconnectTimeout (counted from the deletion)
// is given up on with a Warning event naming what may be left there.
func (r *ConnectReconciler) disconnect(ctx context.Context, cc *regv1.ClusterConnect) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(cc, ConnectFinalizer) {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx)
	cluster := cc.Status.ClusterInfo
	if cluster == "" {
		cluster = connectClusterName(cc)
	}
	t := &connectTarget{ns: connectManagementNamespace(cc), cluster: cluster, connect: cc.Name}
	touched := cc.Annotations[connectAnnTargetTouched] != ""
	if touched {
		if err := r.cleanupTarget(ctx, cc, t); err != nil {
			elapsed := time.Since(cc.DeletionTimestamp.Time)
			if elapsed < r.disconnectTimeout() && !errors.Is(err, errConnectNoCredentials) {
				before := cc.DeepCopy()
				cc.Status.Reason, cc.Status.Message = ConnectReasonDisconnecting, connectTruncate(fmt.Sprintf("removing the registry's objects from the target cluster: %s; retrying", connectDisconnectSummary(err)))
				if cc.Status != before.Status {
					r.Recorder.Eventf(cc, nil, corev1.EventTypeWarning, ConnectReasonDisconnecting, "Disconnect", "%s", cc.Status.Message)
					if perr := r.Client.Status().Patch(ctx, cc, client.MergeFrom(before)); perr != nil {
						return ctrl.Result{}, client.IgnoreNotFound(perr)
					}
				}
				return ctrl.Result{RequeueAfter: min(5*time.Second, r.disconnectTimeout()-elapsed+time.Second)}, nil
			}
			r.Recorder.Eventf(cc, nil, corev1.EventTypeWarning, "DisconnectIncomplete", "Disconnect",
				"gave up on the target cluster after %s (%s); these may be left there: %s", elapsed.Round(time.Second), connectDisconnectSummary(err), t.leftovers())
			logger.Info("Disconnect gave up on the target cluster", "cluster", cluster, "error", connectDisconnectSummary(err))
		}
	}
	if err := r.cleanupRegistry(ctx, cc, cluster); err != nil {
		return ctrl.Result{}, err
	}
	if touched || cc.Status.ClusterInfo != "" {
		r.Recorder.Eventf(cc, nil, corev1.EventTypeNormal, "Disconnected", "Disconnect", "cluster %s disconnected", cluster)
		logger.Info("Cluster disconnected", "cluster", cluster)
	}
	controllerutil.RemoveFinalizer(cc, ConnectFinalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, cc))
}

// connectDisconnectSummary is a disconnect's error as a fixed sentence.
func connectDisconnectSummary(err error) string {
	if errors.Is(err, errConnectNoCredentials) {
		return err.Error()
	}
	return connectErrorSummary(err)
}

// errConnectNoCredentials: nothing is left to log in to the target with (no point retrying).
var errConnectNoCredentials = errors.New("neither the admin kubeconfig nor the registry's token kubeconfig is left to log in to the target")

func (r *ConnectReconciler) cleanupTarget(ctx context.Context, cc *regv1.ClusterConnect, t *connectTarget) error {
	var cfg *rest.Config
	own := false
	if data, _, _, err := r.configData(ctx, cc); err != nil {
		return err
	} else if data != nil {
		if c, server, err := ParseKubeconfig(data); err == nil && r.Options.checkTarget(c, server) == "" {
			cfg = c
		}
	}
	if cfg == nil {
		s, err := r.getSecret(ctx, r.Namespace, connectAuthSecretName(t.cluster))
		if err != nil {
			return err
		}
		if s != nil && s.Labels[ConnectLabel] == cc.Name {
			if c, server, err := ParseKubeconfig(s.Data[regv1.KeyKubeconfig]); err == nil && r.Options.checkTarget(c, server) == "" {
				cfg, own = c, true
			}
		}
	}
	if cfg == nil {
		return errConnectNoCredentials
	}
	kc, err := r.targetClient(cfg)
	if err != nil {
		return err
	}
	t.kc = kc
	return t.cleanup(ctx, own)
}

// cleanupRegistry deletes the Secrets, ClusterUserAuths, ClusterAuthInfo and ClusterInfo the
// ClusterConnect made.
func (r *ConnectReconciler) cleanupRegistry(ctx context.Context, cc *regv1.ClusterConnect, cluster string) error {
	mine := client.MatchingLabels{ConnectLabel: cc.Name, connectManagedByLabel: connectManagedBy}
	var secrets corev1.SecretList
	if err := r.read().List(ctx, &secrets, client.InNamespace(r.Namespace), mine); err != nil {
		return err
	}
	for i := range secrets.Items {
		if err := client.IgnoreNotFound(r.Client.Delete(ctx, &secrets.Items[i])); err != nil {
			return err
		}
	}
	var uas regv1.ClusterUserAuthList
	if err := r.read().List(ctx, &uas, mine); err != nil {
		return err
	}
	for i := range uas.Items {
		if err := client.IgnoreNotFound(r.Client.Delete(ctx, &uas.Items[i])); err != nil {
			return err
		}
	}
	if err := r.deleteRegistryObject(ctx, &regv1.ClusterAuthInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster}}, cc.Name); err != nil {
		return err
	}
	var ci regv1.ClusterInfo
	if err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &ci); err == nil {
		if ci.Spec.Source.Type == ConnectSourceType && ci.Spec.Source.Connect == cc.Name {
			if err := client.IgnoreNotFound(r.Client.Delete(ctx, &ci)); err != nil {
				return err
			}
		}
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// connectChange lets through a new ClusterConnect, a spec change, the start of a deletion;
// status and annotation writes of the controller itself do not wake it again.
var connectChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld, e.ObjectNew
		return o.GetGeneration() != n.GetGeneration() || !n.GetDeletionTimestamp().Equal(o.GetDeletionTimestamp())
	},
}

// SetupWithManager registers the controller; a nil Client or Recorder is taken from mgr, and
// Secrets and registry objects are read with mgr's API reader.
func (r *ConnectReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("pco-cluster-registrar")
	}
	if r.Namespace == "" {
		return errors.New("ConnectReconciler: Namespace (where the registry keeps its Secrets) is required")
	}
	r.reader = mgr.GetAPIReader()
	return ctrl.NewControllerManagedBy(mgr).
		For(&regv1.ClusterConnect{}, builder.WithPredicates(connectChange)).
		Named("clusterconnect").
		Complete(r)
}
