package secretscan

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// Secrets are the secret values a run knows of.
type Secrets struct {
	mu      sync.Mutex
	entries []secret
	known   map[string]bool // values
}

// secret is a secret value; part names a piece of a longer secret (found on the same line as the
// whole, it is one finding).
type secret struct{ name, part, value string }

// NewSecrets returns an empty set.
func NewSecrets() *Secrets {
	return &Secrets{known: map[string]bool{}}
}

// Add adds a secret value under a name (which must not contain the value: findings are reported
// by name). Empty and known values are ignored.
func (s *Secrets) Add(name, value string) { s.AddPart(name, "", value) }

// AddPart adds a piece of the secret name, such as the secret half of a bootstrap token.
func (s *Secrets) AddPart(name, part, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" || s.known[value] {
		return
	}
	s.known[value] = true
	s.entries = append(s.entries, secret{name, part, value})
}

// Len counts the secrets (not their parts).
func (s *Secrets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if e.part == "" {
			n++
		}
	}
	return n
}

// TooShort counts the secrets (not their parts) shorter than MinShort, which AllNeedles does
// not look for: none since MinShort is 1 (Needles still skips those shorter than Window).
func (s *Secrets) TooShort() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if e.part == "" && len(e.value) < MinShort {
			n++
		}
	}
	return n
}

// Kinds counts the secrets (not their parts) by kind: their names, with the numbered ones
// (bootstrap tokens, Keystone tokens, servers' userData) together, sorted; no values.
func (s *Secrets) Kinds() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := map[string]int{}
	for _, e := range s.entries {
		if e.part == "" {
			count[secretKind(e.name)]++
		}
	}
	kinds := make([]string, 0, len(count))
	for k, n := range count {
		kinds = append(kinds, fmt.Sprintf("%s x%d", k, n))
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ", ")
}

// CollectBootstrapTokens adds MCM's bootstrap token Secrets (kube-system), which live only while
// a machine is being created.
func (s *Secrets) CollectBootstrapTokens(ctx context.Context, cs kubernetes.Interface) {
	list, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("type", string(corev1.SecretTypeBootstrapToken)).String()})
	if err == nil {
		for i := range list.Items {
			s.addBootstrapToken(&list.Items[i])
		}
	}
}

func (s *Secrets) addBootstrapToken(sec *corev1.Secret) {
	id, secret := string(sec.Data["token-id"]), string(sec.Data["token-secret"])
	if secret != "" {
		s.Add("bootstrap token "+id, id+"."+secret)
		s.AddPart("bootstrap token "+id, "secret part", secret)
	}
}

// helmReleaseType is the type of the Secrets Helm keeps its release records in: the chart's
// manifests and values, which hold no credential here, as one gzipped blob.
const helmReleaseType = "helm.sh/release.v1"

// AddSecret adds the secret values of a Kubernetes Secret: a bootstrap token, or the data
// under keys that name a secret (SecretKey), and inside those, when they are YAML or JSON
// (clouds.yaml, kubeconfig), the values under such keys too.
func (s *Secrets) AddSecret(sec *corev1.Secret) {
	switch sec.Type {
	case corev1.SecretTypeBootstrapToken:
		s.addBootstrapToken(sec)
		return
	case helmReleaseType:
		return
	}
	for key, v := range sec.Data {
		if SecretKey(key) {
			s.AddStructured(fmt.Sprintf("Secret %s/%s %s", sec.Namespace, sec.Name, key), string(v))
		}
	}
}

// AddStructured adds value and, when it is a YAML or JSON document, its leaves under secret
// keys (named name + " " + their path); "-data" leaves (a kubeconfig's client-key-data) are
// base64 and added decoded as well.
func (s *Secrets) AddStructured(name, value string) {
	s.Add(name, value)
	if !strings.ContainsAny(value, "\n{") {
		return
	}
	var doc any
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		return
	}
	var walk func(path string, v any, secretParent bool)
	walk = func(path string, v any, secretParent bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"."+k, c, secretParent || SecretKey(k))
			}
		case []any:
			for i, c := range x {
				walk(path+"["+strconv.Itoa(i)+"]", c, secretParent)
			}
		case string:
			if !secretParent {
				return
			}
			s.Add(name+" "+path, x)
			if strings.HasSuffix(path, "-data") {
				if b, err := base64.StdEncoding.DecodeString(x); err == nil {
					s.AddPEM(name+" "+path+" (decoded)", b)
				}
			}
		}
	}
	walk("", doc, false)
}

// AddPEM adds a PEM document (a private key) and, as parts, each of its base64 lines, so a key
// logged line by line is found too.
func (s *Secrets) AddPEM(name string, pem []byte) {
	s.Add(name, string(pem))
	for i, line := range strings.Split(string(pem), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "-----") {
			s.AddPart(name, fmt.Sprintf("PEM line %d", i+1), line)
		}
	}
}

var (
	secretKeyWords = regexp.MustCompile(`(?i)(password|passwd|secret|token|userdata|user-data|user_data|private|credential|kubeconfig|clouds\.yaml|key-data|key_data|^key$|\.key$|privatekey)`)
	publicKeyWords = regexp.MustCompile(`(?i)(id|name|url|uri|endpoint|type|ttl|expiration|expires_at|usage-[a-z-]+|groups|description|public[a-z_-]*|ca\.crt|\.crt|certificate[a-z_-]*)$`)
)

// SecretKey tells whether a Secret data key (or a key inside a clouds.yaml or kubeconfig) names
// a secret: password, applicationCredentialSecret, token-secret, userData, client-key-data,
// clouds.yaml, kubeconfig, ..., but not applicationCredentialID, username, authURL, token-id.
func SecretKey(key string) bool {
	return secretKeyWords.MatchString(key) && !publicKeyWords.MatchString(key)
}
