package authapi

import (
	"slices"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/controller-runtime/pkg/client"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// view is a read-only resource computed from a Source for each caller: the Store, List and
// Watch of ClusterUserAuthStore and ClusterStore. The functions run under the Source's read
// lock and must not block.
type view[T client.Object, TList runtime.Object] struct {
	src *Source
	// adminResource is the registry.pco-mcm.io resource whose cluster-wide get makes a caller
	// an admin of this view: whoever may read the source directly sees every object.
	adminResource string
	// adminSecrets also asks of an admin that they may get the Secrets of the registry
	// namespace (where the credentials are): the source resource alone holds none.
	adminSecrets bool
	// names are the names of the objects the caller sees (admin: all).
	names func(st *state, who caller, admin bool) []string
	// object is the caller's view of name; false when it does not exist or is not theirs.
	object func(st *state, who caller, admin bool, name string) (T, bool)
	// affected are the names whose view a change may alter.
	affected func(st *state, ch change) []string
	newObj   func() T
	newList  func(items []T, rv string) TList
}

func (v *view[T, TList]) Get(ctx Context, name string) (T, error) {
	var zero T
	admin, err := v.isAdmin(ctx)
	if err != nil {
		return zero, err
	}
	var obj T
	var ok bool
	v.src.read(func(st *state, _ uint64) { obj, ok = v.object(st, callerOf(ctx.User), admin, name) })
	if !ok {
		// The same answer whether the object does not exist or is someone else's.
		return zero, apierrors.NewNotFound(ctx.GroupVersionResource.GroupResource(), name)
	}
	return obj, nil
}

func (v *view[T, TList]) List(ctx Context) (TList, error) {
	admin, err := v.isAdmin(ctx)
	if err != nil {
		var zero TList
		return zero, err
	}
	var items []T
	var rv uint64
	v.src.read(func(st *state, stateRV uint64) {
		rv = stateRV
		items = v.all(st, callerOf(ctx.User), admin)
	})
	// The state's resourceVersion is the same for everybody and reveals no object.
	return v.newList(items, strconv.FormatUint(rv, 10)), nil
}

// all is the caller's objects, by name.
func (v *view[T, TList]) all(st *state, who caller, admin bool) []T {
	names := v.names(st, who, admin)
	slices.Sort(names)
	items := make([]T, 0, len(names))
	for _, n := range slices.Compact(names) {
		if obj, ok := v.object(st, who, admin, n); ok {
			items = append(items, obj)
		}
	}
	return items
}

// Watch streams the changes of the caller's view. Without a resourceVersion (or with
// sendInitialEvents) it starts with an ADDED event for every object the caller sees; from a
// resourceVersion it streams what changes after it, or fails with Expired (410) when
// something the caller sees has changed since (the client then relists).
//
// Each change is turned into events by comparing the caller's view of the affected objects
// before and after: an object that becomes theirs is ADDED, one that stops being theirs
// (deleted, or its user changed) is DELETED, with the change's resourceVersion.
func (v *view[T, TList]) Watch(ctx Context, opts WatchOptions) (<-chan watch.Event, error) {
	admin, err := v.isAdmin(ctx)
	if err != nil {
		return nil, err
	}
	from, err := parseWatchRV(opts.ResourceVersion, ctx.GroupVersionResource)
	if err != nil {
		return nil, err
	}
	if from > 0 {
		if err := v.src.waitFor(ctx, from); err != nil {
			return nil, err
		}
	}
	initial, expireFrom := from == 0, from
	if opts.SendInitialEvents != nil {
		// A watch-list: the whole state, not older than from; nothing to expire.
		initial, expireFrom = *opts.SendInitialEvents, 0
	}
	who := callerOf(ctx.User)
	visible := map[string]T{}
	var order []T
	var startRV uint64
	sub, err := v.src.subscribe(who, admin, expireFrom, func(st *state, rv uint64) {
		startRV = rv
		order = v.all(st, who, admin)
		for _, obj := range order {
			visible[obj.GetName()] = obj
		}
	})
	if err != nil {
		return nil, err
	}
	out := make(chan watch.Event)
	go func() {
		defer close(out)
		defer v.src.unsubscribe(sub)
		send := func(ev watch.Event) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if initial {
			for _, obj := range order {
				if !send(watch.Event{Type: watch.Added, Object: obj}) {
					return
				}
			}
		}
		if opts.SendInitialEvents != nil && *opts.SendInitialEvents && opts.AllowWatchBookmarks {
			mark := v.newObj()
			mark.SetResourceVersion(strconv.FormatUint(startRV, 10))
			mark.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
			if !send(watch.Event{Type: watch.Bookmark, Object: mark}) {
				return
			}
		}
		order = nil
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.dropped:
				return
			case ch := <-sub.ch:
				for _, ev := range v.events(ch, who, admin, visible) {
					if !send(ev) {
						return
					}
				}
			}
		}
	}()
	return out, nil
}

