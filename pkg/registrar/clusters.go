// Package registrar keeps the cluster registry (registry.pco-mcm.io) current: ClusterInfo for
// every cluster our machines form (found through MCM's MachineClasses and MachineDeployments)
// and for every cluster connected by kubeconfig (ClusterConnect), with their auth data in
// Secrets referenced by ClusterAuthInfo and ClusterUserAuth.
package registrar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// clusterTagPrefix marks the cluster in a providerSpec's tags (gardener's convention).
const clusterTagPrefix = "kubernetes.io-cluster-"

// syncKey is the single work item: every change re-derives all clusters of the namespace,
// which is cheap (a few list calls from the cache) and never misses a regrouping.
var syncKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "all-clusters"}}

// ClusterReconciler registers the clusters our machines form.
type ClusterReconciler struct {
	Client client.Client
	// ControlNamespace is MCM's namespace (MachineClasses, MachineDeployments, Machines).
	ControlNamespace string
	// Target is the cluster the machines join; TargetEndpoint its API server URL.
	Target         kubernetes.Interface
	TargetEndpoint string
	// TargetAuthSecret, when set, is a Secret with the target's kubeconfig: it is registered as
	// the clusters' ClusterAuthInfo (by reference; the registrar never copies it).
	TargetAuthSecret *types.NamespacedName
	Recorder         events.EventRecorder
	// Resync is how often node readiness and the version are re-read (no watch on the target).
	Resync time.Duration
}

// machineCluster is what the MCM objects say about one cluster.
type machineCluster struct {
	name        string
	deployments []string
	classes     map[string]bool
	region      string
	project     string
	desired     int32
	running     int32
	nodes       []string
}

// Reconcile registers (or updates) every cluster our Machines form, marks registered clusters
// without machines lost, and runs again every Resync whatever the request.
func (r *ClusterReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	clusters, err := r.fromMachines(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	target := r.readTarget(ctx)
	var errs []error
	for _, mc := range clusters {
		if err := r.register(ctx, mc, target); err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", mc.name, err))
		}
	}
	if err := r.markLost(ctx, clusters); err != nil {
		errs = append(errs, err)
	}
	observeClusters(ctx, r.Client)
	return ctrl.Result{RequeueAfter: r.Resync}, errors.Join(errs...)
}

// fromMachines groups the MachineDeployments by the cluster tag of their MachineClass.
func (r *ClusterReconciler) fromMachines(ctx context.Context) (map[string]*machineCluster, error) {
	in := client.InNamespace(r.ControlNamespace)
	var classes mcmv1alpha1.MachineClassList
	var deployments mcmv1alpha1.MachineDeploymentList
	var machines mcmv1alpha1.MachineList
	for _, l := range []client.ObjectList{&classes, &deployments, &machines} {
		if err := r.Client.List(ctx, l, in); err != nil {
			return nil, err
		}
	}
	byClass := map[string]*mcmv1alpha1.MachineClass{}
	for i := range classes.Items {
		byClass[classes.Items[i].Name] = &classes.Items[i]
	}
	clusters := map[string]*machineCluster{}
	classCluster := map[string]string{}
	for _, md := range deployments.Items {
		if md.DeletionTimestamp != nil {
			continue
		}
		class := byClass[md.Spec.Template.Spec.Class.Name]
		if class == nil {
			continue
		}
		spec, err := api.Decode(class.ProviderSpec.Raw)
		if err != nil {
			continue // a bad class is the machine controller's to report
		}
		name := clusterName(spec.Spec.Tags)
		if name == "" {
			continue
		}
		mc := clusters[name]
		if mc == nil {
			mc = &machineCluster{name: name, classes: map[string]bool{}, region: spec.Spec.Region}
			mc.project = r.projectOf(ctx, class)
			clusters[name] = mc
		}
		mc.deployments = append(mc.deployments, md.Name)
		mc.classes[class.Name] = true
		mc.desired += md.Spec.Replicas
		classCluster[class.Name] = name
	}
	for _, m := range machines.Items {
		mc := clusters[classCluster[m.Spec.Class.Name]]
		if mc == nil || m.DeletionTimestamp != nil {
			continue
		}
		if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
			mc.running++
		}
		// MCM labels a Machine with its Node's name once the Node has joined.
		if node := m.Labels["node"]; node != "" {
			mc.nodes = append(mc.nodes, node)
		}
	}
	for _, mc := range clusters {
		sort.Strings(mc.deployments)
	}
	return clusters, nil
}

