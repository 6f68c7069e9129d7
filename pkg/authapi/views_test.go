package authapi_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// next is the next event of w (within a generous time).
func next(w watch.Interface) watch.Event {
	var ev watch.Event
	EventuallyWithOffset(1, w.ResultChan(), 30*time.Second).Should(Receive(&ev))
	return ev
}

// noEvent checks that w stays quiet for a moment (what did not happen cannot be waited for).
func noEvent(w watch.Interface) {
	ConsistentlyWithOffset(1, w.ResultChan(), 2*time.Second).ShouldNot(Receive())
}

func eventOf(ev watch.Event) (watch.EventType, string) {
	if u, ok := ev.Object.(*unstructured.Unstructured); ok {
		return ev.Type, u.GetName()
	}
	return ev.Type, ""
}

func setUser(ctx context.Context, name, user string) {
	var cua regv1.ClusterUserAuth
	ExpectWithOffset(1, admin.Get(ctx, types.NamespacedName{Name: name}, &cua)).To(Succeed())
	cua.Spec.User = user
	ExpectWithOffset(1, admin.Update(ctx, &cua)).To(Succeed())
}

var _ = Describe("clusters through the kube-apiserver", func() {
	ctx := context.Background()

	It("lists and gets only the clusters the caller has credentials for, without auth data", func() {
		list, err := clustersFor("alice").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(list)).To(Equal([]string{"c1", "c2"}))
		got, err := clustersFor("alice").Get(ctx, "c2", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.GetKind()).To(Equal("Cluster"))
		Expect(field(got, "spec", "endpoint")).To(Equal("https://c2.example:6443"))
		Expect(field(got, "spec", "region")).To(Equal("de-c2"))
		Expect(field(got, "spec", "project")).To(Equal("project-c2"))
		Expect(field(got, "spec", "kubernetesVersion")).To(Equal("v1.36.5"))
		Expect(field(got, "status", "phase")).To(Equal("Active"))
		nodes, _, _ := unstructured.NestedInt64(got.Object, "spec", "nodeCount")
		Expect(nodes).To(BeEquivalentTo(3))
		Expect(got.Object["spec"]).NotTo(HaveKey("authInfo"))

		_, err = clustersFor("alice").Get(ctx, "c3", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
		list, err = clustersFor("bob").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(list)).To(Equal([]string{"c1"}))
		_, err = clustersFor("bob").Get(ctx, "c2", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
	})

	It("shows every cluster to admins (system:masters, or get on the registry's clusterinfos) only", func() {
		list, err := clustersFor("admin").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(list)).To(ContainElements("c1", "c2", "c3"))
		// carol may read the registry's ClusterUserAuths, not its ClusterInfos, and has none.
		list, err = clustersFor("carol").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.Items).To(BeEmpty())
	})

	It("refuses users without RBAC and is read-only", func() {
		_, err := clustersFor("dave").List(ctx, metav1.ListOptions{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "got %v", err)
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "auth.registry.pco-mcm.io/v1alpha1", "kind": "Cluster",
			"metadata": map[string]any{"name": "mine"}}}
		_, err = clustersFor("admin").Create(ctx, u, metav1.CreateOptions{})
		Expect(apierrors.IsMethodNotSupported(err)).To(BeTrue(), "got %v", err)
		u.SetKind("ClusterUserAuth")
		_, err = resourceFor("admin").Create(ctx, u, metav1.CreateOptions{})
		Expect(apierrors.IsMethodNotSupported(err)).To(BeTrue(), "got %v", err)
		err = resourceFor("alice").Delete(ctx, "alice-c1", metav1.DeleteOptions{})
		Expect(apierrors.IsMethodNotSupported(err) || apierrors.IsForbidden(err)).To(BeTrue(), "got %v", err)
	})
})

