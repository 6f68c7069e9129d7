package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonroot is distroless' unprivileged user and group.
const nonroot = 65532

func build(o options) error {
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		return fmt.Errorf("reading the CA bundle (install Debian's ca-certificates or pass --ca-certificates): %w", err)
	}
	base, err := baseLayer(o, ca)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "pco-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var tool string
	if o.sbom {
		if tool, err = sbomTool(); err != nil {
			return err
		}
	}
	// images[name][i] is the image of name for o.platforms[i].
	images := map[string][]v1.Image{}
	for _, p := range o.platforms {
		dir := filepath.Join(work, strings.ReplaceAll(p.String(), "/", "-"))
		slog.Info("building binaries", "platform", p.String())
		if err := buildBinaries(o, p, dir); err != nil {
			return err
		}
		for _, spec := range o.images {
			img, err := platformImage(o, spec, p, base, dir)
			if err != nil {
				return fmt.Errorf("%s for %s: %w", spec.name, p.String(), err)
			}
			images[spec.name] = append(images[spec.name], img)
			if o.sbom {
				if err := writeSBOMs(o, tool, spec, p, dir); err != nil {
					return err
				}
			}
		}
	}
	for _, spec := range o.images {
		if err := write(o, spec, images[spec.name]); err != nil {
			return fmt.Errorf("%s: %w", spec.name, err)
		}
	}
	return nil
}

// write stores the image index of spec as an OCI layout in o.out/<name> (replacing an older
// one) and, with --tar-dir, the --tar-platform image as a docker-archive tarball.
func write(o options, spec imageSpec, imgs []v1.Image) error {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, img := range imgs {
		p := o.platforms[i]
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx = mutate.Annotations(idx, labels(o, spec)).(v1.ImageIndex)
	dir := filepath.Join(o.out, spec.name)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if _, err := layout.Write(dir, idx); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	slog.Info("image", "name", spec.name, "layout", dir, "index", digest.String())

	if o.tarDir == "" {
		return nil
	}
	for i, p := range o.platforms {
		if p.String() != o.tarPlatform {
			continue
		}
		tag, err := name.NewTag(fmt.Sprintf("%s/%s:%s", o.repo, spec.name, o.version))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(o.tarDir, 0o750); err != nil {
			return err
		}
		return tarball.WriteToFile(filepath.Join(o.tarDir, spec.name+".tar"), tag, imgs[i])
	}
	return fmt.Errorf("--tar-platform %s is not among --platforms", o.tarPlatform)
}

// labels are the OCI annotations of the index and the labels of every image config.
func labels(o options, spec imageSpec) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       spec.name,
		"org.opencontainers.image.description": spec.description,
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.created":     o.created.Format("2006-01-02T15:04:05Z"),
		"org.opencontainers.image.source":      "https://github.com/pco-mcm/mcm-provider-pco",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.vendor":      "mcm-provider-pco",
	}
	if o.revision != "" {
		l["org.opencontainers.image.revision"] = o.revision
	}
	if spec.test {
		l["org.opencontainers.image.description"] += " (test image, not released)"
	}
	return l
}

func platformImage(o options, spec imageSpec, p v1.Platform, base v1.Layer, binDir string) (v1.Image, error) {
	var files []tarFile
	for _, b := range spec.binaries {
		data, err := os.ReadFile(filepath.Join(binDir, b.name))
		if err != nil {
			return nil, err
		}
		files = append(files, tarFile{name: b.name, mode: 0o755, data: data})
	}
	bins, err := layerOf(o, files)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	entry := "/" + spec.binaries[0].name
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{Created: v1.Time{Time: o.created}, CreatedBy: "hack/image: CA certificates, passwd, group, /tmp", Comment: "base"}},
		mutate.Addendum{Layer: bins, MediaType: types.OCILayer, History: v1.History{Created: v1.Time{Time: o.created}, CreatedBy: "hack/image: go build " + entry}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: o.created}
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Config = v1.Config{
		Entrypoint: []string{entry},
		User:       fmt.Sprintf("%d:%d", nonroot, nonroot),
		WorkingDir: "/",
		Env:        []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels:     labels(o, spec),
	}
	return mutate.ConfigFile(img, cfg)
}

type tarFile struct {
	name string
	mode int64
	data []byte
	dir  bool
}

// baseLayer holds what every image shares; being the same layer it is stored once.
func baseLayer(o options, ca []byte) (v1.Layer, error) {
	return layerOf(o, []tarFile{
		{name: "etc", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "etc/ssl", mode: 0o755, dir: true},
		{name: "etc/ssl/certs", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca},
		{name: "home", mode: 0o755, dir: true},
		{name: "home/nonroot", mode: 0o700, dir: true, data: nil},
		{name: "tmp", mode: 0o1777, dir: true},
	})
}

// layerOf makes a gzip layer of files with fixed times and owners, so equal input gives an
// equal digest.
func layerOf(o options, files []tarFile) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: o.created, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if f.dir {
			h.Typeflag, h.Name, h.Size = tar.TypeDir, f.name+"/", 0
		}
		if f.name == "home/nonroot" {
			h.Uid, h.Gid = nonroot, nonroot
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if !f.dir {
			if _, err := tw.Write(f.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
