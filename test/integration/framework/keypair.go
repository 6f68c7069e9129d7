package framework

import (
	"context"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// demoPublicKey is a syntactically valid key nobody holds the private half of.
const demoPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPcoSimulatedKeyForTestsOnly0000000000000000 pco-demo"

// CreateKeypair logs in with a credentials Secret's data (as the driver reads it) and creates a
// Nova keypair for that user, as the project's owner would before pointing a MachineClass at it.
func CreateKeypair(ctx context.Context, secretData map[string][]byte, name string) error {
	creds, err := credentials.FromSecretData(secretData)
	if err != nil {
		return err
	}
	provider, err := testenv.Login(ctx, creds)
	if err != nil {
		return err
	}
	compute, err := gopenstack.NewComputeV2(provider, gophercloud.EndpointOpts{Region: creds.Region})
	if err != nil {
		return err
	}
	_, err = keypairs.Create(ctx, compute, keypairs.CreateOpts{Name: name, PublicKey: demoPublicKey}).Extract()
	return err
}
