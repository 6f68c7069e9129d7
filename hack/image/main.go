// Command image builds this project's container images without Docker and without a base image
// from a registry: static Go binaries (CGO_ENABLED=0, -trimpath, version stamped with -ldflags)
// on a base layer of CA certificates, /etc/passwd and /etc/group (user and group 65532, as in
// distroless' nonroot) and /tmp. Each image is an OCI image index of every requested platform,
// written as an OCI layout (one folder per image, its index.json lists the platforms).
// Timestamps are SOURCE_DATE_EPOCH, so a rebuild of one commit gives the same digests.
//
//	cd hack/image && go run . --src ../.. --out ../../bin/images
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	flag.StringVar(&o.src, "src", "../..", "root of the mcm-provider-pco repository")
	flag.StringVar(&o.out, "out", "../../bin/images", "folder for the OCI layouts (one per image)")
	flag.StringVar(&o.version, "version", "", "image tag and version stamped into the binaries (default: v + the VERSION file)")
	flag.StringVar(&o.revision, "revision", "", "VCS revision for the binaries and labels (default: git rev-parse HEAD in --src)")
	flag.StringVar(&o.repo, "repo", "ghcr.io/pco-mcm/mcm-provider-pco", "repository prefix of the images (label and tarball tags)")
	images := flag.String("images", strings.Join(releaseImages, ","), "images to build: "+strings.Join(knownImages(), ", "))
	platforms := flag.String("platforms", "linux/amd64,linux/arm64", "platforms of every image")
	flag.StringVar(&o.tarDir, "tar-dir", "", "also write each image for --tar-platform as a docker-archive tarball here (for ctr images import)")
	flag.StringVar(&o.tarPlatform, "tar-platform", "linux/"+runtime.GOARCH, "platform of the --tar-dir tarballs")
	flag.BoolVar(&o.sbom, "sbom", false, "also write a CycloneDX SBOM of every binary (cyclonedx-gomod "+sbomToolVersion+") into --out/sbom")
	flag.StringVar(&o.caFile, "ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to put into the images (Debian's ca-certificates package)")
	flag.Parse()

	var err error
	if o.src, err = filepath.Abs(o.src); err != nil {
		return err
	}
	if o.version == "" {
		b, err := os.ReadFile(filepath.Join(o.src, "VERSION"))
		if err != nil {
			return fmt.Errorf("reading the version: %w", err)
		}
		o.version = "v" + strings.TrimSpace(string(b))
	}
	if o.revision == "" {
		o.revision = gitRevision(o.src)
	}
	if o.created, err = sourceDate(); err != nil {
		return err
	}
	for _, p := range strings.Split(*platforms, ",") {
		pl, err := parsePlatform(p)
		if err != nil {
			return err
		}
		o.platforms = append(o.platforms, pl)
	}
	for _, name := range strings.Split(*images, ",") {
		spec, ok := imageSpecs[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown image %q (known: %s)", name, strings.Join(knownImages(), ", "))
		}
		o.images = append(o.images, spec)
	}
	start := time.Now()
	if err := build(o); err != nil {
		return err
	}
	slog.Info("images built", "version", o.version, "images", len(o.images), "platforms", *platforms, "out", o.out, "seconds", time.Since(start).Round(time.Second).Seconds())
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH (reproducible-builds.org), else the Unix epoch.
func sourceDate() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", v, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
