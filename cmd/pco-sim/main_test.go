package main

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
)

// TestRun starts the command on a free port and authenticates from the clouds.yaml it writes.
func TestRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clouds.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--clouds-yaml", file, "--build-time", "2s", "--quiet"}, pw)
		pw.Close()
	}()

	authURL := ""
	lines := bufio.NewScanner(pr)
	for authURL == "" && lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "auth URL: "); ok {
			authURL = u
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
