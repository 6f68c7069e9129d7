package connect

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// saToken is a service-account token with what is known about it.
type saToken struct {
	token   string
	issued  time.Time
	expires time.Time // zero: does not expire (token controller)
	saUID   types.UID
	stored  bool // read back from the registry's Secret
}

// requestToken asks the TokenRequest API for a token of the service account.
func (t *target) requestToken(ctx context.Context, sa *corev1.ServiceAccount) (*saToken, error) {
	secs := int64(tokenLifetime / time.Second)
	tr, err := t.kc.CoreV1().ServiceAccounts(t.ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token for service account %s/%s: %w", t.ns, sa.Name, err)
	}
	if tr.Status.Token == "" {
		return nil, fmt.Errorf("the target cluster returned an empty token for service account %s/%s", t.ns, sa.Name)
	}
	return &saToken{token: tr.Status.Token, issued: time.Now(), expires: tr.Status.ExpirationTimestamp.Time, saUID: sa.UID}, nil
}

// storedToken reads a token the registry stored earlier (from its Secret's data and
// annotations); it is reused while it belongs to the same service account and has more than a
// third of its life left.
func storedToken(s *corev1.Secret, sa *corev1.ServiceAccount) *saToken {
	if s == nil || len(s.Data[regv1.KeyToken]) == 0 || s.Annotations[annSAUID] != string(sa.UID) {
		return nil
	}
	tok := &saToken{token: string(s.Data[regv1.KeyToken]), saUID: sa.UID, stored: true}
	if exp := s.Annotations[annTokenExpires]; exp != "" {
		e, err1 := time.Parse(time.RFC3339, exp)
		i, err2 := time.Parse(time.RFC3339, s.Annotations[annTokenIssued])
		if err1 != nil || err2 != nil {
			return nil
		}
		if time.Until(e) < e.Sub(i)/3 {
			return nil
		}
		tok.issued, tok.expires = i, e
	}
	return tok
}

func (tok *saToken) annotate(s *corev1.Secret) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[annSAUID] = string(tok.saUID)
	if tok.expires.IsZero() {
		delete(s.Annotations, annTokenExpires)
		delete(s.Annotations, annTokenIssued)
		return
	}
	s.Annotations[annTokenIssued] = tok.issued.UTC().Format(time.RFC3339)
	s.Annotations[annTokenExpires] = tok.expires.UTC().Format(time.RFC3339)
}
