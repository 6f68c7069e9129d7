// Command healthprobe GETs every URL given and exits 1 unless each answers 200 within the
// timeout. It is in the machine-controller image for the chart's `helm test` hook: the images
// are distroless (no shell, no curl), so the test pod needs a probe of its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/pco-mcm/mcm-provider-pco/pkg/version"
)

func main() {
	timeout := flag.Duration("timeout", 10*time.Second, "time each URL has to answer")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("healthprobe"))
		return
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: healthprobe [--timeout 10s] URL...")
		os.Exit(2)
	}
	failed := false
	for _, url := range flag.Args() {
		if err := probe(url, *timeout); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", url, err)
			failed = true
			continue
		}
		fmt.Printf("OK %s\n", url)
	}
	if failed {
		os.Exit(1)
	}
}

func probe(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