// clusterName is the <name> of the kubernetes.io-cluster-<name> tag.
func clusterName(tags map[string]string) string {
	var names []string
	for k := range tags {
		if n, ok := strings.CutPrefix(k, clusterTagPrefix); ok && n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// projectOf reads the project from the class's credentials Secret: only the keys that name it
// (tenantName, tenantID), never the credentials.
func (r *ClusterReconciler) projectOf(ctx context.Context, class *mcmv1alpha1.MachineClass) string {
	ref := class.CredentialsSecretRef
	if ref == nil {
		ref = class.SecretRef
	}
	if ref == nil {
		return ""
	}
	var s corev1.Secret
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &s); err != nil {
		return ""
	}
	if p := string(s.Data["tenantName"]); p != "" {
		return p
	}
	return string(s.Data["tenantID"])
}

// targetState is what the target cluster says, read once per sync.
type targetState struct {
	version, uid string
	ready        map[string]bool // node name -> Ready
	err          error
}

func (r *ClusterReconciler) readTarget(ctx context.Context) targetState {
	if r.Target == nil {
		return targetState{err: errors.New("no target cluster configured")}
	}
	v, err := r.Target.Discovery().ServerVersion()
	if err != nil {
		return targetState{err: err}
	}
	st := targetState{version: v.GitVersion, ready: map[string]bool{}}
	if ns, err := r.Target.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{}); err == nil {
		st.uid = string(ns.UID)
	}
	nodes, err := r.Target.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return targetState{err: err}
	}
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				st.ready[n.Name] = c.Status == corev1.ConditionTrue
			}
		}
	}
	return st
}

// register creates or updates the cluster's ClusterInfo (and ClusterAuthInfo).
func (r *ClusterReconciler) register(ctx context.Context, mc *machineCluster, target targetState) error {
	name := objectName(mc.name)
	info := &regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: name}}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(info), info)
	created := apierrors.IsNotFound(err)
	if err != nil && !created {
		return err
	}
	if !created && info.Spec.Source.Type != "MachineDeployments" {
		return fmt.Errorf("ClusterInfo %s exists and is not from MachineDeployments (source %q): left alone", name, info.Spec.Source.Type)
	}
	readyNodes := int32(0)
	for _, n := range mc.nodes {
		if target.ready[n] {
			readyNodes++
		}
	}
	want := info.DeepCopy()
	want.Labels = maps.Clone(want.Labels)
	if want.Labels == nil {
		want.Labels = map[string]string{}
	}
	want.Labels[regv1.LabelCluster] = name
	want.Spec.Name = mc.name
	if want.Spec.DisplayName == "" {
		want.Spec.DisplayName = mc.name
	}
	want.Spec.Provider = regv1.ProviderPlusCloudOpen
	want.Spec.Endpoint = r.TargetEndpoint
	want.Spec.Location = mc.region
	want.Spec.Project = mc.project
	want.Spec.NodeCount = readyNodes
	want.Spec.Source = regv1.ClusterSource{Type: "MachineDeployments", Namespace: r.ControlNamespace, MachineDeployments: mc.deployments}
	if target.err == nil {
		want.Spec.KubernetesVersion = target.version
		if target.uid != "" {
			want.Spec.UID = target.uid
		}
	}
	if want.Spec.UID == "" {
		sum := sha256.Sum256([]byte(r.ControlNamespace + "/" + mc.name))
		want.Spec.UID = hex.EncodeToString(sum[:16])
	}
	if created {
		want.Spec.CreatedAt = time.Now().Unix()
	}
	if r.TargetAuthSecret != nil {
		if err := r.registerAuth(ctx, name); err != nil {
			return err
		}
		want.Spec.AuthInfo = name
	}
	if created {
		if err := r.Client.Create(ctx, want); err != nil {
			return err
		}
		r.Recorder.Eventf(want, nil, corev1.EventTypeNormal, "Registered", "Register", "cluster %s registered from MachineDeployments %v", mc.name, mc.deployments)
	} else if !equality.Semantic.DeepEqual(info.Spec, want.Spec) || !maps.Equal(info.Labels, want.Labels) {
		if err := r.Client.Update(ctx, want); err != nil {
			return err
		}
	}
	phase, reason, msg := regv1.PhaseActive, "", fmt.Sprintf("%d of %d machines Running, %d Ready nodes", mc.running, mc.desired, readyNodes)
	switch {
	case target.err != nil:
		phase, reason, msg = regv1.PhaseNotConnected, reasonFor(target.err), "target cluster: "+target.err.Error()
	case mc.running < mc.desired || readyNodes < mc.running:
		phase, reason = regv1.PhaseNotReady, regv1.ReasonUnknown
	}
	want.Status = regv1.ClusterInfoStatus{Phase: phase, Reason: reason, Message: msg, RunningMachines: mc.running, ReadyNodes: readyNodes,
		LastSeen: metav1.Now(), ObservedGeneration: want.Generation}
	return r.Client.Status().Update(ctx, want)
}

