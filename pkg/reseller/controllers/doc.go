// Package controllers reconciles the pco.plusserver.com resources against the pluscloud open
// Reseller API: Region (an API endpoint and account), Project (a reseller project), User (a
// password in a Secret) and UserProjectBinding (the OpenStack user, its membership in the
// project, an optional application credential and a credentials Secret a MachineClass can use).
//
// Behaviour follows plusserver's pco-reseller-operator, so a cloud it manages can be taken over
// (same names: project <id>-<namespace>-<name>, user <user>-<namespace>@<id>.k8s, Secrets
// <user>-openstack and <binding>-appcred, the id in Secret pco-reseller-operator-id), with these
// differences:
//   - deleting a User never deletes bindings: it waits until its bindings are gone (the peer
//     deletes every binding of the namespace);
//   - a binding also writes <binding>-credentials (provider-openstack keys and clouds.yaml);
//   - a password rotation (annotation pco.plusserver.com/rotate-password on the User, or a new
//     password in its Secret) is pushed to every region and credentials Secret;
//   - Reseller API errors are conditions and events with the API's message; 5xx, 429 and
//     network errors are retried with backoff, 4xx wait for a change of the spec;
//   - every project and user carries an owner record in its description (owner.go), and the
//     controller touches only those the record names as the object's own: the names are
//     ambiguous across namespaces, and the OpenStack user name comes from the User object,
//     never from its (tenant-editable) Secret.
package controllers
