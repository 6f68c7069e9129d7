package secretscan

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestScannerFindsRawAndBase64AtAnyAlignment(t *testing.T) {
	s := NewSecrets()
	s.Add("pw", "pco-demo-password-0")
	sc := NewScanner(s.Needles())
	for prefix := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", prefix) + "pco-demo-password-0" + "tail"))
		text := "I0101 00:00:00.000000 1 request.go:1212] line one\nI0101 00:00:00.000000 1 foo.go:7] body " + enc + "\n"
		got := sc.Scan("log", []byte(text))
		if len(got) != 1 || got[0].Line != 2 || got[0].Source != "foo.go:7" || got[0].Form != "base64" {
			t.Fatalf("prefix %d: got %+v", prefix, got)
		}
	}
	got := sc.Scan("log", []byte("a\nb\nc pco-demo-password-0 and pco-demo-password-0\nd pco-demo-password-0"))
	if len(got) != 2 || got[0].Line != 3 || got[1].Line != 4 || got[0].Form != "raw" {
		t.Fatalf("raw: got %+v", got)
	}
	if got := sc.Scan("log", []byte("pco-demo-password-1 nothing here at all")); len(got) != 0 {
		t.Fatalf("false positive %+v", got)
	}
}

func TestScannerFindsSecretsInHexDumps(t *testing.T) {
	s := NewSecrets()
	s.Add("pw", "pco-demo-password-0")
	sc := NewScanner(s.Needles())
	body := append([]byte("k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret-padding-"), "pco-demo-password-0\x12\x00"...)
	text := "I1127 03:58:05.930925   18099 round_trippers.go:632] x\nI1127 03:58:05.930970   18099 type.go:165] \"Response Body\" body=<\n"
	for _, l := range strings.Split(strings.TrimRight(hex.Dump(body), "\n"), "\n") {
		text += "\t" + l + "\n"
	}
	text += " >\n"
	got := sc.ScanLog("log", []byte(text))
	if len(got) != 1 || got[0].Source != "type.go:165" || got[0].Line != 4 || !strings.Contains(got[0].Form, "hex dump") {
		t.Fatalf("got %+v\n%s", got, text)
	}
}

func TestSecretKey(t *testing.T) {
	for _, k := range []string{"password", "applicationCredentialSecret", "application-credential-secret", "token-secret",
		"userData", "clouds.yaml", "kubeconfig", "client-key-data", "tls.key", "ssh-privatekey", "token", "application_credential_secret"} {
		if !SecretKey(k) {
			t.Errorf("%s should be a secret key", k)
		}
	}
	for _, k := range []string{"username", "authURL", "tenantName", "domainName", "applicationCredentialID", "applicationCredentialName",
		"token-id", "endpoint", "region", "usage-bootstrap-authentication", "auth-extra-groups", "expiration", "description",
		"client-certificate-data", "certificate-authority-data", "ca.crt", "application_credential_id"} {
		if SecretKey(k) {
			t.Errorf("%s should not be a secret key", k)
		}
	}
}

