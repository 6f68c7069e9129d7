package connect

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// A throw-away self-signed certificate and its key (made for these tests only, used as CA and
// as client certificate) in base64, as a kubeconfig holds them.
const (
	kubeconfigTestCert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJVVENCOTZBREFnRUNBZ0VCTUFvR0NDcUdTTTQ5QkFNQ01BOHhEVEFMQmdOVkJBTVRCR1oxZW5vd0lCY04KTnpBd01UQXhNREF3TURBd1doZ1BNakV3TURBeE1ERXdNREF3TURCYU1BOHhEVEFMQmdOVkJBTVRCR1oxZW5vdwpXVEFUQmdjcWhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBVHNGYmk5RkdCN2ZmeEFCdUFMT2Q2V1lIQUowNld5ClJXU1lBVEZKRXFjNE9UbVBuQ3dxOHE4U3dkZVlOVkxWd0diSzR5REFrUkxuYkhQaG9MenhRZFhibzBJd1FEQU8KQmdOVkhROEJBZjhFQkFNQ0FvUXdEd1lEVlIwVEFRSC9CQVV3QXdFQi96QWRCZ05WSFE0RUZnUVVmd0ZQSE1mTQptNENmNlpkOXN1bUM5UmNIc2RVd0NnWUlLb1pJemowRUF3SURTUUF3UmdJaEFQamtlY1d4UHpNSkE5Tk50Y1k0CmVIeDFxdDFqa2ZOOE40eWppYXdJTnMrU0FpRUF2bm83YUZvRkhQNjV2bTZCdjZXTWNhSThETHpyTS9NZVpFRVAKVFM0V1pEZz0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
	kubeconfigTestKey  = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSURyeXNIRy9YQlY5V2VvYk5pKy9jOGFObVJBaTdmVERveDdGZnlJMmJSSnlvQW9HQ0NxR1NNNDkKQXdFSG9VUURRZ0FFN0JXNHZSUmdlMzM4UUFiZ0N6bmVsbUJ3Q2RPbHNrVmttQUV4U1JLbk9EazVqNXdzS3ZLdgpFc0hYbURWUzFjQm15dU1nd0pFUzUyeHo0YUM4OFVIVjJ3PT0KLS0tLS1FTkQgRUMgUFJJVkFURSBLRVktLS0tLQo="
	kubeconfigTestTok  = "FIXTURE-TOKEN-3f9c1e7a5b2d4c6e8f0a"
)

