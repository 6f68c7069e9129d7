package controllers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
)

// projectRecheck is how often a ready Project is compared with the cloud (drift, quotas).
const projectRecheck = time.Hour

// resellerName is what the Reseller API accepts as a project name.
var resellerName = regexp.MustCompile(`^(?:\w|-)+$`)

// ProjectReconciler keeps a reseller project (name, description, quotas) as its Project says.
type ProjectReconciler struct {
	client.Client
	conns        *connections
	recorder     events.EventRecorder
	controllerID string
	// adoptUnrecorded lets the controller take over projects without an owner record whose
	// name no other Project of this cluster maps to (pco-reseller-operator's).
	adoptUnrecorded bool
}

// projectName is the name the project is created with: <id>-<namespace>-<name>, as
// pco-reseller-operator names it; the API stores it with the reseller domain in front.
func projectName(controllerID string, p *pcov1.Project) string {
	return fmt.Sprintf("%s-%s-%s", controllerID, p.Namespace, p.Name)
}

func (r *ProjectReconciler) openstackName(p *pcov1.Project) string {
	return projectName(r.controllerID, p)
}

func (r *ProjectReconciler) owner(p *pcov1.Project) owner {
	return owner{id: r.controllerID, namespace: p.Namespace, name: p.Name}
}

// claim checks the owner record of a project found in the cloud.
func (r *ProjectReconciler) claim(ctx context.Context, project *pcov1.Project, found *reseller.Project) (claim, error) {
	name := r.openstackName(project)
	chk := ownerCheck{adoptUnrecorded: r.adoptUnrecorded, sameName: projectOwners(r.Client, r.controllerID, name)}
	return chk.check(ctx, r.owner(project), "project", found.Name, found.Description)
}

// Reconcile keeps the reseller project of the Project req names as it says, or deletes it when
// the Project is being deleted.
func (r *ProjectReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileObject(ctx, r.Client, r.recorder, req, &pcov1.Project{}, pcov1.ProjectReady, projectRecheck, r.ensure, r.delete)
}

// regionConn finds the project's Region and its client, or says what to wait for; with
// mustBeReady the Region must also be ready (a deletion only needs a working login).
func regionConn(ctx context.Context, c client.Client, conns *connections, regionName string, mustBeReady bool) (*conn, *outcome) {
	var region pcov1.Region
	if err := c.Get(ctx, client.ObjectKey{Name: regionName}, &region); err != nil {
		if apierrors.IsNotFound(err) {
			o := waiting(pcov1.ReasonRegionNotFound, fmt.Sprintf("region %q not found", regionName))
			return nil, &o
		}
		o := failed(pcov1.ReasonUnknownError, err)
		return nil, &o
	}
	if mustBeReady && !isReady(region.Status.Conditions, pcov1.RegionReady) {
		o := waiting(pcov1.ReasonWaitingForRegion, fmt.Sprintf("region %q is not ready", regionName))
		return nil, &o
	}
	cn, err := conns.forRegion(ctx, &region)
	if err != nil {
		o := failed(pcov1.ReasonWaitingForRegion, fmt.Errorf("region %q: %w", regionName, err))
		return nil, &o
	}
	return cn, nil
}

