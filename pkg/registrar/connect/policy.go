package connect

import (
	"context"
	"errors"
	"flag"
	"net"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// Options are what a ClusterConnect may reach, set by the operator. A ClusterConnect is
// written by whoever may create one, and the registrar acts on it with its own rights: it
// reads the kubeconfig Secret it names and sends requests to the server in it. Without these
// limits that is a way to read any kubeconfig Secret of the cluster, or to make the registrar
// send requests into its own network (cloud metadata, loopback services).
type Options struct {
	// ConfigNamespaces are the namespaces configSecretRef may name (empty: the registry's
	// namespace only).
	ConfigNamespaces []string
	// AllowLocalAddresses lets targets be on loopback, link-local (169.254.0.0/16, fe80::/10),
	// unspecified or cloud metadata addresses (refused by default; tests on one machine need
	// it).
	AllowLocalAddresses bool
	// AllowInsecure lets targets be plain http, or https without verifying the certificate
	// (insecure-skip-tls-verify). Refused by default: the registry's admin token would be
	// sent to whoever is in between.
	AllowInsecure bool
}

// AddFlags registers the settings on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.Func("connect-config-namespaces", "comma-separated namespaces a ClusterConnect's configSecretRef may name (default: --registry-namespace only)", func(v string) error {
		for _, ns := range strings.Split(v, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				o.ConfigNamespaces = append(o.ConfigNamespaces, ns)
			}
		}
		return nil
	})
	fs.BoolVar(&o.AllowLocalAddresses, "connect-allow-local-addresses", false, "let ClusterConnect targets be on loopback, link-local or cloud metadata addresses")
	fs.BoolVar(&o.AllowInsecure, "connect-allow-insecure", false, "let ClusterConnect targets be plain http or skip TLS verification")
}

// Fixed sentences of refused targets (no part of the kubeconfig is quoted).
const (
	msgProxy       = "the kubeconfig's cluster sets proxy-url; the registrar does not connect through a proxy named by a ClusterConnect"
	msgHTTP        = "the kubeconfig's server is plain http; the registry's credentials would travel unencrypted (the operator's --connect-allow-insecure allows it)"
	msgInsecure    = "the kubeconfig's cluster sets insecure-skip-tls-verify; give its certificate-authority-data instead (the operator's --connect-allow-insecure allows it)"
	msgLocal       = "the kubeconfig's server is a loopback, link-local or cloud metadata address, which a ClusterConnect may not reach (the operator's --connect-allow-local-addresses allows it)"
	msgNamespace   = "configSecretRef.namespace %q is not one the registrar reads kubeconfigs from (%s)"
	msgRegistryOwn = "configSecretRef names Secret %s/%s, which the registrar made (a registry token kubeconfig); it is not an admin kubeconfig to connect with"
)

// errLocalAddress is returned by the dialer for a refused address (a host name that
// resolves to one, too).
var errLocalAddress = errors.New(msgLocal)

// configNamespaces are the namespaces configSecretRef may name.
func (r *Reconciler) configNamespaces() []string {
	if len(r.Options.ConfigNamespaces) > 0 {
		return r.Options.ConfigNamespaces
	}
	return []string{r.Namespace}
}

// checkTarget refuses a target configuration the options do not allow; the message is a
// fixed sentence.
func (o Options) checkTarget(cfg *rest.Config, server string) string {
	if cfg.Proxy != nil {
		return msgProxy
	}
	u, err := url.Parse(server)
	if err != nil {
		return kubeconfigMsgBadServer
	}
	if !o.AllowInsecure {
		if u.Scheme != "https" {
			return msgHTTP
		}
		if cfg.Insecure {
			return msgInsecure
		}
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && !o.AllowLocalAddresses && localAddress(ip) {
		return msgLocal
	}
	if !o.AllowLocalAddresses && strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), "localhost") {
		return msgLocal
	}
	return ""
}

// metadataAddresses are cloud metadata addresses outside the link-local ranges.
var metadataAddresses = []net.IP{
	net.ParseIP("fd00:ec2::254"),   // AWS IMDS over IPv6
	net.ParseIP("100.100.100.200"), // Alibaba Cloud
}

// localAddress tells whether a target may not be at ip: loopback, link-local (where
// most clouds' metadata services are, 169.254.169.254), unspecified, or a metadata address.
func localAddress(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
		slices.ContainsFunc(metadataAddresses, ip.Equal)
}

// dialer refuses connections to local addresses at connect time, so a host name that
// resolves to one (or is re-pointed to one later) is refused as well.
func (o Options) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || localAddress(ip) {
				return errLocalAddress
			}
			return nil
		}}
	return d.DialContext
}