// events turns a change into the caller's events and updates visible.
func (v *view[T, TList]) events(ch change, who caller, admin bool, visible map[string]T) []watch.Event {
	type after struct {
		obj T
		ok  bool
	}
	now := map[string]after{}
	var names []string
	v.src.read(func(st *state, _ uint64) {
		names = v.affected(st, ch)
		for _, n := range names {
			obj, ok := v.object(st, who, admin, n)
			now[n] = after{obj, ok}
		}
	})
	slices.Sort(names)
	var evs []watch.Event
	for _, n := range slices.Compact(names) {
		prev, had := visible[n]
		cur := now[n]
		switch {
		case cur.ok && !had:
			evs = append(evs, watch.Event{Type: watch.Added, Object: cur.obj})
			visible[n] = cur.obj
		case cur.ok && had && cur.obj.GetResourceVersion() != prev.GetResourceVersion():
			evs = append(evs, watch.Event{Type: watch.Modified, Object: cur.obj})
			visible[n] = cur.obj
		case !cur.ok && had:
			gone := prev.DeepCopyObject().(T)
			gone.SetResourceVersion(strconv.FormatUint(ch.rv, 10))
			evs = append(evs, watch.Event{Type: watch.Deleted, Object: gone})
			delete(visible, n)
		}
	}
	return evs
}

// isAdmin says whether the caller sees every object of a view: members of system:masters,
// and whoever may get the registry.pco-mcm.io resource cluster-wide (they can read the
// source anyway) and, for a view with credentials, the Secrets of the registry namespace
// (where the credentials are). The delegated authorizer caches the answers (10 s by default).
func (v *view[T, TList]) isAdmin(ctx Context) (bool, error) {
	if slices.Contains(ctx.User.GetGroups(), user.SystemPrivilegedGroup) {
		return true, nil
	}
	if ctx.Authorizer == nil {
		return false, nil
	}
	if !allowed(ctx, authorizer.AttributesRecord{Verb: "get", APIGroup: regv1.GroupVersion.Group,
		APIVersion: regv1.GroupVersion.Version, Resource: v.adminResource}) {
		return false, nil
	}
	if v.adminSecrets {
		// An empty namespace (the Source caches Secrets of every namespace) asks for get on
		// Secrets cluster-wide.
		return allowed(ctx, authorizer.AttributesRecord{Verb: "get", APIVersion: "v1", Resource: "secrets",
			Namespace: v.src.secretNamespace}), nil
	}
	return true, nil
}

// allowed asks the authorizer about the caller; a failed check is not a grant (the caller
// still sees their own objects).
func allowed(ctx Context, attrs authorizer.AttributesRecord) bool {
	attrs.User, attrs.ResourceRequest = ctx.User, true
	decision, _, err := ctx.Authorizer.Authorize(ctx, attrs)
	if err != nil {
		return false
	}
	return decision == authorizer.DecisionAllow
}
