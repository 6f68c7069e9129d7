package ossim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// startSim starts a fast simulator for one spec and closes it after.
func startSim(mod func(*ossim.Options)) *ossim.Sim {
	opts := ossim.Options{BuildTime: 100 * time.Millisecond, DeleteTime: 50 * time.Millisecond, VolumeTime: 50 * time.Millisecond}
	if mod != nil {
		mod(&opts)
	}
	sim, err := ossim.Start(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	return sim
}

func passwordAuth(sim *ossim.Sim) gophercloud.AuthOptions {
	seed := sim.Seed()
	return gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), Username: seed.Username, Password: seed.Password,
		DomainName: seed.DomainName, Scope: &gophercloud.AuthScope{ProjectName: seed.ProjectName, DomainName: seed.DomainName}, AllowReauth: true}
}

// services are gophercloud clients of every simulated service, for one user.
type services struct {
	provider                       *gophercloud.ProviderClient
	compute, network, image, block *gophercloud.ServiceClient
}

func newServices(ctx context.Context, sim *ossim.Sim, opts gophercloud.AuthOptions, microversion string) *services {
	provider, err := openstack.AuthenticatedClient(ctx, opts)
	Expect(err).NotTo(HaveOccurred())
	eo := gophercloud.EndpointOpts{Region: sim.Seed().Region}
	s := &services{provider: provider}
	s.compute, err = openstack.NewComputeV2(provider, eo)
	Expect(err).NotTo(HaveOccurred())
	s.compute.Microversion = microversion
	s.network, err = openstack.NewNetworkV2(provider, eo)
	Expect(err).NotTo(HaveOccurred())
	s.image, err = openstack.NewImageV2(provider, eo)
	Expect(err).NotTo(HaveOccurred())
	s.block, err = openstack.NewBlockStorageV3(provider, eo)
	Expect(err).NotTo(HaveOccurred())
	return s
}

func tokenOf(ctx context.Context, sim *ossim.Sim) string {
	provider, err := openstack.AuthenticatedClient(ctx, passwordAuth(sim))
	Expect(err).NotTo(HaveOccurred())
	return provider.Token()
}

// response is what rawRequest got.
type response struct {
	code   int
	body   string
	header http.Header
}

func (r response) decode(v any) {
	ExpectWithOffset(1, json.Unmarshal([]byte(r.body), v)).To(Succeed(), r.body)
}

// rawRequest sends a request with a token, for what gophercloud hides (bodies, headers).
func rawRequest(sim *ossim.Sim, method, path, token string, body any, headers ...string) response {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sim.URL()+path, r)
	Expect(err).NotTo(HaveOccurred())
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return response{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// compute is the header pair asking Nova for a microversion.
func compute(mv string) []string { return []string{"OpenStack-API-Version", "compute " + mv} }

// errorBody is the body of a gophercloud error response, or "".
func errorBody(err error) string {
	var e gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &e) {
		return string(e.Body)
	}
	return ""
}

// eventually polls f until it holds, within a couple of build times.
func eventually(f any) AsyncAssertion {
	return Eventually(f).WithTimeout(3 * time.Second).WithPolling(20 * time.Millisecond)
}
