package registrar

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// clustersGauge counts registered clusters by source and phase (served on the manager's
// /metrics).
var clustersGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "pco_registry_clusters",
	Help: "Registered clusters by source (MachineDeployments, Connect) and phase.",
}, []string{"source", "phase"})

func init() { crmetrics.Registry.MustRegister(clustersGauge) }

// observeClusters recounts the registry (cheap: from the cache).
func observeClusters(ctx context.Context, c client.Client) {
	var list regv1.ClusterInfoList
	if err := c.List(ctx, &list); err != nil {
		return
	}
	clustersGauge.Reset()
	for _, ci := range list.Items {
		clustersGauge.WithLabelValues(ci.Spec.Source.Type, ci.Status.Phase).Inc()
	}
}
