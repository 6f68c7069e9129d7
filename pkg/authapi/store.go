// Package authapi is an aggregated extension API server (auth.registry.pco-mcm.io/v1alpha1,
// built on k8s.io/apiserver's generic API server) that serves each user only their own cluster
// credentials: the registry's ClusterUserAuths whose spec.user is the caller, with the
// credentials from the referenced Secret. Authentication and authorization are delegated to the
// kube-apiserver (front-proxy request headers, TokenReview, SubjectAccessReview).
//
// Resources are written as a Store (shaped after Rancher steve's pkg/ext Store, with the
// caller's user in the Context) and served through NewStorage, an adapter to rest.Storage.
package authapi

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Context is a request's context with the caller.
type Context struct {
	context.Context

	// User is the authenticated caller.
	User user.Info
	// Authorizer is the server's (delegated) authorizer, for finer checks than the request's.
	Authorizer authorizer.Authorizer
	// GroupVersionResource is the resource requested (for errors such as NotFound).
	GroupVersionResource schema.GroupVersionResource
}

// Store serves a cluster-scoped read-only resource. It returns k8s.io/apimachinery API errors
// (apierrors.NewNotFound, ...). Filtering by what the caller may see is the Store's job.
type Store[T runtime.Object, TList runtime.Object] interface {
	Get(ctx Context, name string) (T, error)
	List(ctx Context) (TList, error)
}

// WatchStore is a Store that can also watch. The channel is closed when the watch ends (ctx
// done or the source ended); events carry T.
type WatchStore[T runtime.Object, TList runtime.Object] interface {
	Store[T, TList]
	Watch(ctx Context, opts WatchOptions) (<-chan watch.Event, error)
}

// WatchOptions are the parts of a watch request a Store implements (label and field
// selectors are applied by the adapter).
type WatchOptions struct {
	// ResourceVersion to start after; "" or "0": from the current state.
	ResourceVersion string
	// SendInitialEvents and AllowWatchBookmarks ask for a watch-list (client-go's
	// WatchListClient): the current objects as ADDED events, then a bookmark annotated
	// k8s.io/initial-events-end.
	SendInitialEvents   *bool
	AllowWatchBookmarks bool
}

// Option changes what NewStorage serves.
type Option func(*storageOptions)

type storageOptions struct {
	table rest.TableConvertor
}

// WithTable sets the table kubectl get prints (default: name and age).
func WithTable(t rest.TableConvertor) Option {
	return func(o *storageOptions) { o.table = t }
}

// Storage is what NewStorage returns.
type Storage interface {
	rest.Storage
	rest.Getter
	rest.Lister
	rest.Scoper
	rest.SingularNameProvider
}

// NewStorage adapts store to k8s.io/apiserver's rest.Storage: Getter, Lister (with
// label and metadata.name field selectors applied after the Store's own filtering), Scoper
// (cluster-scoped), the default TableConvertor, and Watcher when store is a WatchStore.
// newObj and newList return empty objects; authz is passed to the Store in the Context.
func NewStorage[T runtime.Object, TList runtime.Object](store Store[T, TList], newObj func() T, newList func() TList,
	gvr schema.GroupVersionResource, singularName string, authz authorizer.Authorizer, opts ...Option) Storage {
	o := storageOptions{table: rest.NewDefaultTableConvertor(gvr.GroupResource())}
	for _, opt := range opts {
		opt(&o)
	}
	s := &storage[T, TList]{
		store:          store,
		newObj:         newObj,
		newList:        newList,
		gvr:            gvr,
		singular:       singularName,
		authz:          authz,
		TableConvertor: o.table,
	}
	if ws, ok := store.(WatchStore[T, TList]); ok {
		return &watchingStorage[T, TList]{storage: s, watcher: ws}
	}
	return s
}

type storage[T runtime.Object, TList runtime.Object] struct {
	rest.TableConvertor
	store    Store[T, TList]
	newObj   func() T
	newList  func() TList
	gvr      schema.GroupVersionResource
	singular string
	authz    authorizer.Authorizer
}

