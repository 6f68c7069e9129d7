package framework

import (
	"context"
	"encoding/json"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ObjectJSON is one object as JSON, named by its place (kind namespace/name), for secret scans.
type ObjectJSON struct {
	Place string
	JSON  []byte
}

// MCMObjectsJSON lists the Machines, MachineSets, MachineDeployments and Events that opts select
// (a namespace, say) as JSON: where a leaked secret would show in a status or an event message.
// counts has the number of objects per kind.
func MCMObjectsJSON(ctx context.Context, cl client.Client, opts ...client.ListOption) (objs []ObjectJSON, counts map[string]int, err error) {
	var (
		machines    mcmv1alpha1.MachineList
		sets        mcmv1alpha1.MachineSetList
		deployments mcmv1alpha1.MachineDeploymentList
		events      corev1.EventList
	)
	counts = map[string]int{}
	for _, l := range []struct {
		kind  string
		list  client.ObjectList
		items func() []client.Object
	}{
		{"Machine", &machines, func() []client.Object { return clientObjects(machines.Items) }},
		{"MachineSet", &sets, func() []client.Object { return clientObjects(sets.Items) }},
		{"MachineDeployment", &deployments, func() []client.Object { return clientObjects(deployments.Items) }},
		{"Event", &events, func() []client.Object { return clientObjects(events.Items) }},
	} {
		if err := cl.List(ctx, l.list, opts...); err != nil {
			return nil, nil, err
		}
		items := l.items()
		counts[l.kind] = len(items)
		for _, o := range items {
			b, err := json.Marshal(o)
			if err != nil {
				return nil, nil, err
			}
			objs = append(objs, ObjectJSON{Place: l.kind + " " + o.GetNamespace() + "/" + o.GetName(), JSON: b})
		}
	}
	return objs, counts, nil
}

func clientObjects[T any, PT interface {
	*T
	client.Object
}](items []T) []client.Object {
	out := make([]client.Object, 0, len(items))
	for i := range items {
		out = append(out, PT(&items[i]))
	}
	return out
}