func TestAddSecretFindsNestedValuesAndSkipsHelmReleases(t *testing.T) {
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oNFMwXm9ZhbBoAoGCCqGSM49\nAwEHoUQDQgAEgHq2kYtT6gPz6EJQq6Zjv1Ab8cI0ZTtJbmK9bxRjDF0dJy6gWnzt\n-----END EC PRIVATE KEY-----\n"
	kubeconfig := "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: " + base64.StdEncoding.EncodeToString([]byte(key)) + "\n    token: kubeconfig-token-0123456789\n"
	clouds := "clouds:\n  pco:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      application_credential_id: fedcba9876543210fedcba9876543210\n      application_credential_secret: app-cred-secret-0123456789\n"
	s := NewSecrets()
	s.AddSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"}, Data: map[string][]byte{
		"kubeconfig": []byte(kubeconfig), "clouds.yaml": []byte(clouds), "username": []byte("not-a-secret-username"),
		"password": []byte("a-password-0123456789")}})
	s.AddSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "release"}, Type: helmReleaseType,
		Data: map[string][]byte{"release": []byte("helm-release-blob-0123456789")}})
	s.AddSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-abcdef"}, Type: corev1.SecretTypeBootstrapToken,
		Data: map[string][]byte{"token-id": []byte("abcdef"), "token-secret": []byte("0123456789abcdef")}})
	sc := NewScanner(s.AllNeedles())
	for _, c := range []struct {
		text, secret string
	}{
		{"token kubeconfig-token-0123456789", "Secret ns/creds kubeconfig .users[0].user.token"},
		{"secret app-cred-secret-0123456789", "Secret ns/creds clouds.yaml .clouds.pco.auth.application_credential_secret"},
		{"key line AwEHoUQDQgAEgHq2kYtT6gPz6EJQq6Zjv1Ab8cI0ZTtJbmK9bxRjDF0dJy6gWnzt", "Secret ns/creds kubeconfig .users[0].user.client-key-data (decoded)"},
		{"pw a-password-0123456789", "Secret ns/creds password"},
		{"joined with abcdef.0123456789abcdef", "bootstrap token abcdef"},
	} {
		got := sc.Scan("log", []byte(c.text))
		if len(got) != 1 || got[0].Secret != c.secret {
			t.Errorf("%q: got %+v, want %s", c.text, got, c.secret)
		}
	}
	for _, text := range []string{"not-a-secret-username", "helm-release-blob-0123456789", "fedcba9876543210fedcba9876543210"} {
		if got := sc.Scan("log", []byte(text)); len(got) != 0 {
			t.Errorf("%q: false positive %+v", text, got)
		}
	}
}

func TestEscapedFormsAndTokenShapes(t *testing.T) {
	ud := "#cloud-config\nruncmd:\n- echo \"joining m-1 with <token>\"\n"
	s := NewSecrets()
	s.Add("userData", ud)
	b, _ := json.Marshal(map[string]string{"userData": ud})
	if got := NewScanner(s.Needles()).Scan("obj", b); len(got) != 0 {
		t.Fatalf("plain needles should not see the JSON form: %+v", got)
	}
	sc := NewScanner(s.AllNeedles())
	if got := sc.Scan("obj", b); len(got) != 1 || got[0].Form != "JSON-escaped" {
		t.Fatalf("JSON form: got %+v", got)
	}
	sc.TokenShapes = true
	fernet := "gAAAAA" + strings.Repeat("0f", 90)
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.c29tZS1wYXlsb2FkLWJ5dGVzLTAxMjM0NTY3.c2lnbmF0dXJlLWJ5dGVzLTAxMjM0NQ"
	text := "I0101 00:00:00.000000 1 a.go:1] token " + fernet + "\nb.go:2] Authorization: Bearer " + jwt +
		"\n-----BEGIN RSA PRIVATE KEY-----\nxgAAAAA" + strings.Repeat("0f", 30) + " inside a longer base64 text\n"
	got := sc.Scan("log", []byte(text))
	if len(got) != 3 || got[0].Line != 1 || got[0].Source != "a.go:1" || !strings.Contains(got[1].Secret, "JWT") || got[2].Line != 3 {
		t.Fatalf("shapes: got %+v", got)
	}
	for _, f := range got {
		if strings.Contains(FindingList(got, 10), fernet) || strings.Contains(f.Secret, jwt) {
			t.Fatal("a finding shows the value")
		}
	}
}

