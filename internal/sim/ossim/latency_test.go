package ossim_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// draws returns n sorted draws of d from a fixed seed.
func draws(d ossim.Spread, n int, seed uint64) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d.Draw(rng)
	}
	slices.Sort(out)
	return out
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1))]
}

func shareAbove(sorted []time.Duration, d time.Duration) float64 {
	i, _ := slices.BinarySearch(sorted, d+1)
	return float64(len(sorted)-i) / float64(len(sorted))
}

var _ = Describe("latencies", func() {
	realistic := ossim.RealisticLatencies()

	It("draws realistic local-disk builds within 20s..150s, median 30-40s, 3-7% of them in the tail beyond 60s", func() {
		d := draws(realistic.Build, 20000, 7)
		Expect(d[0]).To(BeNumerically(">=", 20*time.Second))
		Expect(d[len(d)-1]).To(BeNumerically("<=", 150*time.Second))
		Expect(quantile(d, 0.5)).To(BeNumerically("~", 35*time.Second, 5*time.Second))
		Expect(shareAbove(d, 60*time.Second)).To(BeNumerically("~", 0.05, 0.02))
		Expect(quantile(d, 0.99)).To(BeNumerically(">", 70*time.Second), "the tail reaches far")
	})

	It("draws boot-from-volume builds slower than local-disk builds at the median and the 95th percentile", func() {
		local, bfv := draws(realistic.Build, 20000, 8), draws(realistic.BuildVolume, 20000, 8)
		Expect(bfv[0]).To(BeNumerically(">=", 30*time.Second))
		Expect(quantile(bfv, 0.5)).To(BeNumerically(">", quantile(local, 0.5)+8*time.Second))
		Expect(quantile(bfv, 0.95)).To(BeNumerically(">", quantile(local, 0.95)))
	})

	It("draws realistic deletes within 2s..10s, spread over the range (jitter, not one value)", func() {
		d := draws(realistic.Delete, 5000, 9)
		Expect(d[0]).To(BeNumerically(">=", 2*time.Second))
		Expect(d[len(d)-1]).To(BeNumerically("<=", 10*time.Second))
		Expect(quantile(d, 0.1)).To(BeNumerically("<", 3*time.Second))
		Expect(quantile(d, 0.9)).To(BeNumerically(">", 8*time.Second))
	})

	It("draws a fixed spread's duration every time", func() {
		d := draws(ossim.Fixed(1500*time.Millisecond), 100, 10)
		Expect(d[0]).To(Equal(1500 * time.Millisecond))
		Expect(d[len(d)-1]).To(Equal(1500 * time.Millisecond))
	})

	It("divides every duration by the factor when scaled, keeping the tail share", func() {
		s := realistic.Scaled(10)
		Expect(s.Build).To(Equal(ossim.Spread{Min: 2 * time.Second, Max: 6 * time.Second, TailRate: 0.05, TailMax: 15 * time.Second}))
		Expect(s.Delete).To(Equal(ossim.Spread{Min: 200 * time.Millisecond, Max: time.Second}))
	})

	It("reads and writes spreads in the flag form", func() {
		var s ossim.Spread
		Expect(s.Set("20s..1m0s+5%..2m30s")).To(Succeed())
		Expect(s).To(Equal(realistic.Build))
		Expect(s.String()).To(Equal("20s..1m0s+5%..2m30s"))
		Expect(s.Set("3s")).To(Succeed())
		Expect(s).To(Equal(ossim.Fixed(3 * time.Second)))
		Expect(s.Set("3s..1s")).NotTo(Succeed())
	})

	It("refuses to start with a spread whose tail ends before its max", func() {
		_, err := ossim.Start(ossim.Options{Latencies: ossim.Latencies{Build: ossim.Spread{Min: 1, Max: 10, TailRate: 0.1, TailMax: 5}}})
		Expect(err).To(MatchError(ContainSubstring("build latency")))
	})

	Context("through the API", func() {
		// createBoth boots one server from the image and one from a volume and deletes both;
		// it returns their snapshots.
		createBoth := func(ctx context.Context, sim *ossim.Sim) (local, bfv ossim.Server) {
			GinkgoHelper()
			seed := sim.Seed()
			c := newServices(ctx, sim, passwordAuth(sim), "2.67")
			nets := []servers.Network{{UUID: seed.NetworkID}}
			a, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "local", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID, Networks: nets}, nil).Extract()
			Expect(err).NotTo(HaveOccurred())
			b, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "bfv", FlavorRef: seed.Flavors["SCS-2V-4"], Networks: nets,
				BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageID, DestinationType: servers.DestinationVolume, VolumeSize: 10, DeleteOnTermination: true}}}, nil).Extract()
			Expect(err).NotTo(HaveOccurred())
			Expect(servers.Delete(ctx, c.compute, a.ID).ExtractErr()).To(Succeed())
			Expect(servers.Delete(ctx, c.compute, b.ID).ExtractErr()).To(Succeed())
			for _, s := range sim.Servers() {
				switch s.ID {
				case a.ID:
					local = s
				case b.ID:
					bfv = s
				}
			}
			Expect(local.ID).NotTo(BeEmpty())
			Expect(bfv.ID).NotTo(BeEmpty())
			return local, bfv
		}

		It("gives image builds the Build spread, volume builds the BuildVolume spread and deletes the Delete spread", func(ctx SpecContext) {
			l := ossim.Latencies{Build: ossim.Fixed(41 * time.Second), BuildVolume: ossim.Fixed(73 * time.Second), Delete: ossim.Fixed(7 * time.Second), Seed: 1}
			sim := startSim(func(o *ossim.Options) { o.Latencies = l })
			local, bfv := createBoth(ctx, sim)
			Expect(local.BuildTime).To(Equal(41 * time.Second))
			Expect(bfv.BuildTime).To(Equal(73 * time.Second))
			Expect(local.DeleteTime).To(Equal(7 * time.Second))
			Expect(bfv.DeleteTime).To(Equal(7 * time.Second))
			Expect(local.Status).To(Equal("BUILD"), "a 41 s build has not ended")
		})

		It("draws the same realistic times from the same seed and other times from another seed", func(ctx SpecContext) {
			run := func(seed uint64) []time.Duration {
				l := realistic
				l.Seed = seed
				sim := startSim(func(o *ossim.Options) { o.Latencies = l })
				local, bfv := createBoth(ctx, sim)
				for _, d := range []time.Duration{local.BuildTime, local.DeleteTime} {
					Expect(d).To(BeNumerically(">=", 2*time.Second))
				}
				Expect(bfv.BuildTime).To(BeNumerically(">=", 30*time.Second))
				return []time.Duration{local.BuildTime, bfv.BuildTime, local.DeleteTime, bfv.DeleteTime}
			}
			first := run(11)
			Expect(run(11)).To(Equal(first))
			Expect(run(12)).NotTo(Equal(first))
		})

		It("keeps the fixed BuildTime and DeleteTime when no Latencies are set", func(ctx SpecContext) {
			sim := startSim(func(o *ossim.Options) { o.BuildTime, o.DeleteTime = 3*time.Second, 4*time.Second })
			local, bfv := createBoth(ctx, sim)
			Expect(local.BuildTime).To(Equal(3 * time.Second))
			Expect(bfv.BuildTime).To(Equal(3 * time.Second))
			Expect(local.DeleteTime).To(Equal(4 * time.Second))
		})
	})
})
