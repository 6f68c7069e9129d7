package ossim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("Nova build faults", func() {
	var (
		sim   *ossim.Sim
		seed  ossim.Seed
		token string
		c     *services
	)
	BeforeEach(func(ctx SpecContext) {
		sim = startSim(nil)
		seed = sim.Seed()
		token = tokenOf(ctx, sim)
		c = newServices(ctx, sim, passwordAuth(sim), "2.67")
	})
	// bootFromVolume boots a diskless-flavor server from a Cinder volume Nova makes, on a port Nova makes.
	bootFromVolume := func(ctx context.Context, name string) string {
		GinkgoHelper()
		s, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: name, FlavorRef: seed.Flavors["SCS-2V-4"],
			Networks: []servers.Network{{UUID: seed.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageID, DestinationType: servers.DestinationVolume,
				VolumeSize: 10, DeleteOnTermination: true, BootIndex: 0}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		return s.ID
	}
	// rawServer is GET /servers/{id} as JSON.
	rawServer := func(id string) map[string]any {
		GinkgoHelper()
		r := rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil, compute("2.67")...)
		Expect(r.code).To(Equal(http.StatusOK), r.body)
		var body struct{ Server map[string]any }
		Expect(json.Unmarshal([]byte(r.body), &body)).To(Succeed())
		return body.Server
	}

	It("fails a build with No valid host as Nova does: ERROR, fault {code 500, created, message} without details for a member, Nova's port and volume gone", func(ctx SpecContext) {
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNoValidHost, Count: 1})
		id := bootFromVolume(ctx, "novalid")
		waitServer(ctx, c.compute, id, "ERROR")
		s := rawServer(id)
		Expect(s).To(HaveKeyWithValue("OS-EXT-STS:vm_state", "error"))
		Expect(s).To(HaveKeyWithValue("OS-EXT-STS:task_state", BeNil()))
		fault, _ := s["fault"].(map[string]any)
		Expect(fault).To(HaveLen(3), "code, created and message; details are for admins or non-500 codes")
		Expect(fault).To(HaveKeyWithValue("code", BeEquivalentTo(500)))
		Expect(fault).To(HaveKeyWithValue("message", "No valid host was found. "), "Zed's words, seen on the lab")
		Expect(s).To(HaveKeyWithValue("OS-EXT-AZ:availability_zone", ""), "never scheduled, as on the Zed lab")
		Expect(s).To(HaveKeyWithValue("hostId", ""))
		Expect(fault["created"]).To(MatchRegexp(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))
		Expect(sim.Ports()).To(BeEmpty())
		Expect(sim.Volumes()).To(BeEmpty())
	})

	It("leaves Nova's port behind a failed network allocation: bound to the server by device_id, DOWN, and still there after the server is deleted", func(ctx SpecContext) {
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNetworkAllocation, LeavePorts: true, Count: 1})
		id := bootFromVolume(ctx, "netfail")
		waitServer(ctx, c.compute, id, "ERROR")
		s, err := servers.Get(ctx, c.compute, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Fault.Message).To(Equal("Build of instance " + id + " aborted: Failed to allocate the network(s), not rescheduling."))
		Expect(sim.Ports()).To(ConsistOf(And(HaveField("DeviceID", id), HaveField("DeviceOwner", "compute:nova"), HaveField("Status", "DOWN"))))
		Expect(sim.Volumes()).To(BeEmpty(), "only the ports were left")
		Expect(servers.Delete(ctx, c.compute, id).ExtractErr()).To(Succeed())
		waitServerGone(ctx, c.compute, id)
		Expect(sim.Ports()).To(ConsistOf(HaveField("DeviceID", id)), "the port outlives the server")
		Expect(sim.ServerHistory()).To(ConsistOf(HaveField("Fault", s.Fault.Message)), "the history keeps the fault")
	})

	It("leaves Nova's boot volume behind a volume that did not finish: named in the fault only (not in volumes_attached), unattached, creating, kept when the server is deleted", func(ctx SpecContext) {
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultVolumeNotCreated, LeaveVolumes: true, Count: 1})
		id := bootFromVolume(ctx, "volfail")
		waitServer(ctx, c.compute, id, "ERROR")
		vols := sim.Volumes()
		Expect(vols).To(HaveLen(1))
		vol := vols[0]
		Expect(vol.Attachments).To(BeEmpty())
		Expect(vol.Name).To(BeEmpty(), "Nova names no volume it makes from an image")
		s := rawServer(id)
		Expect(s["fault"]).To(HaveKeyWithValue("message", "Build of instance "+id+" aborted: Volume "+vol.ID+
			" did not finish being created even after we waited 202 seconds or 61 attempts. And its status is creating."), "as the Zed lab said it")
		Expect(s["os-extended-volumes:volumes_attached"]).To(BeEmpty(), "Nova saves the volume into the block device mapping only after Cinder made it, as on the Zed lab")
		Expect(sim.Ports()).To(BeEmpty(), "Nova's port went as usual")
		Expect(servers.Delete(ctx, c.compute, id).ExtractErr()).To(Succeed())
		waitServerGone(ctx, c.compute, id)
		Expect(sim.Volumes()).To(ConsistOf(HaveField("ID", vol.ID)), "the volume outlives the server")
	})

	It("deletes a server deleted while building only once its build is over, so a volume its failed build leaves stays, as Nova's compute host does", func(ctx SpecContext) {
		slow := startSim(func(o *ossim.Options) { o.BuildTime = 400 * time.Millisecond; o.VolumeTime = time.Hour })
		c := newServices(ctx, slow, passwordAuth(slow), "2.67")
		slow.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultVolumeNotCreated, LeaveVolumes: true, Count: 1})
		sd := slow.Seed()
		s, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "deleted-building", FlavorRef: sd.Flavors["SCS-2V-4"], Networks: []servers.Network{{UUID: sd.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: sd.ImageID, DestinationType: servers.DestinationVolume, VolumeSize: 10, DeleteOnTermination: true}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(servers.Delete(ctx, c.compute, s.ID).ExtractErr()).To(Succeed())
		got, err := servers.Get(ctx, c.compute, s.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Status).To(Equal("BUILD"))
		Expect(got.TaskState).To(Equal("deleting"))
		waitServerGone(ctx, c.compute, s.ID)
		Expect(slow.Volumes()).To(ConsistOf(HaveField("Status", "creating")), "the build failed before the delete, and Nova could not delete the volume")
	})

	It("keeps a Nova volume left behind in creating, where Cinder refuses to delete it, until its creation ends", func(ctx SpecContext) {
		slow := startSim(func(o *ossim.Options) { o.VolumeTime = time.Hour })
		c := newServices(ctx, slow, passwordAuth(slow), "2.67")
		slow.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultVolumeNotCreated, LeaveVolumes: true, Count: 1})
		sd := slow.Seed()
		s, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "slow", FlavorRef: sd.Flavors["SCS-2V-4"], Networks: []servers.Network{{UUID: sd.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: sd.ImageID, DestinationType: servers.DestinationVolume, VolumeSize: 10, DeleteOnTermination: true}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		waitServer(ctx, c.compute, s.ID, "ERROR")
		vol := slow.Volumes()[0]
		Expect(vol.Status).To(Equal("creating"))
		r := rawRequest(slow, "DELETE", "/volume/v3/"+sd.ProjectID+"/volumes/"+vol.ID, tokenOf(ctx, slow), nil)
		Expect(r.code).To(Equal(http.StatusBadRequest), r.body)
	})

	It("accepts a lost delete with 204 while the server stays ACTIVE with task_state deleting, until it is deleted again", func(ctx SpecContext) {
		id := sim.AddServers(1, ossim.Server{Name: "lingers"})[0]
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerDeleteLingers, Count: 1})
		Expect(rawRequest(sim, "DELETE", "/compute/v2.1/servers/"+id, token, nil).code).To(Equal(http.StatusNoContent))
		Consistently(func(g Gomega) {
			s := rawServer(id)
			g.Expect(s).To(HaveKeyWithValue("status", "ACTIVE"))
			g.Expect(s).To(HaveKeyWithValue("OS-EXT-STS:task_state", "deleting"))
		}).WithTimeout(300*time.Millisecond).Should(Succeed(), "well past the 50 ms DeleteTime")
		Expect(rawRequest(sim, "DELETE", "/compute/v2.1/servers/"+id, token, nil).code).To(Equal(http.StatusNoContent))
		waitServerGone(ctx, c.compute, id)
	})

	It("arms the lost delete over the admin API by its JSON name", func() {
		r, err := http.Post(sim.URL()+"/_sim/faults", "application/json", strings.NewReader(`{"kind":"server-delete-lingers","count":1}`))
		Expect(err).NotTo(HaveOccurred())
		r.Body.Close()
		Expect(r.StatusCode).To(Equal(http.StatusCreated))
	})
})