// A JSON logger (zap) writes a hex dump into one line, its rows joined by "\n" escapes.
func TestScannerFindsSecretsInEscapedHexDumps(t *testing.T) {
	s := NewSecrets()
	s.Add("pw", "pco-reseller-password-0")
	sc := NewScanner(s.Needles())
	body := append([]byte("k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret-padding-\\n-"), "pco-reseller-password-0\x12\x00"...)
	field, _ := json.Marshal(strings.TrimRight(hex.Dump(body), "\n"))
	text := "2026-11-27T06:29:48Z\tLEVEL(-8)\tRequest Body\t{\"body\": \"\"}\n" +
		"2026-11-27T06:29:48Z\tLEVEL(-8)\tResponse Body\t{\"controller\": \"region\", \"body\": " + string(field) + "}\nnext line\n"
	if got := sc.Scan("log", []byte(text)); len(got) != 0 {
		t.Fatalf("the rows split the value, a plain scan should not see it: %+v", got)
	}
	got := sc.ScanLog("log", []byte(text))
	if len(got) != 1 || got[0].Line != 2 || !strings.Contains(got[0].Form, "hex dump") {
		t.Fatalf("got %+v\n%s", got, text)
	}
	if parts := splitEscapedLines([]byte(`a\nb\\nc\n`)); len(parts) != 3 || string(parts[1]) != `b\\nc` {
		t.Fatalf("split: %q", parts)
	}
}

// A real lab's password may be shorter than the hashed window: AllNeedles looks for every value
// whatever its length, Needles only for those of Window bytes and more.
func TestShortSecrets(t *testing.T) {
	s := NewSecrets()
	s.Add("lab password", "demo-secret")
	s.Add("long", "pco-demo-password-0")
	s.Add("tiny", "abc")
	if s.TooShort() != 0 {
		t.Fatalf("TooShort = %d", s.TooShort())
	}
	text := []byte("x pco-demo-password-0\ny\nz demo-secret demo-secret\n demo-secret\nabc")
	if got := NewScanner(s.Needles()).Scan("log", text); len(got) != 1 {
		t.Fatalf("Needles: got %+v", got)
	}
	got := NewScanner(s.AllNeedles()).Scan("log", text)
	if len(got) != 4 || got[0].Secret != "long" || got[1].Line != 3 || got[2].Line != 4 || got[2].Secret != "lab password" || got[3].Secret != "tiny" {
		t.Fatalf("AllNeedles: got %+v", got)
	}
}

// Every form AllNeedles promises is found for a short secret with characters that escape.
func TestAllNeedlesFindEveryForm(t *testing.T) {
	const pw = "p&w\"d/1" // 7 bytes: &, a quote and a slash escape differently in JSON and URLs
	s := NewSecrets()
	s.Add("pw", pw)
	json1, _ := json.Marshal(pw)
	forms := map[string]string{
		"raw":              "password=" + pw + " ",
		"base64":           "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(pw)),
		"base64 inside":    "data: " + base64.StdEncoding.EncodeToString([]byte("user:"+pw+":rest")),
		"hex":              "body " + hex.EncodeToString([]byte(pw)),
		"HEX":              "BODY " + strings.ToUpper(hex.EncodeToString([]byte(pw))),
		"JSON-escaped":     `{"password":` + string(json1) + `}`,
		"URL-escaped":      "GET /x?password=" + url.QueryEscape(pw) + "&y=1",
		"URL-path-escaped": "GET /x/" + url.PathEscape(pw) + "/y",
	}
	sc := NewScanner(s.AllNeedles())
	for form, text := range forms {
		if got := sc.Scan("log", []byte(text)); len(got) != 1 {
			t.Errorf("%s: %q: got %+v", form, text, got)
		}
	}
	tiny := NewSecrets()
	tiny.Add("pin", "4711")
	if got := NewScanner(tiny.AllNeedles()).Scan("log", []byte("pin: "+base64.StdEncoding.EncodeToString([]byte("4711")))); len(got) != 1 {
		t.Errorf("base64 of a 4-byte secret alone: got %+v", got)
	}
	if got := sc.Scan("log", []byte("nothing like it here: p&w d/1 70267722 cCZ3")); len(got) != 0 {
		t.Errorf("false positive: %+v", got)
	}
}
