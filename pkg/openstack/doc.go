// Package openstack holds every OpenStack call the driver and the reseller make, behind small
// interfaces (Compute, Network, Image, BlockStorage, and Identity for the reseller's application
// credentials) so the callers' logic reads as what it does, not how gophercloud spells it. A
// Session is one authenticated gophercloud provider per credential, shared by all calls, with a
// client-side rate limit and a retry policy that never repeats a non-idempotent request.
package openstack