// These specs change ownership; they use users and clusters of their own so that the other
// specs (in any order) see what they expect.
var _ = Describe("watches as ownership changes", Ordered, func() {
	ctx := context.Background()

	BeforeAll(func() {
		grant(ctx, "erin", "frank")
		clusterInfo("w1", "de-w1")
		userAuth("erin-w1", "erin", "w1")
	})

	It("moves an object whose user changes: DELETED for the old user, ADDED for the new one", func() {
		erin, err := resourceFor("erin").Watch(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		defer erin.Stop()
		frank, err := resourceFor("frank").Watch(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		defer frank.Stop()
		erinClusters, err := clustersFor("erin").Watch(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		defer erinClusters.Stop()
		frankClusters, err := clustersFor("frank").Watch(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		defer frankClusters.Stop()

		// The initial state: erin has erin-w1 and its cluster, frank nothing.
		t, n := eventOf(next(erin))
		Expect([]any{t, n}).To(Equal([]any{watch.Added, "erin-w1"}))
		t, n = eventOf(next(erinClusters))
		Expect([]any{t, n}).To(Equal([]any{watch.Added, "w1"}))
		noEvent(frank)

		setUser(ctx, "erin-w1", "frank")
		ev := next(erin)
		t, n = eventOf(ev)
		Expect([]any{t, n}).To(Equal([]any{watch.Deleted, "erin-w1"}))
		// The DELETED event's resourceVersion is the change's.
		var cua regv1.ClusterUserAuth
		Expect(admin.Get(ctx, types.NamespacedName{Name: "erin-w1"}, &cua)).To(Succeed())
		Expect(ev.Object.(*unstructured.Unstructured).GetResourceVersion()).To(Equal(cua.ResourceVersion))
		ev = next(frank)
		t, n = eventOf(ev)
		Expect([]any{t, n}).To(Equal([]any{watch.Added, "erin-w1"}))
		Expect(field(ev.Object.(*unstructured.Unstructured), "credentials", "token")).To(Equal("token-of-erin-w1"))
		t, n = eventOf(next(erinClusters))
		Expect([]any{t, n}).To(Equal([]any{watch.Deleted, "w1"}))
		t, n = eventOf(next(frankClusters))
		Expect([]any{t, n}).To(Equal([]any{watch.Added, "w1"}))

		// A changed credential is a MODIFIED event, for the owner only.
		var secret corev1.Secret
		Expect(admin.Get(ctx, types.NamespacedName{Namespace: registryNS, Name: "uauth-erin-w1"}, &secret)).To(Succeed())
		secret.Data[regv1.KeyToken] = []byte("rotated")
		Expect(admin.Update(ctx, &secret)).To(Succeed())
		ev = next(frank)
		t, _ = eventOf(ev)
		Expect(t).To(Equal(watch.Modified))
		Expect(field(ev.Object.(*unstructured.Unstructured), "credentials", "token")).To(Equal("rotated"))
		Expect(ev.Object.(*unstructured.Unstructured).GetResourceVersion()).To(Equal(secret.ResourceVersion))
		noEvent(erin)
	})

	It("resumes a watch from a list's resourceVersion, and expires one something has changed since", func() {
		list, err := resourceFor("frank").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(list)).To(Equal([]string{"erin-w1"}))
		rv := list.GetResourceVersion()
		w, err := resourceFor("frank").Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		noEvent(w) // no initial events from a resourceVersion
		// Changes of others' objects do not expire frank's resourceVersion.
		userAuth("erin-w2", "erin", "w1")
		w2, err := resourceFor("frank").Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
		Expect(err).NotTo(HaveOccurred())
		w2.Stop()

		Expect(admin.Delete(ctx, &regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: "erin-w1"}})).To(Succeed())
		t, n := eventOf(next(w))
		Expect([]any{t, n}).To(Equal([]any{watch.Deleted, "erin-w1"}))
		// What frank saw at rv has changed: a watch from it is Expired (410), a relist follows.
		Eventually(func() error {
			w, err := resourceFor("frank").Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
			if err == nil {
				w.Stop()
			}
			return err
		}, 30*time.Second).Should(Satisfy(apierrors.IsResourceExpired))
	})

	It("serves a watch-list (sendInitialEvents) with the initial-events-end bookmark", func() {
		w, err := resourceFor("erin").Watch(ctx, metav1.ListOptions{SendInitialEvents: ptr.To(true), AllowWatchBookmarks: true,
			ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		t, n := eventOf(next(w))
		Expect([]any{t, n}).To(Equal([]any{watch.Added, "erin-w2"}))
		ev := next(w)
		Expect(ev.Type).To(Equal(watch.Bookmark))
		Expect(ev.Object.(*unstructured.Unstructured).GetAnnotations()).To(HaveKeyWithValue(metav1.InitialEventsAnnotationKey, "true"))
	})

	AfterAll(func() {
		for _, n := range []string{"erin-w1", "erin-w2"} {
			Expect(client.IgnoreNotFound(admin.Delete(ctx, &regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: n}}))).To(Succeed())
		}
	})
})
