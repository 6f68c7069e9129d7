package authapi

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/controller-runtime/pkg/client"

	registryv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/authapi/v1alpha1"
)

// ClusterUserAuthStore serves auth.registry.pco-mcm.io ClusterUserAuths from the registry's
// ClusterUserAuths (registry.pco-mcm.io) and their Secrets.
//
// Ownership: a caller sees only the objects whose spec.user is their username. Cluster admins
// (group system:masters, or allowed to get registry.pco-mcm.io clusteruserauths cluster-wide)
// see all. Other users' objects are left out of lists and are NotFound on Get.
type ClusterUserAuthStore struct {
	// Client reads the registry's ClusterUserAuths and Secrets (needs watch for Watch).
	Client client.WithWatch
}

var _ WatchStore[*authv1alpha1.ClusterUserAuth, *authv1alpha1.ClusterUserAuthList] = &ClusterUserAuthStore{}

// Get returns the object name if the caller may see it, else NotFound.
func (s *ClusterUserAuthStore) Get(ctx Context, name string) (*authv1alpha1.ClusterUserAuth, error) {
	notFound := apierrors.NewNotFound(ctx.GroupVersionResource.GroupResource(), name)
	var src registryv1alpha1.ClusterUserAuth
	if err := s.Client.Get(ctx, types.NamespacedName{Name: name}, &src); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, notFound
		}
		return nil, apierrors.NewInternalError(err)
	}
	admin, err := isAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if !admin && src.Spec.User != ctx.User.GetName() {
		return nil, notFound
	}
	return s.convert(ctx, &src)
}

// List returns the objects the caller may see.
func (s *ClusterUserAuthStore) List(ctx Context) (*authv1alpha1.ClusterUserAuthList, error) {
	var src registryv1alpha1.ClusterUserAuthList
	if err := s.Client.List(ctx, &src); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	admin, err := isAdmin(ctx)
	if err != nil {
		return nil, err
	}
	out := &authv1alpha1.ClusterUserAuthList{
		TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterUserAuthList"},
		// The source's resourceVersion is the same for everybody and reveals no object.
		ListMeta: metav1.ListMeta{ResourceVersion: src.ResourceVersion},
		Items:    []authv1alpha1.ClusterUserAuth{},
	}
	for i := range src.Items {
		if !admin && src.Items[i].Spec.User != ctx.User.GetName() {
			continue
		}
		obj, err := s.convert(ctx, &src.Items[i])
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, *obj)
	}
	return out, nil
}

// Watch streams the changes of the objects the caller may see. As a watch without a
// resourceVersion does, it starts with an ADDED event for each existing object.
func (s *ClusterUserAuthStore) Watch(ctx Context) (<-chan watch.Event, error) {
	admin, err := isAdmin(ctx)
	if err != nil {
		return nil, err
	}
	w, err := s.Client.Watch(ctx, &registryv1alpha1.ClusterUserAuthList{})
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	out := make(chan watch.Event)
	go func() {
		defer close(out)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				src, isCUA := ev.Object.(*registryv1alpha1.ClusterUserAuth)
				if !isCUA {
					continue // errors and bookmarks of the source are not passed on
				}
				if !admin && src.Spec.User != ctx.User.GetName() {
					continue
				}
				obj := s.convertMeta(src)
				if ev.Type != watch.Deleted {
					withCreds, err := s.convert(ctx, src)
					if err != nil {
						continue
					}
					obj = withCreds
				}
				select {
				case out <- watch.Event{Type: ev.Type, Object: obj}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func (s *ClusterUserAuthStore) convertMeta(src *registryv1alpha1.ClusterUserAuth) *authv1alpha1.ClusterUserAuth {
	return &authv1alpha1.ClusterUserAuth{
		TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterUserAuth"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              src.Name,
			UID:               src.UID,
			ResourceVersion:   src.ResourceVersion,
			CreationTimestamp: src.CreationTimestamp,
			Labels:            src.Labels,
		},
		Spec: authv1alpha1.ClusterUserAuthSpec{Cluster: src.Spec.Cluster, User: src.Spec.User},
	}
}

// convert adds the credentials of the referenced Secret. A missing Secret gives empty
// credentials (the registrar may not have written it yet).
func (s *ClusterUserAuthStore) convert(ctx context.Context, src *registryv1alpha1.ClusterUserAuth) (*authv1alpha1.ClusterUserAuth, error) {
	obj := s.convertMeta(src)
	ref := src.Spec.SecretRef
	if ref.Name == "" {
		return obj, nil
	}
	var secret corev1.Secret
	if err := s.Client.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return obj, nil
		}
		return nil, apierrors.NewInternalError(err)
	}
	obj.Credentials.Kubeconfig = string(secret.Data[registryv1alpha1.KeyKubeconfig])
	obj.Credentials.Token = string(secret.Data[registryv1alpha1.KeyToken])
	return obj, nil
}

// isAdmin says whether the caller may see every user's credentials: members of system:masters
// and whoever may get registry.pco-mcm.io clusteruserauths cluster-wide.
func isAdmin(ctx Context) (bool, error) {
	if slices.Contains(ctx.User.GetGroups(), user.SystemPrivilegedGroup) {
		return true, nil
	}
	if ctx.Authorizer == nil {
		return false, nil
	}
	decision, _, err := ctx.Authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User:            ctx.User,
		Verb:            "get",
		APIGroup:        registryv1alpha1.GroupVersion.Group,
		APIVersion:      registryv1alpha1.GroupVersion.Version,
		Resource:        "clusteruserauths",
		ResourceRequest: true,
	})
	if err != nil && decision != authorizer.DecisionAllow {
		// A failed check is not a grant; the caller still sees their own objects.
		return false, nil
	}
	return decision == authorizer.DecisionAllow, nil
}