// kubeconfigTest builds a kubeconfig with one context; cluster and user are YAML fragments.
func kubeconfigTest(cluster, user string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: ctx
contexts:
- name: ctx
  context:
    cluster: c
    user: u
clusters:
- name: c
  cluster:
%s
users:
- name: u
  user:
%s
`, cluster, user)
}

var (
	kubeconfigTestCluster = "    server: https://203.0.113.10:6443\n    certificate-authority-data: " + kubeconfigTestCert
	kubeconfigTestUser    = "    token: " + kubeconfigTestTok
)

func TestParseKubeconfig(t *testing.T) {
	certUser := "    client-certificate-data: " + kubeconfigTestCert + "\n    client-key-data: " + kubeconfigTestKey
	for _, tc := range []struct {
		name, data string
		want       string // "" = accepted; else the error message
	}{
		{"token", kubeconfigTest(kubeconfigTestCluster, kubeconfigTestUser), ""},
		{"client certificate", kubeconfigTest(kubeconfigTestCluster, certUser), ""},
		{"basic auth", kubeconfigTest(kubeconfigTestCluster, "    username: admin\n    password: "+kubeconfigTestTok), ""},
		{"no CA (system roots)", kubeconfigTest("    server: https://k8s.example.com", kubeconfigTestUser), ""},
		{"empty", "", kubeconfigMsgEmpty},
		{"blank", " \n\t", kubeconfigMsgEmpty},
		{"garbage", "token: " + kubeconfigTestTok + "\n\t: : :[", "the kubeconfig is not valid YAML or JSON of kind Config"},
		{"not a config", "[1, 2, 3]", kubeconfigMsgSyntax},
		{"no current context", "apiVersion: v1\nkind: Config\n", kubeconfigMsgNoContext},
		{"missing context", strings.Replace(kubeconfigTest(kubeconfigTestCluster, kubeconfigTestUser), "current-context: ctx", "current-context: other", 1), kubeconfigMsgContextAbsent},
		{"missing cluster", strings.Replace(kubeconfigTest(kubeconfigTestCluster, kubeconfigTestUser), "cluster: c\n", "cluster: x\n", 1), kubeconfigMsgNoCluster},
		{"no server", kubeconfigTest("    insecure-skip-tls-verify: true", kubeconfigTestUser), kubeconfigMsgNoServer},
		{"bad server", kubeconfigTest("    server: ftp://host", kubeconfigTestUser), kubeconfigMsgBadServer},
		{"server with password", kubeconfigTest("    server: https://admin:"+kubeconfigTestTok+"@host", kubeconfigTestUser), kubeconfigMsgServerCreds},
		{"CA file", kubeconfigTest("    server: https://host\n    certificate-authority: /etc/kubernetes/pki/ca.crt", kubeconfigTestUser), kubeconfigMsgCAFile},
		{"CA garbage", kubeconfigTest("    server: https://host\n    certificate-authority-data: aGVsbG8=", kubeconfigTestUser), kubeconfigMsgBadCA},
		{"exec plugin", kubeconfigTest(kubeconfigTestCluster, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [-c, 'echo "+kubeconfigTestTok+"']"), kubeconfigMsgExec},
		{"auth provider", kubeconfigTest(kubeconfigTestCluster, "    auth-provider:\n      name: oidc\n      config:\n        id-token: "+kubeconfigTestTok), kubeconfigMsgAuthProvider},
		{"client cert file", kubeconfigTest(kubeconfigTestCluster, "    client-certificate: /root/.kube/client.crt\n    client-key: /root/.kube/client.key"), kubeconfigMsgCertFile},
		{"token file", kubeconfigTest(kubeconfigTestCluster, "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"), kubeconfigMsgTokenFile},
		{"half a cert", kubeconfigTest(kubeconfigTestCluster, "    client-certificate-data: "+kubeconfigTestCert), kubeconfigMsgHalfCert},
		{"bad key", kubeconfigTest(kubeconfigTestCluster, "    client-certificate-data: "+kubeconfigTestCert+"\n    client-key-data: aGVsbG8="), kubeconfigMsgBadCert},
		{"no credentials", kubeconfigTest(kubeconfigTestCluster, "    {}"), kubeconfigMsgNoCreds},
		{"token and password", kubeconfigTest(kubeconfigTestCluster, kubeconfigTestUser+"\n    username: a\n    password: b"), kubeconfigMsgManyCreds},
		{"no user", strings.Replace(kubeconfigTest(kubeconfigTestCluster, kubeconfigTestUser), "user: u\n", "user: nobody\n", 1), kubeconfigMsgNoUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, server, err := ParseKubeconfig([]byte(tc.data))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if cfg == nil || server == "" || cfg.Host == "" {
					t.Fatalf("no config or server: %v %q", cfg, server)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
			if !IsKubeconfigError(err) {
				t.Fatalf("not a KubeconfigError: %T", err)
			}
			if strings.Contains(err.Error(), kubeconfigTestTok) || strings.Contains(err.Error(), kubeconfigTestKey[:20]) {
				t.Fatalf("secret in the error: %q", err)
			}
		})
	}
}

// kubeconfigKnownMessage matches the messages ParseKubeconfig may give (numbers aside).
var kubeconfigKnownMessage = func() *regexp.Regexp {
	var alts []string
	for _, m := range kubeconfigMessages {
		alts = append(alts, strings.ReplaceAll(regexp.QuoteMeta(m), "%d", `\d+`))
	}
	return regexp.MustCompile("^(?:" + strings.Join(alts, "|") + ")$")
}()

// FuzzParseKubeconfig: ParseKubeconfig never panics, every error is one of its fixed sentences
// (so nothing of the input, and no token, is ever echoed), and what it accepts uses neither
// plugins nor files.
func FuzzParseKubeconfig(f *testing.F) {
	certUser := "    client-certificate-data: " + kubeconfigTestCert + "\n    client-key-data: " + kubeconfigTestKey
	for _, seed := range []string{
		"",
		"{}",
		"garbage " + kubeconfigTestTok,
		"apiVersion: v1\nkind: Config\n",
		`{"apiVersion":"v1","kind":"Config","current-context":"x","contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],"clusters":[{"name":"c","cluster":{"server":"https://h"}}],"users":[{"name":"u","user":{"token":"` + kubeconfigTestTok + `"}}]}`,
		kubeconfigTest(kubeconfigTestCluster, kubeconfigTestUser),
		kubeconfigTest(kubeconfigTestCluster, certUser),
		kubeconfigTest(kubeconfigTestCluster, "    username: admin\n    password: "+kubeconfigTestTok),
		kubeconfigTest("    server: https://admin:"+kubeconfigTestTok+"@host", kubeconfigTestUser),
		kubeconfigTest(kubeconfigTestCluster, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: echo\n      args: ['"+kubeconfigTestTok+"']"),
		kubeconfigTest(kubeconfigTestCluster, "    auth-provider:\n      name: gcp\n      config:\n        access-token: "+kubeconfigTestTok),
		kubeconfigTest(kubeconfigTestCluster, "    tokenFile: /etc/passwd"),
		kubeconfigTest("    server: https://h\n    certificate-authority: /etc/ssl/ca.pem", kubeconfigTestUser),
		kubeconfigTest(kubeconfigTestCluster, "    client-certificate: /c\n    client-key: /k"),
		kubeconfigTest("    server: https://h\n    certificate-authority-data: "+kubeconfigTestKey, kubeconfigTestUser),
		kubeconfigTest(kubeconfigTestCluster, "    token: "+kubeconfigTestTok+"\n    client-key-data: "+kubeconfigTestKey),
		"current-context: \"\u00ff\"\ncontexts: [[[\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, server, err := ParseKubeconfig(data)
		if err != nil {
			if cfg != nil || server != "" {
				t.Fatalf("error with a result: %v", err)
			}
			if !IsKubeconfigError(err) {
				t.Fatalf("not a KubeconfigError: %T %v", err, err)
			}
			if !kubeconfigKnownMessage.MatchString(err.Error()) {
				t.Fatalf("error that is not one of the fixed messages (may echo the input): %q", err)
			}
			if strings.Contains(err.Error(), kubeconfigTestTok) {
				t.Fatalf("token in the error: %q", err)
			}
			return
		}
		if cfg == nil || server == "" || cfg.Host == "" {
			t.Fatalf("accepted without a config or server")
		}
		if cfg.ExecProvider != nil || cfg.AuthProvider != nil {
			t.Fatalf("accepted a plugin")
		}
		if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" || cfg.BearerTokenFile != "" {
			t.Fatalf("accepted a file reference")
		}
	})
}
