package framework

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// simulatedNodeLabel marks the Nodes the node simulator registered.
const simulatedNodeLabel = "pco.plusserver.com/simulated-node"

// NodeSimulator plays the kubelets: a Node (Ready, with the server's provider ID) appears when a
// simulated server is ACTIVE, and goes away with the server, as a kubelet and the cloud
// controller manager would make it happen.
type NodeSimulator struct {
	Cloud    Cloud
	Client   kubernetes.Interface
	Region   string
	Interval time.Duration
}

// Run syncs Nodes with servers until ctx ends.
func (n *NodeSimulator) Run(ctx context.Context) {
	interval := n.Interval
	if interval == 0 {
		interval = 250 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := n.sync(ctx); err != nil && ctx.Err() == nil {
			klog.V(2).InfoS("Node simulator sync failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *NodeSimulator) sync(ctx context.Context) error {
	servers, err := n.Cloud.Servers(ctx)
	if err != nil {
		return err
	}
	active := map[string]ossim.Server{}
	for _, s := range servers {
		if s.Status == "ACTIVE" && s.TaskState == "" {
			active[s.Name] = s
		}
	}
	nodes, err := n.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: simulatedNodeLabel})
	if err != nil {
		return err
	}
	existing := map[string]bool{}
	for i := range nodes.Items {
		node := &nodes.Items[i]
		s, ok := active[node.Name]
		if !ok || node.Spec.ProviderID != n.providerID(s) {
			if err := n.Client.CoreV1().Nodes().Delete(ctx, node.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			continue
		}
		existing[node.Name] = true
		// The status write after creation may have lost a race with MCM's own Node update:
		// a kubelet keeps posting its status, so the simulator does too.
		if !ready(node) {
			if err := n.setReady(ctx, node, s); err != nil && !apierrors.IsConflict(err) {
				return err
			}
		}
	}
	for name, s := range active {
		if existing[name] {
			continue
		}
		if err := n.register(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (n *NodeSimulator) providerID(s ossim.Server) string {
	return "openstack:///" + n.Region + "/" + s.ID
}

func (n *NodeSimulator) register(ctx context.Context, s ossim.Server) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: map[string]string{
			simulatedNodeLabel:       "true",
			"kubernetes.io/hostname": s.Name,
		}},
		Spec: corev1.NodeSpec{ProviderID: n.providerID(s)},
	}
	created, err := n.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := n.setReady(ctx, created, s); err != nil && !apierrors.IsConflict(err) {
		return err
	}
	return nil
}

// setReady posts a Ready status for node, as a kubelet does.
func (n *NodeSimulator) setReady(ctx context.Context, node *corev1.Node, s ossim.Server) error {
	now := metav1.Now()
	node.Status = corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "simulated kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: s.Name}},
	}
	_, err := n.Client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

func ready(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