func (r *ProjectReconciler) ensure(ctx context.Context, project *pcov1.Project) outcome {
	name := r.openstackName(project)
	if !resellerName.MatchString(name) {
		return waiting(pcov1.ReasonAPIRejected, fmt.Sprintf("OpenStack project name %q has characters the Reseller API refuses (only letters, digits, '_' and '-'); rename the Project", name))
	}
	cn, wait := regionConn(ctx, r.Client, r.conns, project.Spec.Region, true)
	if wait != nil {
		return *wait
	}
	api := cn.client
	found, err := r.find(ctx, api, project, name)
	if err != nil {
		return failed(pcov1.ReasonProjectIsUnready, err)
	}
	desc := project.Spec.Description
	if desc == "" {
		desc = pcov1.DefaultDescription
	}
	if desc, err = r.owner(project).describe(desc); err != nil {
		return waiting(pcov1.ReasonAPIRejected, err.Error())
	}
	if found == nil {
		found, err = api.CreateProject(ctx, reseller.ProjectCreate{Name: name, Description: desc, NetworkPreconfigure: false})
		if reseller.IsConflict(err) {
			// Made by an earlier attempt whose answer got lost, or taken by another object
			// whose name collides with ours: the owner record below tells which.
			if again, ferr := api.FindProjectByName(ctx, name); ferr == nil && again != nil {
				found, err = again, nil
			}
		} else if err == nil {
			r.recorder.Eventf(project, nil, corev1.EventTypeNormal, "Created", "Create", "created OpenStack project %s (%s)", found.Name, found.ID)
		}
		if err != nil {
			return failed(pcov1.ReasonProjectIsUnready, fmt.Errorf("creating project %s: %w", name, err))
		}
		if found == nil {
			return failed(pcov1.ReasonProjectIsUnready, fmt.Errorf("project %s was created but is not listed", name))
		}
	}
	// Nothing is changed (description, quotas) and nothing recorded in the status for a
	// project that another object owns.
	if _, err := r.claim(ctx, project, found); err != nil {
		return ownerRefusal(pcov1.ReasonProjectIsUnready, err)
	}
	if found.Description != desc || !found.Enabled {
		enabled := true
		if found, err = api.UpdateProject(ctx, found.ID, reseller.ProjectUpdate{Description: &desc, Enabled: &enabled}); err != nil {
			return failed(pcov1.ReasonProjectIsUnready, fmt.Errorf("updating project %s: %w", name, err))
		}
	}
	project.Status.ProjectID, project.Status.OpenStackName, project.Status.Domain = found.ID, found.Name, cn.domain
	if project.Spec.Quotas != nil {
		if err := r.ensureQuota(ctx, api, found.ID, project.Spec.Quotas); err != nil {
			return failed(pcov1.ReasonProjectIsUnready, fmt.Errorf("quotas of project %s: %w", found.Name, err))
		}
	}
	return ready(pcov1.ReasonProjectIsReady, fmt.Sprintf("OpenStack project %s (%s)", found.Name, found.ID))
}

// find looks the project up by the ID in the status, else by name (after a crash, or when
// taking over a cloud the peer operator managed).
func (r *ProjectReconciler) find(ctx context.Context, api *reseller.Client, project *pcov1.Project, name string) (*reseller.Project, error) {
	if id := project.Status.ProjectID; id != "" {
		p, err := api.GetProject(ctx, id)
		if err == nil {
			return p, nil
		}
		if !reseller.IsNotFound(err) {
			return nil, err
		}
	}
	return api.FindProjectByName(ctx, name)
}

// ensureQuota overlays the spec's quotas on the current ones (the API wants some fields in
// every section sent) and writes them only when something differs.
func (r *ProjectReconciler) ensureQuota(ctx context.Context, api *reseller.Client, id string, q *pcov1.Quotas) error {
	current, err := api.GetQuota(ctx, id)
	if err != nil {
		return err
	}
	want := reseller.Quota{Compute: maps.Clone(current.Compute), Network: maps.Clone(current.Network), Volume: maps.Clone(current.Volume)}
	overlay := func(dst *map[string]int64, src any) {
		fields := quotaFields(src)
		if len(fields) == 0 {
			return
		}
		if *dst == nil {
			*dst = map[string]int64{}
		}
		maps.Copy(*dst, fields)
	}
	overlay(&want.Compute, q.Compute)
	overlay(&want.Network, q.Network)
	overlay(&want.Volume, q.Volume)
	if maps.Equal(want.Compute, current.Compute) && maps.Equal(want.Network, current.Network) && maps.Equal(want.Volume, current.Volume) {
		return nil
	}
	_, err = api.UpdateQuota(ctx, id, want)
	return err
}

