package main

import (
	"archive/tar"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// testOptions build the pause image (small, from this module) for two platforms.
func testOptions(t *testing.T) options {
	t.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var platforms []v1.Platform
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		pl, err := parsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		platforms = append(platforms, pl)
	}
	return options{src: src, out: t.TempDir(), version: "v9.9.9", revision: "0123456789abcdef", repo: "example.test/pco",
		caFile: "/etc/ssl/certs/ca-certificates.crt", created: time.Unix(1796574572, 0).UTC(), platforms: platforms,
		images: []imageSpec{imageSpecs["pause"]}}
}

func indexDigest(t *testing.T, dir string) (v1.ImageIndex, v1.Hash) {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "pause"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return idx, d
}

func TestTwoBuildsOfOneCommitHaveOneDigest(t *testing.T) {
	a, b := testOptions(t), testOptions(t)
	for _, o := range []options{a, b} {
		if err := build(o); err != nil {
			t.Fatal(err)
		}
	}
	_, da := indexDigest(t, a.out)
	_, db := indexDigest(t, b.out)
	if da != db {
		t.Fatalf("index digests differ: %s and %s", da, db)
	}
}

func TestIndexHasBothPlatformsNonRootImagesWithLabelsCertsAndBinary(t *testing.T) {
	o := testOptions(t)
	if err := build(o); err != nil {
		t.Fatal(err)
	}
	idx, _ := indexDigest(t, o.out)
	// The layout's index.json is the image index itself: it lists the platforms.
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(manifest.Manifests) != 2 {
		t.Fatalf("index.json lists %d manifests, want amd64 and arm64", len(manifest.Manifests))
	}
	for i, desc := range manifest.Manifests {
		if desc.Platform == nil || desc.Platform.OS != "linux" || desc.Platform.Architecture != o.platforms[i].Architecture {
			t.Fatalf("manifest %d has platform %v, want %v", i, desc.Platform, o.platforms[i])
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Config.User != "65532:65532" || cfg.Architecture != desc.Platform.Architecture || cfg.Config.Entrypoint[0] != "/pause" {
			t.Errorf("config: user %q arch %q entrypoint %v", cfg.Config.User, cfg.Architecture, cfg.Config.Entrypoint)
		}
		if !cfg.Created.Time.Equal(o.created) {
			t.Errorf("created %s, want SOURCE_DATE_EPOCH %s", cfg.Created.Time, o.created)
		}
		for k, want := range map[string]string{"org.opencontainers.image.version": "v9.9.9",
			"org.opencontainers.image.revision": "0123456789abcdef", "org.opencontainers.image.licenses": "Apache-2.0"} {
			if cfg.Config.Labels[k] != want {
				t.Errorf("label %s = %q, want %q", k, cfg.Config.Labels[k], want)
			}
		}
		files := layerFiles(t, img)
		for name, mode := range map[string]int64{"etc/ssl/certs/ca-certificates.crt": 0o644, "etc/passwd": 0o644, "pause": 0o755, "tmp/": 0o1777} {
			h, ok := files[name]
			switch {
			case !ok:
				t.Errorf("%s: no %s in the image", desc.Platform.Architecture, name)
			case h.Mode != mode:
				t.Errorf("%s: mode %o, want %o", name, h.Mode, mode)
			case !h.ModTime.Equal(o.created):
				t.Errorf("%s: mtime %s, want %s", name, h.ModTime, o.created)
			}
		}
	}
}

func layerFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*tar.Header{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = h
		}
		_ = rc.Close()
	}
	return files
}
