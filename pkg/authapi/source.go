package authapi

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	apistorage "k8s.io/apiserver/pkg/storage"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// changeKind says which source object changed.
type changeKind int

const (
	userAuthChange changeKind = iota
	clusterInfoChange
	secretChange
)

// change is one event of a source informer, as the watches receive it. old is nil for an
// add, new is nil for a delete.
type change struct {
	kind     changeKind
	old, new client.Object
	// rv is the event's resourceVersion (for a delete, the deletion's).
	rv uint64
}

// subscription is one open watch's feed of changes.
type subscription struct {
	ch chan change
	// dropped is closed when the watch fell too far behind and was cut off (it ends; the
	// client watches again from its last resourceVersion or relists).
	dropped chan struct{}
	// user counts against the watch cap.
	user string
}

// subscriptionBuffer is how many changes a watch may lag behind before it is cut off, as the
// kube-apiserver's watch cache cuts off slow watchers instead of blocking everybody.
const subscriptionBuffer = 1000

// state is the registry as the informers delivered it. The objects are the informers' and
// are never modified.
type state struct {
	userAuths map[string]*regv1.ClusterUserAuth
	clusters  map[string]*regv1.ClusterInfo
	secrets   map[string]*corev1.Secret // by namespace/name
	// byUser, byCluster and bySecret index the ClusterUserAuths' names by spec.user,
	// spec.cluster and spec.secretRef (namespace/name).
	byUser, byCluster, bySecret map[string]map[string]struct{}
}

// Source is the registry as the auth API serves it: informers on ClusterUserAuths,
// ClusterInfos and the Secrets of the registry namespace feed an in-memory state that Get,
// List and Watch read, so requests do not reach the kube-apiserver.
//
// The state, the resourceVersion bookkeeping and the watches' subscriptions change together
// under one lock, in the order the informers deliver: a watch's starting point and its
// stream of changes never overlap or leave a gap.
//
// resourceVersions are the kube-apiserver's (etcd revisions; ClusterUserAuths, ClusterInfos
// and Secrets share one etcd revision space unless the kube-apiserver splits them with
// --etcd-servers-overrides), so they mean the same on every replica.
type Source struct {
	cache         cache.Cache
	registrations []toolscache.ResourceEventHandlerRegistration

	mu    sync.RWMutex
	st    state
	subs  map[*subscription]struct{}
	rv    uint64 // the newest resourceVersion delivered
	moved chan struct{}
	// lastChange is, per user, the resourceVersion of the newest change of an object they
	// see; lastAny the same for any object (what admins see).
	lastChange map[string]uint64
	lastAny    uint64

	// secretNamespace is SourceOptions.SecretNamespace.
	secretNamespace string
	// maxWatches and watches cap the concurrent watches of one user.
	maxWatches int
	watches    map[string]int
}

// SourceOptions configure a Source.
type SourceOptions struct {
	// SecretNamespace is the namespace of the registry's Secrets (the registrar's
	// --registry-namespace). Only Secrets there are cached and served: a ClusterUserAuth
	// that refers to a Secret elsewhere shows no credentials. Empty caches Secrets of every
	// namespace.
	SecretNamespace string
	// SyncPeriod of the informers (default: controller-runtime's).
	SyncPeriod *time.Duration
	// MaxWatchesPerUser caps the watches one user may have open at once, over both
	// resources (each holds a goroutine and a buffer of up to 1,000 changes here); past it a
	// watch is refused with 429 Too Many Requests. 0: DefaultMaxWatchesPerUser; negative: no
	// cap.
	MaxWatchesPerUser int
}

// DefaultMaxWatchesPerUser is enough for kubectl get -w and an informer per resource, with
// room for reconnects that overlap.
const DefaultMaxWatchesPerUser = 10

