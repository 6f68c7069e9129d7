package controllers

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// IDSecretName holds the controller identifier (key "id"), as the peer names it.
const IDSecretName = "pco-reseller-operator-id" //nolint:gosec // G101: a Secret's name, not a secret

// EnsureControllerID returns the controller identifier stored in namespace, making one (six
// random lower-case letters, immutable Secret) on first use. Every OpenStack project and user
// name carries it, so two clusters managing one reseller account never collide.
func EnsureControllerID(ctx context.Context, c client.Client, namespace string) (string, error) {
	var s corev1.Secret
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: IDSecretName}, &s)
	switch {
	case err == nil:
		return idFrom(&s)
	case !apierrors.IsNotFound(err):
		return "", fmt.Errorf("reading the controller identifier: %w", err)
	}
	id, err := randomString(6, "abcdefghijklmnopqrstuvwxyz")
	if err != nil {
		return "", err
	}
	s = corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: IDSecretName, Labels: managedLabels()},
		Immutable:  ptr.To(true),
		Data:       map[string][]byte{"id": []byte(id)},
	}
	if err := c.Create(ctx, &s); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("storing the controller identifier: %w", err)
		}
		// Another replica was first: use its identifier.
		if err := c.Get(ctx, client.ObjectKeyFromObject(&s), &s); err != nil {
			return "", err
		}
		return idFrom(&s)
	}
	return id, nil
}

func idFrom(s *corev1.Secret) (string, error) {
	id := string(s.Data["id"])
	if !validID(id) {
		return "", fmt.Errorf("secret %s/%s: key id must be 1 to 16 lower-case letters or digits", s.Namespace, s.Name)
	}
	return id, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 16 {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// randomString draws n characters from alphabet with crypto/rand.
func randomString(n int, alphabet string) (string, error) {
	out := make([]byte, n)
	upper := big.NewInt(int64(len(alphabet)))
	for i := range out {
		k, err := rand.Int(rand.Reader, upper)
		if err != nil {
			return "", err
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}

// newPassword makes a 32-character password of letters and digits with at least 5 digits, as
// the peer does (no symbols: they trip up some clients' config files).
func newPassword() (string, error) {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const digits = "0123456789"
	for {
		p, err := randomString(32, letters+digits)
		if err != nil {
			return "", err
		}
		n := 0
		for _, r := range p {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		if n >= 5 {
			return p, nil
		}
	}
}

// managedLabels mark what this controller made.
func managedLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": ManagerName}
}

// ManagerName is the field manager, event source and managed-by label value.
const ManagerName = "pco-reseller-controller"