// registerAuth references the target kubeconfig Secret from a ClusterAuthInfo (key names only).
func (r *ClusterReconciler) registerAuth(ctx context.Context, name string) error {
	var s corev1.Secret
	if err := r.Client.Get(ctx, *r.TargetAuthSecret, &s); err != nil {
		return fmt.Errorf("target auth secret %s: %w", r.TargetAuthSecret, err)
	}
	var keys []string
	for k := range s.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	auth := &regv1.ClusterAuthInfo{ObjectMeta: metav1.ObjectMeta{Name: name}}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(auth), auth)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	spec := regv1.ClusterAuthInfoSpec{Cluster: name, SecretRef: regv1.SecretReference{Name: s.Name, Namespace: s.Namespace}, Keys: keys}
	if apierrors.IsNotFound(err) {
		auth.Labels = map[string]string{regv1.LabelCluster: name}
		auth.Spec = spec
		return r.Client.Create(ctx, auth)
	}
	if slices.Equal(auth.Spec.Keys, spec.Keys) && auth.Spec.SecretRef == spec.SecretRef && auth.Spec.Cluster == spec.Cluster {
		return nil
	}
	auth.Spec = spec
	return r.Client.Update(ctx, auth)
}

// markLost marks registrations of this namespace whose MachineDeployments are gone.
func (r *ClusterReconciler) markLost(ctx context.Context, current map[string]*machineCluster) error {
	var list regv1.ClusterInfoList
	if err := r.Client.List(ctx, &list); err != nil {
		return err
	}
	for i := range list.Items {
		info := &list.Items[i]
		if info.Spec.Source.Type != "MachineDeployments" || info.Spec.Source.Namespace != r.ControlNamespace {
			continue
		}
		if _, ok := current[info.Spec.Name]; ok || info.Status.Phase == regv1.PhaseLost {
			continue
		}
		info.Status.Phase, info.Status.Reason = regv1.PhaseLost, regv1.ReasonClusterNotFound
		info.Status.Message = fmt.Sprintf("no MachineDeployment of cluster %s is left in namespace %s", info.Spec.Name, r.ControlNamespace)
		info.Status.RunningMachines, info.Status.ReadyNodes = 0, 0
		if err := r.Client.Status().Update(ctx, info); err != nil {
			return err
		}
		r.Recorder.Eventf(info, nil, corev1.EventTypeWarning, "Lost", "Register", "%s", info.Status.Message)
		log.FromContext(ctx).Info("Cluster lost", "cluster", info.Spec.Name)
	}
	return nil
}

// objectName turns a cluster name into an object name (DNS subdomain).
func objectName(cluster string) string {
	n := strings.ToLower(cluster)
	if len(validation.IsDNS1123Subdomain(n)) == 0 {
		return n
	}
	var b strings.Builder
	for _, c := range n {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	sum := sha256.Sum256([]byte(cluster))
	suffix := "-" + hex.EncodeToString(sum[:4])
	if len(out) > 253-len(suffix) {
		out = out[:253-len(suffix)]
	}
	return out + suffix
}

func reasonFor(err error) string {
	if apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) {
		return regv1.ReasonAuthIssue
	}
	return regv1.ReasonClusterNotFound
}

// SetupWithManager watches MCM's objects of the control namespace; every event re-syncs.
func (r *ClusterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Resync == 0 {
		r.Resync = 30 * time.Second
	}
	all := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []reconcile.Request {
		if obj.GetNamespace() != r.ControlNamespace {
			return nil
		}
		return []reconcile.Request{syncKey}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("clusters").
		Watches(&mcmv1alpha1.MachineDeployment{}, all).
		Watches(&mcmv1alpha1.MachineClass{}, all).
		Watches(&mcmv1alpha1.Machine{}, all).
		Complete(r)
}
