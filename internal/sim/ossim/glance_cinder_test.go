package ossim_test

import (
	"context"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumetypes"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/pagination"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("Glance", func() {
	It("lists and shows public images with min_disk, filtered and paged", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		c := newServices(ctx, sim, passwordAuth(sim), "")
		pages, err := images.List(c.image, images.ListOpts{Name: seed.ImageWithMinDisk, Status: images.ImageStatusActive}).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, err := images.ExtractImages(pages)
		Expect(err).NotTo(HaveOccurred())
		Expect(list).To(ConsistOf(HaveField("ID", seed.ImageWithMinDiskID)))
		Expect(list[0].MinDiskGigabytes).To(Equal(seed.ImageMinDisk))
		Expect(list[0].Visibility).To(Equal(images.ImageVisibilityPublic))

		img, err := images.Get(ctx, c.image, seed.ImageID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(img.Name).To(Equal(seed.ImageName))
		Expect(img.MinDiskGigabytes).To(BeZero())
		Expect(img.Properties).To(HaveKeyWithValue("os_distro", "ubuntu"))

		sim.ResetCounts()
		var names []string
		err = images.List(c.image, images.ListOpts{Limit: 1}).EachPage(ctx, func(_ context.Context, p pagination.Page) (bool, error) {
			l, err := images.ExtractImages(p)
			for _, i := range l {
				names = append(names, i.Name)
			}
			return true, err
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(Equal([]string{"Debian 12", "Flatcar Container Linux", "Ubuntu 24.04"}), "newest first")
		Expect(sim.Counts().Get("image GET /v2/images")).To(Equal(4), "every full page links a next one")

		_, err = images.Get(ctx, c.image, "0b7a1c8e-5a3f-4d7c-9d1e-2f3a4b5c6d7e").Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotFound)).To(BeTrue())
		r := rawRequest(sim, "GET", "/image/v2/images/nope", tokenOf(ctx, sim), nil, "Accept", "text/html")
		Expect(r.body).To(ContainSubstring("<title>404 Not Found</title>"), "webob renders what the client accepts")
		r = rawRequest(sim, "GET", "/image/v2/images?os_distro=flatcar", tokenOf(ctx, sim), nil)
		Expect(r.body).To(ContainSubstring(seed.ImageWithMinDiskID), "unknown filters match image properties")
		Expect(r.body).NotTo(ContainSubstring(seed.ImageID))
	})
})

var _ = Describe("Cinder", func() {
	var (
		sim  *ossim.Sim
		seed ossim.Seed
		c    *services
	)
	BeforeEach(func(ctx SpecContext) {
		sim = startSim(nil)
		seed = sim.Seed()
		c = newServices(ctx, sim, passwordAuth(sim), "")
	})
	listVolumes := func(ctx context.Context, opts volumes.ListOpts) []volumes.Volume {
		GinkgoHelper()
		pages, err := volumes.List(c.block, opts).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, err := volumes.ExtractVolumes(pages)
		Expect(err).NotTo(HaveOccurred())
		return list
	}

	It("creates volumes from images, lists them by name and metadata, and pages", func(ctx SpecContext) {
		v, err := volumes.Create(ctx, c.block, volumes.CreateOpts{Name: "root", Size: 30, ImageID: seed.ImageWithMinDiskID,
			Metadata: map[string]string{"role": "root", "cluster": "a"}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Bootable).To(Equal("true"))
		Expect(v.VolumeType).To(Equal("__DEFAULT__"))
		Expect(v.VolumeImageMetadata).To(HaveKeyWithValue("image_id", seed.ImageWithMinDiskID))
		_, err = volumes.Create(ctx, c.block, volumes.CreateOpts{Name: "data", Size: 1, Metadata: map[string]string{"role": "data"}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(listVolumes(ctx, volumes.ListOpts{Name: "root"})).To(ConsistOf(HaveField("ID", v.ID)))
		Expect(listVolumes(ctx, volumes.ListOpts{Metadata: map[string]string{"role": "root", "cluster": "a"}})).To(ConsistOf(HaveField("ID", v.ID)))
		Expect(listVolumes(ctx, volumes.ListOpts{Metadata: map[string]string{"role": "root", "cluster": "b"}})).To(BeEmpty())
		sim.ResetCounts()
		Expect(listVolumes(ctx, volumes.ListOpts{Limit: 1})).To(HaveLen(2))
		Expect(sim.Counts().Get("volume GET /volumes/detail")).To(Equal(3))

		_, err = volumes.Create(ctx, c.block, volumes.CreateOpts{Size: 10, ImageID: seed.ImageWithMinDiskID}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusBadRequest)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring("cannot be smaller than the image minDisk size 25GB"))
		_, err = volumes.Create(ctx, c.block, volumes.CreateOpts{Size: 1, VolumeType: "gold"}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotFound)).To(BeTrue())
	})

	It("speaks volume microversions and lists volume types", func(ctx SpecContext) {
		c.block.Microversion = "3.70"
		v, err := volumes.Create(ctx, c.block, volumes.CreateOpts{Size: 1}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		r := rawRequest(sim, "GET", "/volume/v3/"+seed.ProjectID+"/volumes/"+v.ID, tokenOf(ctx, sim), nil, "OpenStack-API-Version", "volume 3.70")
		Expect(r.header.Get("OpenStack-API-Version")).To(Equal("volume 3.70"))
		Expect(r.body).To(ContainSubstring(`"volume_type_id"`), "volume_type_id appears at 3.63")
		c.block.Microversion = "3.71"
		_, err = volumes.Get(ctx, c.block, v.ID).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotAcceptable)).To(BeTrue())
		c.block.Microversion = ""
		pages, err := volumetypes.List(c.block, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		types, _ := volumetypes.ExtractVolumeTypes(pages)
		Expect(types).To(ConsistOf(HaveField("Name", "__DEFAULT__"), HaveField("Name", "ssd")))
		r = rawRequest(sim, "GET", "/volume/v3/"+seed.OtherProjectID+"/volumes", tokenOf(ctx, sim), nil)
		Expect(r.code).To(Equal(http.StatusBadRequest), "the URL's project must be the token's")
	})

	It("refuses to delete a volume that is not available, then deletes it slowly", func(ctx SpecContext) {
		v, err := volumes.Create(ctx, c.block, volumes.CreateOpts{Size: 1}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		err = volumes.Delete(ctx, c.block, v.ID, nil).ExtractErr()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusBadRequest)).To(BeTrue(), "still creating")
		Expect(errorBody(err)).To(ContainSubstring(`"badRequest"`))
		eventually(func() string { return sim.Volumes()[0].Status }).Should(Equal("available"))
		Expect(volumes.Delete(ctx, c.block, v.ID, nil).ExtractErr()).To(Succeed())
		got, err := volumes.Get(ctx, c.block, v.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Status).To(Equal("deleting"))
		eventually(sim.Volumes).Should(BeEmpty())
		_, err = volumes.Get(ctx, c.block, v.ID).Extract()
		Expect(errorBody(err)).To(MatchJSON(`{"itemNotFound":{"code":404,"message":"Volume ` + v.ID + ` could not be found."}}`))
	})
})
