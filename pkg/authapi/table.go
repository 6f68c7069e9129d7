package authapi

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"

	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
)

// table is a rest.TableConvertor from column definitions and a function that gives an
// object's cells (after its name; the age comes last).
type table[T runtime.Object] struct {
	columns []metav1.TableColumnDefinition
	cells   func(T) []any
}

// NewTable is a TableConvertor with a Name column, columns, and an Age column.
func NewTable[T runtime.Object](columns []metav1.TableColumnDefinition, cells func(T) []any) rest.TableConvertor {
	cols := append([]metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: "Name of the object."}}, columns...)
	cols = append(cols, metav1.TableColumnDefinition{Name: "Age", Type: "date", Description: "Time since the object was created."})
	return &table[T]{columns: cols, cells: cells}
}

func (t *table[T]) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	out := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		out.ColumnDefinitions = t.columns
	}
	row := func(obj runtime.Object) error {
		typed, ok := obj.(T)
		if !ok {
			return fmt.Errorf("unexpected object %T in a table", obj)
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return err
		}
		age := "<unknown>"
		if ts := m.GetCreationTimestamp(); !ts.IsZero() {
			age = duration.HumanDuration(time.Since(ts.Time))
		}
		cells := append(append([]any{m.GetName()}, t.cells(typed)...), age)
		out.Rows = append(out.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: obj}})
		return nil
	}
	if meta.IsListType(object) {
		if l, err := meta.ListAccessor(object); err == nil {
			out.ResourceVersion, out.Continue = l.GetResourceVersion(), l.GetContinue()
		}
		err := meta.EachListItem(object, row)
		return out, err
	}
	if m, err := meta.Accessor(object); err == nil {
		out.ResourceVersion = m.GetResourceVersion()
	}
	return out, row(object)
}

var userAuthTable = NewTable([]metav1.TableColumnDefinition{
	{Name: "Cluster", Type: "string", Description: "The cluster the credentials are for."},
	{Name: "User", Type: "string", Description: "The user the credentials belong to."},
}, func(o *authv1alpha1.ClusterUserAuth) []any { return []any{o.Spec.Cluster, o.Spec.User} })

var clusterTable = NewTable([]metav1.TableColumnDefinition{
	{Name: "Display Name", Type: "string", Description: "The cluster's display name."},
	{Name: "Version", Type: "string", Description: "The cluster's Kubernetes version."},
	{Name: "Nodes", Type: "integer", Description: "Ready nodes."},
	{Name: "Phase", Type: "string", Description: "The cluster's phase."},
	{Name: "Region", Type: "string", Description: "The OpenStack region."},
	{Name: "Project", Type: "string", Description: "The OpenStack project.", Priority: 1},
	{Name: "Endpoint", Type: "string", Description: "The API server URL.", Priority: 1},
}, func(o *authv1alpha1.Cluster) []any {
	return []any{o.Spec.DisplayName, o.Spec.KubernetesVersion, int64(o.Spec.NodeCount), o.Status.Phase, o.Spec.Region,
		o.Spec.Project, o.Spec.Endpoint}
})