// NewSource builds the informers from cfg; Start runs them.
func NewSource(cfg *rest.Config, opts SourceOptions) (*Source, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := regv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	secrets := cache.ByObject{Transform: keepCredentials}
	if opts.SecretNamespace != "" {
		secrets.Namespaces = map[string]cache.Config{opts.SecretNamespace: {}}
	}
	c, err := cache.New(cfg, cache.Options{
		Scheme:           scheme,
		SyncPeriod:       opts.SyncPeriod,
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject:         map[client.Object]cache.ByObject{&corev1.Secret{}: secrets},
	})
	if err != nil {
		return nil, err
	}
	s := &Source{
		cache: c,
		st: state{
			userAuths: map[string]*regv1.ClusterUserAuth{},
			clusters:  map[string]*regv1.ClusterInfo{},
			secrets:   map[string]*corev1.Secret{},
			byUser:    map[string]map[string]struct{}{},
			byCluster: map[string]map[string]struct{}{},
			bySecret:  map[string]map[string]struct{}{},
		},
		subs:            map[*subscription]struct{}{},
		moved:           make(chan struct{}),
		lastChange:      map[string]uint64{},
		secretNamespace: opts.SecretNamespace,
		maxWatches:      opts.MaxWatchesPerUser,
		watches:         map[string]int{},
	}
	if s.maxWatches == 0 {
		s.maxWatches = DefaultMaxWatchesPerUser
	}
	for kind, obj := range map[changeKind]client.Object{
		userAuthChange:    &regv1.ClusterUserAuth{},
		clusterInfoChange: &regv1.ClusterInfo{},
		secretChange:      &corev1.Secret{},
	} {
		inf, err := c.GetInformer(context.Background(), obj)
		if err != nil {
			return nil, err
		}
		reg, err := inf.AddEventHandler(s.handler(kind))
		if err != nil {
			return nil, err
		}
		s.registrations = append(s.registrations, reg)
	}
	return s, nil
}

// keepCredentials keeps of a Secret only what the API serves (the kubeconfig and token keys)
// and its owner references (which ClusterUserAuth it was made for): the cache then holds
// less, and no other key (nor a kubectl last-applied annotation with all of them) stays in
// memory.
func keepCredentials(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return obj, nil
	}
	out := &corev1.Secret{}
	out.Namespace, out.Name, out.UID, out.ResourceVersion = s.Namespace, s.Name, s.UID, s.ResourceVersion
	out.OwnerReferences = s.OwnerReferences
	for _, k := range []string{regv1.KeyKubeconfig, regv1.KeyToken} {
		if v, ok := s.Data[k]; ok {
			if out.Data == nil {
				out.Data = map[string][]byte{}
			}
			out.Data[k] = v
		}
	}
	return out, nil
}

// Start runs the informers until ctx is done and returns once every one of them has
// delivered its initial list to the state.
func (s *Source) Start(ctx context.Context) error {
	errs := make(chan error, 1)
	go func() { errs <- s.cache.Start(ctx) }()
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		select {
		case err := <-errs:
			if err == nil {
				err = fmt.Errorf("the informers stopped")
			}
			return false, err
		default:
		}
		return s.HasSynced(), nil
	})
	if err != nil {
		return fmt.Errorf("syncing the registry's informers: %w", err)
	}
	return nil
}

// HasSynced says whether every informer has delivered its initial list.
func (s *Source) HasSynced() bool {
	for _, r := range s.registrations {
		if !r.HasSynced() {
			return false
		}
	}
	return true
}

func (s *Source) handler(kind changeKind) toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if o, ok := obj.(client.Object); ok {
				s.apply(change{kind: kind, new: o, rv: resourceVersion(o)})
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, okOld := oldObj.(client.Object)
			n, okNew := newObj.(client.Object)
			if okOld && okNew && o.GetResourceVersion() != n.GetResourceVersion() { // resyncs change nothing
				s.apply(change{kind: kind, old: o, new: n, rv: resourceVersion(n)})
			}
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if o, ok := obj.(client.Object); ok {
				s.apply(change{kind: kind, old: o, rv: resourceVersion(o)})
			}
		},
	}
}

func resourceVersion(o client.Object) uint64 {
	if o == nil {
		return 0
	}
	rv, _ := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
	return rv
}

func secretKey(namespace, name string) string { return namespace + "/" + name }

func addIndex(idx map[string]map[string]struct{}, key, name string) {
	if idx[key] == nil {
		idx[key] = map[string]struct{}{}
	}
	idx[key][name] = struct{}{}
}

func removeIndex(idx map[string]map[string]struct{}, key, name string) {
	delete(idx[key], name)
	if len(idx[key]) == 0 {
		delete(idx, key)
	}
}

