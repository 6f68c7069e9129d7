package connect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// adminConfig reads the admin kubeconfig; once it is gone the stored token kubeconfig serves
// (ownCreds true).
func (r *Reconciler) adminConfig(ctx context.Context, cc *regv1.ClusterConnect, authSecret *corev1.Secret) (*rest.Config, string, bool, *outcome) {
	data, where, refusal, err := r.configData(ctx, cc)
	if err != nil {
		o := registryFailure(err)
		return nil, "", false, &o
	}
	if refusal != "" {
		o := fail(ReasonInvalidSpec, refusal, 0)
		return nil, "", false, &o
	}
	if data == nil {
		if authSecret != nil && len(authSecret.Data[regv1.KeyKubeconfig]) > 0 && authSecret.Labels[Label] == cc.Name {
			cfg, server, err := ParseKubeconfig(authSecret.Data[regv1.KeyKubeconfig])
			if err == nil && r.Options.checkTarget(cfg, server) == "" {
				return cfg, server, true, nil
			}
		}
		o := fail(ReasonConfigNotFound, fmt.Sprintf("%s not found", where), retry)
		return nil, "", false, &o
	}
	cfg, server, err := ParseKubeconfig(data)
	if err != nil {
		o := fail(ReasonInvalidKubeconfig, fmt.Sprintf("%s: %v", where, err), retry)
		return nil, "", false, &o
	}
	if msg := r.Options.checkTarget(cfg, server); msg != "" {
		o := fail(ReasonInvalidKubeconfig, fmt.Sprintf("%s: %s", where, msg), retry)
		return nil, "", false, &o
	}
	return cfg, server, false, nil
}

// configData returns the admin kubeconfig (nil when its Secret or key is missing) and a
// description of where it is looked for; refusal says why configSecretRef may not be read
// (a namespace the operator did not allow, or one of the registrar's own Secrets).
func (r *Reconciler) configData(ctx context.Context, cc *regv1.ClusterConnect) (data []byte, where, refusal string, err error) {
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
		return nil, where, fmt.Sprintf(msgNamespace, ns, strings.Join(allowed, ", ")), nil
	}
	s, err := r.getSecret(ctx, ns, ref.Name)
	if err != nil || s == nil {
		return nil, where, "", err
	}
	if s.Labels[managedByLabel] == managedBy {
		return nil, where, fmt.Sprintf(msgRegistryOwn, ns, ref.Name), nil
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
func (r *Reconciler) getSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
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
func (r *Reconciler) adminToken(ctx context.Context, t *target, sa *corev1.ServiceAccount, tokenSecret, authSecret *corev1.Secret, ownCreds bool) (*saToken, time.Duration, error) {
	if tok := tokenSecret.Data[corev1.ServiceAccountTokenKey]; len(tok) > 0 {
		return &saToken{token: string(tok), saUID: sa.UID}, 0, nil
	}
	if tok := storedToken(authSecret, sa); tok != nil {
		return tok, 0, nil
	}
	if age := time.Since(tokenSecret.CreationTimestamp.Time); age < r.tokenWait() && !ownCreds {
		return nil, max(r.tokenWait()-age, 500*time.Millisecond), nil
	}
	log.FromContext(ctx).Info("Token Secret not filled by a token controller, using the TokenRequest API", "secret", t.ns+"/"+AdminTokenSecret)
	tok, err := t.requestToken(ctx, sa)
	return tok, 0, err
}

// verifyToken writes the token kubeconfig and makes real requests with it (reading what the
// ClusterInfo shows).
func (r *Reconciler) verifyToken(ctx context.Context, base *rest.Config, server, cluster string, tok *saToken) ([]byte, *targetInfo, error) {
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
	info, err := readTarget(ctx, tc)
	return kubeconfig, info, err
}

// targetInfo is what the ClusterInfo shows of the target.
type targetInfo struct {
	version    string
	uid        string
	readyNodes int32
}

func readTarget(ctx context.Context, kc kubernetes.Interface) (*targetInfo, error) {
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
	info := &targetInfo{version: v.GitVersion, uid: string(ns.UID)}
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				info.readyNodes++
			}
		}
	}
	return info, nil
}
