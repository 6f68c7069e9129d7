package registrar

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

// ConnectOptions are what a ClusterConnect may reach, set by the operator. A ClusterConnect is
// written by whoever may create one, and the registrar acts on it with its own rights: it
// reads the kubeconfig Secret it names and sends requests to the server in it. Without these
// limits that is a way to read any kubeconfig Secret of the cluster, or to make the registrar
// send requests into its own network (cloud metadata, loopback services).
type ConnectOptions struct {
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
func (o *ConnectOptions) AddFlags(fs *flag.FlagSet) {
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
	connectMsgProxy       = "the kubeconfig's cluster sets proxy-url; the registrar does not connect through a proxy named by a ClusterConnect"
	connectMsgHTTP        = "the kubeconfig's server is plain http; the registry's credentials would travel unencrypted (the operator's --connect-allow-insecure allows it)"
	connectMsgInsecure    = "the kubeconfig's cluster sets insecure-skip-tls-verify; give its certificate-authority-data instead (the operator's --connect-allow-insecure allows it)"
	connectMsgLocal       = "the kubeconfig's server is a loopback, link-local or cloud metadata address, which a ClusterConnect may not reach (the operator's --connect-allow-local-addresses allows it)"
	connectMsgNamespace   = "configSecretRef.namespace %q is not one the registrar reads kubeconfigs from (%s)"
	connectMsgRegistryOwn = "configSecretRef names Secret %s/%s, which the registrar made (a registry token kubeconfig); it is not an admin kubeconfig to connect with"
)

// errConnectLocalAddress is returned by the dialer for a refused address (a host name that
// resolves to one, too).
var errConnectLocalAddress = errors.New(connectMsgLocal)

// configNamespaces are the namespaces configSecretRef may name.
func (r *ConnectReconciler) configNamespaces() []string {
	if len(r.Options.ConfigNamespaces) > 0 {
		return r.Options.ConfigNamespaces
	}
	return []string{r.Namespace}
}

// checkTarget refuses a target configuration the options do not allow; the message is a
// fixed sentence.
func (o ConnectOptions) checkTarget(cfg *rest.Config, server string) string {
	if cfg.Proxy != nil {
		return connectMsgProxy
	}
	u, err := url.Parse(server)
	if err != nil {
		return kubeconfigMsgBadServer
	}
	if !o.AllowInsecure {
		if u.Scheme != "https" {
			return connectMsgHTTP
		}
		if cfg.Insecure {
			return connectMsgInsecure
		}
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && !o.AllowLocalAddresses && connectLocalAddress(ip) {
		return connectMsgLocal
	}
	if !o.AllowLocalAddresses && strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), "localhost") {
		return connectMsgLocal
	}
	return ""
}

// connectMetadata are cloud metadata addresses outside the link-local ranges.
var connectMetadata = []net.IP{
	net.ParseIP("fd00:ec2::254"),   // AWS IMDS over IPv6
	net.ParseIP("100.100.100.200"), // Alibaba Cloud
}

// connectLocalAddress tells whether a target may not be at ip: loopback, link-local (where
// most clouds' metadata services are, 169.254.169.254), unspecified, or a metadata address.
func connectLocalAddress(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
		slices.ContainsFunc(connectMetadata, ip.Equal)
}

// dialer refuses connections to local addresses at connect time, so a host name that
// resolves to one (or is re-pointed to one later) is refused as well.
func (o ConnectOptions) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || connectLocalAddress(ip) {
				return errConnectLocalAddress
			}
			return nil
		}}
	return d.DialContext
}

// connectErrorSummary says what went wrong with a request to a target in a fixed sentence
// and, for an answer, its HTTP status code: never a part of the target's response (a hostile
// target controls it) and never a part of the request.
func connectErrorSummary(err error) string {
	var status apierrors.APIStatus
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, errConnectLocalAddress):
		return connectMsgLocal
	case errors.As(err, &status):
		code := int(status.Status().Code)
		if code == 0 {
			return "the target's answer was not understood"
		}
		return fmt.Sprintf("the target answered HTTP %d %s", code, http.StatusText(code))
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return "the target's serving certificate is not trusted by the kubeconfig's certificate-authority-data, or not for its server name"
	case errors.As(err, &dnsErr):
		return "the server's host name does not resolve"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the request to the target timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the target refused the connection"
	case errors.As(err, &netErr):
		return "the target cannot be reached"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return "the target cannot be reached"
	}
	return "the target's answer was not understood"
}