func (r *ProjectReconciler) delete(ctx context.Context, project *pcov1.Project) (ctrl.Result, error) {
	var bindings pcov1.UserProjectBindingList
	if err := r.List(ctx, &bindings, client.InNamespace(project.Namespace)); err != nil {
		return ctrl.Result{}, err
	}
	var users []string
	for _, b := range bindings.Items {
		if b.Spec.Project == project.Name {
			users = append(users, b.Name)
		}
	}
	if len(users) > 0 {
		return r.blocked(ctx, project, waiting(pcov1.ReasonDeletionBlocked, fmt.Sprintf("user project bindings still use this project: %v", users)))
	}
	cn, wait := regionConn(ctx, r.Client, r.conns, project.Spec.Region, false)
	if wait != nil {
		if project.Status.ProjectID == "" {
			// Never made in the cloud: nothing to clean up.
			return ctrl.Result{}, removeFinalizer(ctx, r.Client, project, pcov1.Finalizer)
		}
		return r.blocked(ctx, project, *wait)
	}
	found, err := r.find(ctx, cn.client, project, r.openstackName(project))
	if err == nil && found != nil {
		if _, cerr := r.claim(ctx, project, found); cerr != nil {
			var conflict *conflictError
			if !errors.As(cerr, &conflict) {
				return r.blocked(ctx, project, failed(pcov1.ReasonDeleting, cerr))
			}
			// Not ours: leave it, say so, and let the Project go.
			r.recorder.Eventf(project, nil, corev1.EventTypeWarning, pcov1.ReasonConflict, "Delete", "left OpenStack project %s alone: %s", found.Name, conflict.msg)
			return ctrl.Result{}, removeFinalizer(ctx, r.Client, project, pcov1.Finalizer)
		}
		err = cn.client.DeleteProject(ctx, found.ID)
		if reseller.IsNotFound(err) {
			err = nil
		}
		if err == nil {
			r.recorder.Eventf(project, nil, corev1.EventTypeNormal, "Deleted", "Delete", "deleted OpenStack project %s (%s)", found.Name, found.ID)
		}
	}
	if err != nil {
		return r.blocked(ctx, project, failed(pcov1.ReasonDeleting, fmt.Errorf("deleting the OpenStack project: %w", err)))
	}
	return ctrl.Result{}, removeFinalizer(ctx, r.Client, project, pcov1.Finalizer)
}

// blocked shows why a deletion waits.
func (r *ProjectReconciler) blocked(ctx context.Context, project *pcov1.Project, o outcome) (ctrl.Result, error) {
	res, err := o.apply(&project.Status.Conditions, pcov1.ProjectReady, project.Generation)
	return res, errors.Join(err, client.IgnoreNotFound(r.Status().Update(ctx, project)))
}

// projectsForRegion wakes the Projects of a Region that changed (became ready).
func (r *ProjectReconciler) projectsForRegion(ctx context.Context, obj client.Object) []reconcile.Request {
	var projects pcov1.ProjectList
	if err := r.List(ctx, &projects); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, p := range projects.Items {
		if p.Spec.Region == obj.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&p)})
		}
	}
	return out
}

// projectsForBinding wakes a deleting Project when a binding goes.
func projectsForBinding(_ context.Context, obj client.Object) []reconcile.Request {
	b, ok := obj.(*pcov1.UserProjectBinding)
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: b.Namespace, Name: b.Spec.Project}}}
}

func (r *ProjectReconciler) setup(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&pcov1.Project{}, builder.WithPredicates(relevantChange)).
		Watches(&pcov1.Region{}, handler.EnqueueRequestsFromMapFunc(r.projectsForRegion), builder.WithPredicates(readinessChange)).
		Watches(&pcov1.UserProjectBinding{}, handler.EnqueueRequestsFromMapFunc(projectsForBinding), builder.WithPredicates(deleted)).
		Named("project").
		Complete(r)
}