// apply puts a change into the state, records which users it concerns and passes it to the
// watches.
func (s *Source) apply(ch change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	users := map[string]struct{}{}
	relevant := true // to admins
	switch ch.kind {
	case userAuthChange:
		if old, ok := ch.old.(*regv1.ClusterUserAuth); ok {
			users[old.Spec.User] = struct{}{}
		}
		if prev := st.userAuths[objName(ch)]; prev != nil {
			users[prev.Spec.User] = struct{}{}
			removeIndex(st.byUser, prev.Spec.User, prev.Name)
			removeIndex(st.byCluster, prev.Spec.Cluster, prev.Name)
			removeIndex(st.bySecret, secretKey(prev.Spec.SecretRef.Namespace, prev.Spec.SecretRef.Name), prev.Name)
			delete(st.userAuths, prev.Name)
		}
		if cua, ok := ch.new.(*regv1.ClusterUserAuth); ok {
			users[cua.Spec.User] = struct{}{}
			st.userAuths[cua.Name] = cua
			addIndex(st.byUser, cua.Spec.User, cua.Name)
			addIndex(st.byCluster, cua.Spec.Cluster, cua.Name)
			addIndex(st.bySecret, secretKey(cua.Spec.SecretRef.Namespace, cua.Spec.SecretRef.Name), cua.Name)
		}
	case clusterInfoChange:
		name := objName(ch)
		if ci, ok := ch.new.(*regv1.ClusterInfo); ok {
			st.clusters[name] = ci
		} else {
			delete(st.clusters, name)
		}
		for n := range st.byCluster[name] {
			users[st.userAuths[n].Spec.User] = struct{}{}
		}
	case secretChange:
		o := ch.new
		if o == nil {
			o = ch.old
		}
		key := secretKey(o.GetNamespace(), o.GetName())
		if sec, ok := ch.new.(*corev1.Secret); ok {
			st.secrets[key] = sec
		} else {
			delete(st.secrets, key)
		}
		for n := range st.bySecret[key] {
			users[st.userAuths[n].Spec.User] = struct{}{}
		}
		relevant = len(users) > 0
	}
	if ch.rv > s.rv {
		s.rv = ch.rv
		close(s.moved)
		s.moved = make(chan struct{})
	}
	if relevant {
		s.lastAny = max(s.lastAny, ch.rv)
	}
	for u := range users {
		s.lastChange[u] = max(s.lastChange[u], ch.rv)
	}
	for sub := range s.subs {
		select {
		case sub.ch <- ch:
		default:
			delete(s.subs, sub)
			close(sub.dropped)
		}
	}
}

func objName(ch change) string {
	if ch.new != nil {
		return ch.new.GetName()
	}
	return ch.old.GetName()
}

// read runs f on the state under the read lock; rv is the state's resourceVersion.
func (s *Source) read(f func(st *state, rv uint64)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f(&s.st, s.rv)
}

// tooLargeWait is how long a watch from a resourceVersion this replica has not seen yet
// waits for its informers to catch up (another replica may have served the list).
const tooLargeWait = 3 * time.Second

// parseWatchRV returns 0 for "" and "0" (start from the current state, with its objects as
// ADDED events), else the resourceVersion.
func parseWatchRV(rv string, gvr fmt.Stringer) (uint64, error) {
	if rv == "" || rv == "0" {
		return 0, nil
	}
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return 0, apierrors.NewBadRequest(fmt.Sprintf("invalid resourceVersion %q for %s", rv, gvr))
	}
	return n, nil
}

// waitFor waits until the state has reached resourceVersion rv, for up to tooLargeWait.
func (s *Source) waitFor(ctx context.Context, rv uint64) error {
	deadline := time.NewTimer(tooLargeWait)
	defer deadline.Stop()
	for {
		s.mu.RLock()
		cur, moved := s.rv, s.moved
		s.mu.RUnlock()
		if cur >= rv {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return apistorage.NewTooLargeResourceVersionError(rv, cur, 1)
		}
	}
}

// subscribe starts a watch of user (admin: of everything) from resourceVersion from (0: now)
// and calls start under the lock with the state the watch starts from. From a
// resourceVersion, it is Expired (410, the client relists) when something the caller sees
// has changed since: there is no history to replay.
func (s *Source) subscribe(who caller, admin bool, from uint64, start func(st *state, rv uint64)) (*subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxWatches > 0 && s.watches[who.name] >= s.maxWatches {
		return nil, apierrors.NewTooManyRequests(fmt.Sprintf("user %q has %d watches of auth.registry.pco-mcm.io open, the most allowed at once; close one before starting another",
			who.name, s.watches[who.name]), 1)
	}
	if from > 0 {
		var last uint64
		for _, k := range who.keys() {
			last = max(last, s.lastChange[k])
		}
		if admin {
			last = s.lastAny
		}
		if last > from {
			return nil, apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", from, last))
		}
	}
	sub := &subscription{ch: make(chan change, subscriptionBuffer), dropped: make(chan struct{}), user: who.name}
	s.subs[sub] = struct{}{}
	s.watches[who.name]++
	start(&s.st, s.rv)
	return sub, nil
}

func (s *Source) unsubscribe(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, sub)
	if s.watches[sub.user]--; s.watches[sub.user] <= 0 {
		delete(s.watches, sub.user)
	}
}
