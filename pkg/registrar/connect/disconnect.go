package connect

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// disconnect removes what the ClusterConnect made: first in the target (with the admin
// kubeconfig if its Secret is still there, else with the registry's own token), then in the
// registry. A target that stays unreachable for DisconnectTimeout (counted from the deletion)
// is given up on with a Warning event naming what may be left there.
func (r *Reconciler) disconnect(ctx context.Context, cc *regv1.ClusterConnect) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(cc, Finalizer) {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx)
	cluster := cc.Status.ClusterInfo
	if cluster == "" {
		cluster = clusterName(cc)
	}
	t := &target{ns: managementNamespace(cc), cluster: cluster, connect: cc.Name}
	touched := cc.Annotations[annTargetTouched] != ""
	if touched {
		if err := r.cleanupTarget(ctx, cc, t); err != nil {
			elapsed := time.Since(cc.DeletionTimestamp.Time)
			if elapsed < r.disconnectTimeout() && !errors.Is(err, errNoCredentials) {
				before := cc.DeepCopy()
				cc.Status.Reason, cc.Status.Message = ReasonDisconnecting, truncate(fmt.Sprintf("removing the registry's objects from the target cluster: %s; retrying", disconnectSummary(err)))
				if cc.Status != before.Status {
					r.Recorder.Eventf(cc, nil, corev1.EventTypeWarning, ReasonDisconnecting, "Disconnect", "%s", cc.Status.Message)
					if perr := r.Client.Status().Patch(ctx, cc, client.MergeFrom(before)); perr != nil {
						return ctrl.Result{}, client.IgnoreNotFound(perr)
					}
				}
				return ctrl.Result{RequeueAfter: min(5*time.Second, r.disconnectTimeout()-elapsed+time.Second)}, nil
			}
			r.Recorder.Eventf(cc, nil, corev1.EventTypeWarning, "DisconnectIncomplete", "Disconnect",
				"gave up on the target cluster after %s (%s); these may be left there: %s", elapsed.Round(time.Second), disconnectSummary(err), t.leftovers())
			logger.Info("Disconnect gave up on the target cluster", "cluster", cluster, "error", disconnectSummary(err))
		}
	}
	if err := r.cleanupRegistry(ctx, cc, cluster); err != nil {
		return ctrl.Result{}, err
	}
	if touched || cc.Status.ClusterInfo != "" {
		r.Recorder.Eventf(cc, nil, corev1.EventTypeNormal, "Disconnected", "Disconnect", "cluster %s disconnected", cluster)
		logger.Info("Cluster disconnected", "cluster", cluster)
	}
	controllerutil.RemoveFinalizer(cc, Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, cc))
}

// disconnectSummary is a disconnect's error as a fixed sentence.
func disconnectSummary(err error) string {
	if errors.Is(err, errNoCredentials) {
		return err.Error()
	}
	return errorSummary(err)
}

// errNoCredentials: nothing is left to log in to the target with (no point retrying).
var errNoCredentials = errors.New("neither the admin kubeconfig nor the registry's token kubeconfig is left to log in to the target")

func (r *Reconciler) cleanupTarget(ctx context.Context, cc *regv1.ClusterConnect, t *target) error {
	var cfg *rest.Config
	own := false
	if data, _, _, err := r.configData(ctx, cc); err != nil {
		return err
	} else if data != nil {
		if c, server, err := ParseKubeconfig(data); err == nil && r.Options.checkTarget(c, server) == "" {
			cfg = c
		}
	}
	if cfg == nil {
		s, err := r.getSecret(ctx, r.Namespace, authSecretName(t.cluster))
		if err != nil {
			return err
		}
		if s != nil && s.Labels[Label] == cc.Name {
			if c, server, err := ParseKubeconfig(s.Data[regv1.KeyKubeconfig]); err == nil && r.Options.checkTarget(c, server) == "" {
				cfg, own = c, true
			}
		}
	}
	if cfg == nil {
		return errNoCredentials
	}
	kc, err := r.targetClient(cfg)
	if err != nil {
		return err
	}
	t.kc = kc
	return t.cleanup(ctx, own)
}