var _ rest.Storage = &storage[runtime.Object, runtime.Object]{}

func (s *storage[T, TList]) New() runtime.Object     { return s.newObj() }
func (s *storage[T, TList]) NewList() runtime.Object { return s.newList() }
func (s *storage[T, TList]) Destroy()                {}
func (s *storage[T, TList]) NamespaceScoped() bool   { return false }
func (s *storage[T, TList]) GetSingularName() string { return s.singular }

func (s *storage[T, TList]) context(ctx context.Context) (Context, error) {
	u, ok := request.UserFrom(ctx)
	if !ok || u == nil {
		return Context{}, apierrors.NewUnauthorized("no user in the request")
	}
	return Context{Context: ctx, User: u, Authorizer: s.authz, GroupVersionResource: s.gvr}, nil
}

func (s *storage[T, TList]) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	sctx, err := s.context(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.Get(sctx, name)
}

func (s *storage[T, TList]) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	sctx, err := s.context(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.store.List(sctx)
	if err != nil {
		return nil, err
	}
	match, err := matcher(options)
	if err != nil {
		return nil, err
	}
	if match == nil {
		return list, nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	kept := items[:0]
	for _, item := range items {
		if ok, err := match(item); err != nil {
			return nil, err
		} else if ok {
			kept = append(kept, item)
		}
	}
	if err := meta.SetList(list, kept); err != nil {
		return nil, err
	}
	return list, nil
}

// matcher returns nil when options select everything.
func matcher(options *metainternalversion.ListOptions) (func(runtime.Object) (bool, error), error) {
	if options == nil {
		return nil, nil
	}
	ls, fs := options.LabelSelector, options.FieldSelector
	if (ls == nil || ls.Empty()) && (fs == nil || fs.Empty()) {
		return nil, nil
	}
	if fs != nil && !fs.Empty() {
		for _, r := range fs.Requirements() {
			if r.Field != "metadata.name" {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("field selector %q is not supported (only metadata.name)", r.Field))
			}
		}
	}
	return func(obj runtime.Object) (bool, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return false, err
		}
		if ls != nil && !ls.Empty() && !ls.Matches(labels.Set(m.GetLabels())) {
			return false, nil
		}
		if fs != nil && !fs.Empty() && !fs.Matches(fields.Set{"metadata.name": m.GetName()}) {
			return false, nil
		}
		return true, nil
	}, nil
}

type watchingStorage[T runtime.Object, TList runtime.Object] struct {
	*storage[T, TList]
	watcher WatchStore[T, TList]
}

var _ rest.Watcher = &watchingStorage[runtime.Object, runtime.Object]{}

func (s *watchingStorage[T, TList]) Watch(ctx context.Context, options *metainternalversion.ListOptions) (watch.Interface, error) {
	sctx, err := s.context(ctx)
	if err != nil {
		return nil, err
	}
	match, err := matcher(options)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	sctx.Context = wctx
	wopts := WatchOptions{}
	if options != nil {
		wopts = WatchOptions{ResourceVersion: options.ResourceVersion, SendInitialEvents: options.SendInitialEvents,
			AllowWatchBookmarks: options.AllowWatchBookmarks}
	}
	events, err := s.watcher.Watch(sctx, wopts)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan watch.Event)
	w := &chanWatch{ch: out, cancel: cancel}
	go func() {
		defer close(out)
		for {
			select {
			case <-wctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if match != nil && ev.Type != watch.Error && ev.Type != watch.Bookmark {
					if ok, err := match(ev.Object); err != nil || !ok {
						continue
					}
				}
				select {
				case out <- ev:
				case <-wctx.Done():
					return
				}
			}
		}
	}()
	return w, nil
}

type chanWatch struct {
	ch     chan watch.Event
	cancel context.CancelFunc
}

func (w *chanWatch) Stop()                          { w.cancel() }
func (w *chanWatch) ResultChan() <-chan watch.Event { return w.ch }
