package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"

	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
)

// TestRun starts the command on a free port and authenticates from the clouds.yaml it writes.
func TestRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clouds.yaml")
	credsFile := filepath.Join(t.TempDir(), "reseller.env")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--clouds-yaml", file, "--build-time", "2s", "--quiet", "--reseller-credentials", credsFile}, pw)
		pw.Close()
	}()

	authURL, resellerLine := "", ""
	lines := bufio.NewScanner(pr)
	for (authURL == "" || resellerLine == "") && lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "auth URL: "); ok {
			authURL = u
		}
		if r, ok := strings.CutPrefix(lines.Text(), "reseller API: "); ok {
			resellerLine = r
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.HasPrefix(authURL, "http://127.0.0.1:") || !strings.HasSuffix(authURL, "/identity/v3") {
		t.Fatalf("auth URL line missing or wrong: %q", authURL)
	}

	t.Setenv("OS_CLIENT_CONFIG_FILE", file)
	t.Setenv("OS_CLOUD", "pco-sim")
	ao, _, tlsConfig, err := clouds.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if ao.IdentityEndpoint != authURL {
		t.Errorf("clouds.yaml auth_url %q, printed %q", ao.IdentityEndpoint, authURL)
	}
	actx, acancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer acancel()
	if _, err := config.NewProviderClient(actx, ao, config.WithTLSConfig(tlsConfig)); err != nil {
		t.Fatalf("authenticating with the written clouds.yaml: %v", err)
	}

	checkResellerCredentials(t, credsFile, resellerLine)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

// checkResellerCredentials reads the credentials file (owner-only) and logs in to the Reseller
// API with it; the printed line names the endpoint and user but not the password.
func checkResellerCredentials(t *testing.T, file, line string) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("line %q is no KEY=value", l)
		}
		kv[k] = v
	}
	endpoint, user, password := kv["RESELLER_ENDPOINT"], kv["RESELLER_USERNAME"], kv["RESELLER_PASSWORD"]
	if endpoint == "" || user == "" || password == "" || kv["RESELLER_DOMAIN"] == "" {
		t.Fatalf("credentials file incomplete: keys %v", len(kv))
	}
	if !strings.HasPrefix(line, endpoint+" (username "+user+", password in "+file+")") {
		t.Errorf("reseller line %q does not name endpoint %s and user %s", line, endpoint, user)
	}
	if strings.Contains(line, password) {
		t.Error("the reseller line shows the password")
	}
	c, err := reseller.New(endpoint, user, password)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := c.TestToken(ctx)
	if err != nil {
		t.Fatalf("logging in to the Reseller API with the written credentials: %v", err)
	}
	if id.Username != user || id.ProjectPrefix != kv["RESELLER_DOMAIN"] {
		t.Errorf("test-token answered %+v", id)
	}
}
