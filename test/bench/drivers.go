package main

import (
	"encoding/json"

	"github.com/gardener/machine-controller-manager-provider-openstack/pkg/apis/openstack/install"
	peerdriver "github.com/gardener/machine-controller-manager-provider-openstack/pkg/driver"
	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

// The cluster and role tag keys of the bench's MachineClass (providerSpec tags).
const (
	clusterKey = api.ServerTagClusterPrefix + "bench"
	roleKey    = api.ServerTagRolePrefix + "node"
)

// simFlavor is the simulator's flavor with a local disk the MachineClass uses.
const simFlavor = "SCS-2V-4-20s"

// named is one driver under test.
type named struct {
	name string
	d    mcmdriver.Driver
}

// newDrivers returns fresh instances of both drivers, ours first: each group starts without the
// caches (sessions, tokens, lookups) an earlier group filled.
func newDrivers() ([]named, error) {
	scheme := runtime.NewScheme()
	if err := install.AddToScheme(scheme); err != nil {
		return nil, err
	}
	peer := peerdriver.NewOpenstackDriver(serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDecoder())
	return []named{{"ours", driver.New(driver.DefaultOptions())}, {"peer", peer}}, nil
}

func code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	st, _ := status.FromError(err)
	return st.Code()
}

// objects are the MachineClass and Secret both drivers get: a provider-openstack v0.27.1
// providerSpec with flavor and Secret for the seed's project (the simulator's, or a real
// cloud's fixture with --real-clouds).
func objects(seed ossim.Seed, authURL, flavor string) (*mcmv1alpha1.MachineClass, *corev1.Secret, error) {
	return objectsWithRootDisk(seed, authURL, flavor, 0)
}

// objectsWithRootDisk are objects with providerSpec rootDiskSize (GiB) set: a diskless flavor
// boots from a Cinder volume of that size.
func objectsWithRootDisk(seed ossim.Seed, authURL, flavor string, rootDiskGB int) (*mcmv1alpha1.MachineClass, *corev1.Secret, error) {
	raw, err := json.Marshal(api.MachineProviderConfig{
		TypeMeta: metav1.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind},
		Spec: api.MachineProviderConfigSpec{
			RootDiskSize: rootDiskGB,
			ImageName:    seed.ImageName, Region: seed.Region, AvailabilityZone: "nova", FlavorName: flavor,
			KeyName: seed.KeyName, SecurityGroups: []string{seed.SecurityGroupName}, NetworkID: seed.NetworkID,
			PodNetworkCidr: "100.96.0.0/11",
			Tags:           map[string]string{clusterKey: "1", roleKey: "1"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	class := &mcmv1alpha1.MachineClass{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: "bench"},
		Provider: api.ProviderName, ProviderSpec: runtime.RawExtension{Raw: raw}}
	secret := &corev1.Secret{Data: map[string][]byte{
		"authURL": []byte(authURL), "domainName": []byte(seed.DomainName), "tenantName": []byte(seed.ProjectName),
		"username": []byte(seed.Username), "password": []byte(seed.Password), "userData": []byte("#cloud-config\n"),
	}}
	return class, secret, nil
}
