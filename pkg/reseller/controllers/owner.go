package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
)

// ownerMarker starts the owner record, the last four words of the description of every
// project and user the controller makes: "pco-owner <controller id> <namespace> <name>". The
// Reseller API allows only words of letters, digits, '_' and '-' in a description, so dots of
// an object name are written as '_' (Kubernetes names have no '_', so this is reversible).
//
// Names alone cannot tell who owns a project or user: <id>-<namespace>-<name> is ambiguous
// (a-b/c and a/b-c), and so is <user>-<namespace>@<id>.k8s. The record is what the controller
// checks before it changes, joins or deletes anything in the cloud.
const ownerMarker = "pco-owner"

// maxDescription is the Reseller API's limit for descriptions.
const maxDescription = 254

// owner is the Kubernetes object a project or user in the cloud belongs to.
type owner struct {
	id, namespace, name string
}

func (o owner) String() string { return o.namespace + "/" + o.name }

// record is the owner record: four words.
func (o owner) record() string {
	return strings.Join([]string{ownerMarker, o.id, o.namespace, strings.ReplaceAll(o.name, ".", "_")}, " ")
}

// describe is the description sent to the API: the spec's description, shortened at a word
// boundary when needed, followed by the owner record (which is never shortened).
func (o owner) describe(desc string) (string, error) {
	rec := o.record()
	if len(rec) > maxDescription {
		return "", fmt.Errorf("namespace and name of %s are too long to record the owner in a %d-character description; use a shorter name", o, maxDescription)
	}
	words := strings.Fields(desc)
	room := maxDescription - len(rec) - 1
	kept := make([]string, 0, len(words))
	used := 0
	for _, w := range words {
		extra := len(w)
		if used > 0 {
			extra++
		}
		if used+extra > room {
			break
		}
		kept, used = append(kept, w), used+extra
	}
	if len(kept) == 0 {
		return rec, nil
	}
	return strings.Join(kept, " ") + " " + rec, nil
}

// parseOwner reads the owner record at the end of a description; false when there is none
// (made by pco-reseller-operator, by an older version of this controller, or by someone else).
// Only the end counts: whatever a tenant writes into their own description comes before it.
func parseOwner(desc string) (owner, bool) {
	w := strings.Fields(desc)
	if len(w) < 4 || w[len(w)-4] != ownerMarker {
		return owner{}, false
	}
	return owner{id: w[len(w)-3], namespace: w[len(w)-2], name: strings.ReplaceAll(w[len(w)-1], "_", ".")}, true
}

// claim is what an object's owner record says about who may act on it.
type claim int

const (
	// claimOurs: the record names this object.
	claimOurs claim = iota
	// claimAdoptable: no record, and no other object of this cluster maps to the name.
	claimAdoptable
	// claimForeign: the record names another object (or another cluster), or there is no
	// record and the name is ambiguous in this cluster.
	claimForeign
)

// ownerCheck decides whether the controller may act on a cloud object with description desc
// on behalf of want. sameName lists the other objects of this cluster that map to the same
// cloud name; it is only called for an object without a record.
type ownerCheck struct {
	adoptUnrecorded bool
	sameName        func(ctx context.Context) ([]owner, error)
}

// conflictError is a refusal to act on a cloud object that is not ours; it becomes the
// Conflict condition and a Warning event.
type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }

// check says whether want may act on an object named name (kind "project" or "user") with
// description desc; a refusal is a *conflictError saying whose it is.
func (c ownerCheck) check(ctx context.Context, want owner, kind, name, desc string) (claim, error) {
	got, ok := parseOwner(desc)
	switch {
	case ok && got == want:
		return claimOurs, nil
	case ok:
		// Which other object owns it is not said: that would tell one tenant about another.
		who := "another object of this cluster"
		if got.id != want.id {
			who = "another cluster (controller " + got.id + ")"
		}
		return claimForeign, &conflictError{msg: fmt.Sprintf("OpenStack %s %s belongs to %s, not to %s: refusing to use, change or delete it; rename this object", kind, name, who, want)}
	case !c.adoptUnrecorded:
		return claimForeign, &conflictError{msg: fmt.Sprintf("OpenStack %s %s exists without an owner record (made by pco-reseller-operator or by hand) and adopting such objects is off (--adopt-unrecorded=false); refusing to use, change or delete it", kind, name)}
	}
	others, err := c.sameName(ctx)
	if err != nil {
		return claimForeign, err
	}
	for _, o := range others {
		if o != want {
			return claimForeign, &conflictError{msg: fmt.Sprintf("OpenStack %s %s has no owner record and another object of this cluster maps to that name too: refusing to adopt it for %s; rename one of them", kind, name, want)}
		}
	}
	return claimAdoptable, nil
}

// projectOwners lists the Projects of this cluster whose OpenStack name is name.
func projectOwners(c client.Reader, controllerID, name string) func(context.Context) ([]owner, error) {
	return func(ctx context.Context) ([]owner, error) {
		var list pcov1.ProjectList
		if err := c.List(ctx, &list); err != nil {
			return nil, fmt.Errorf("listing Projects: %w", err)
		}
		var out []owner
		for _, p := range list.Items {
			if projectName(controllerID, &p) == name {
				out = append(out, owner{id: controllerID, namespace: p.Namespace, name: p.Name})
			}
		}
		return out, nil
	}
}

// userOwners lists the Users of this cluster whose OpenStack name is name.
func userOwners(c client.Reader, controllerID, name string) func(context.Context) ([]owner, error) {
	return func(ctx context.Context) ([]owner, error) {
		var list pcov1.UserList
		if err := c.List(ctx, &list); err != nil {
			return nil, fmt.Errorf("listing Users: %w", err)
		}
		var out []owner
		for _, u := range list.Items {
			if openstackUserName(controllerID, &u) == name {
				out = append(out, owner{id: controllerID, namespace: u.Namespace, name: u.Name})
			}
		}
		return out, nil
	}
}

// ownerRefusal turns the error of an owner check into an outcome: Conflict for a refusal,
// else as failed.
func ownerRefusal(unready string, err error) outcome {
	var conflict *conflictError
	if errors.As(err, &conflict) {
		return refused(conflict)
	}
	return failed(unready, err)
}

// refused is the outcome of a conflictError: Conflict, looked at again slowly (the other
// object may go away), and at once when the spec changes.
func refused(err *conflictError) outcome {
	return outcome{reason: pcov1.ReasonConflict, message: err.msg, requeue: rejectedRequeue}
}
