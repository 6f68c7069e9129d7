// Package ossim is an OpenStack API simulator: Keystone v3, Nova, Neutron, Glance and Cinder on
// one loopback HTTP listener with devstack's path prefixes. It keeps state and answers with the
// JSON shapes, status codes, error texts, microversions and pagination of the real services
// (OpenStack Zed, as pluscloud open runs it) for everything this project uses, so gophercloud
// cannot tell it from a cloud. Fault injection and request counters let tests prove how a client
// behaves when the cloud misbehaves, and what it costs.
//
// Layout of the listener (the catalog hands out these URLs, in Options.Region, for the public,
// internal and admin interfaces):
//
//	/identity/v3                 Keystone      catalog type identity (catalog URL /identity)
//	/compute/v2.1                Nova          catalog type compute
//	/network                     Neutron       catalog type network (clients append v2.0/)
//	/image                       Glance        catalog type image (clients append v2/)
//	/volume/v3/{project_id}      Cinder        catalog types volumev3 and block-storage
//	/reseller/api/v1/...         pluscloud open's Reseller API (not in the catalog; see reseller.go)
//	/_sim/...                    the simulator's admin API (see register in admin.go)
//
// Each service root serves its version document(s), as the real ones do; gophercloud fetches
// /network/ and /image/ whenever it builds a network or image client, and those requests are
// counted ("network GET /", "image GET /") like every other API request.
//
// What is modelled closely: Keystone password, token and application-credential auth with
// project scoping, expiry and revocation, and keystonemiddleware's 401 in front of every
// service; Nova microversions 2.1-2.93 (headers, 406, per-version server, flavor, keypair and
// server group shapes), server create validation and error texts, BUILD -> ACTIVE/ERROR,
// deletion with task_state "deleting", ports and volumes handled on delete as Nova does, tags
// and metadata (409 while not active), regex name filters, limit/marker pagination with a next
// link on every full page, quotas counted as Nova counts them; Neutron filters (400 for unknown
// ones), fields, sorting, pagination with next/previous links, sequential fixed IPs, port
// security rules, default security groups and rules, tags; Glance lists (default page 25,
// property filters) and webob-style errors; Cinder volumes, types, microversions 3.0-3.70,
// boot-from-volume attachments, and the quota 413 with retryAfter. Time: builds, deletes and
// volume changes take fixed short times by default, or are drawn from a real cloud's spreads
// (Options.Latencies, latency.go). Faults: request-level ones (faults.go) and faults inside
// Nova's build as Nova words them, with the ports and volumes Nova leaves behind, and deletes
// whose cast gets lost (nova_faults.go).
//
// What is simplified: one compute host pool without real scheduling (affinity is recorded,
// not enforced); IPv4 only; no DHCP or metadata ports; no floating IPs, routers, snapshots,
// images upload, resize or server actions; one server per create (min_count/max_count 1); all
// users are plain project members (admin-only attributes are hidden, admin-only actions are
// refused).
package ossim
