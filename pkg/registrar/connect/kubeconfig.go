package connect

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigMaxSize is the largest kubeconfig accepted (a Secret holds at most 1 MiB).
const kubeconfigMaxSize = 1 << 20

// KubeconfigError is why a kubeconfig was refused. Its message is one of a fixed set of
// sentences (plus, for YAML syntax errors, a line number): it never quotes anything from the
// kubeconfig, so no token, key, password or certificate can leak through it into a status,
// an event or a log, whatever the input.
type KubeconfigError struct{ msg string }

func (e *KubeconfigError) Error() string { return e.msg }

// IsKubeconfigError tells whether err (or an error it wraps) is a refused kubeconfig.
func IsKubeconfigError(err error) bool {
	var ke *KubeconfigError
	return errors.As(err, &ke)
}

// The messages of KubeconfigError (the fuzz test checks that every error is one of them).
//
//nolint:gosec // G101: messages about credentials, not credentials
const (
	kubeconfigMsgEmpty         = "the kubeconfig is empty"
	kubeconfigMsgTooLarge      = "the kubeconfig is larger than 1 MiB"
	kubeconfigMsgSyntax        = "the kubeconfig is not valid YAML or JSON of kind Config"
	kubeconfigMsgSyntaxLine    = "the kubeconfig is not valid YAML or JSON of kind Config (line %d)"
	kubeconfigMsgNoContext     = "the kubeconfig has no current-context"
	kubeconfigMsgContextAbsent = "the kubeconfig's current-context names a context that is not defined in it"
	kubeconfigMsgNoCluster     = "the current context of the kubeconfig names no cluster, or one that is not defined in it"
	kubeconfigMsgNoServer      = "the cluster of the kubeconfig's current context has no server"
	kubeconfigMsgBadServer     = "the server of the kubeconfig's cluster is not an http(s) URL with a host"
	kubeconfigMsgServerCreds   = "the server URL of the kubeconfig's cluster has credentials in it; put them in the user entry"
	kubeconfigMsgCAFile        = "the kubeconfig's cluster references a certificate-authority file; only inline certificate-authority-data is accepted"
	kubeconfigMsgBadCA         = "the kubeconfig's certificate-authority-data holds no PEM certificate"
	kubeconfigMsgNoUser        = "the current context of the kubeconfig names no user, or one that is not defined in it"
	kubeconfigMsgExec          = "the kubeconfig's user runs an exec credential plugin; the registrar never runs commands from a kubeconfig: use a token or an inline client certificate"
	kubeconfigMsgAuthProvider  = "the kubeconfig's user uses an auth-provider plugin; the registrar does not run auth plugins: use a token or an inline client certificate"
	kubeconfigMsgCertFile      = "the kubeconfig's user references a client-certificate or client-key file; only inline client-certificate-data and client-key-data are accepted"
	kubeconfigMsgTokenFile     = "the kubeconfig's user references a tokenFile; only an inline token is accepted"
	kubeconfigMsgHalfCert      = "the kubeconfig's user has only one of client-certificate-data and client-key-data"
	kubeconfigMsgBadCert       = "the kubeconfig's client-certificate-data and client-key-data are not a matching PEM certificate and key"
	kubeconfigMsgNoCreds       = "the kubeconfig's user has no credentials (token, client certificate or username and password)"
	kubeconfigMsgManyCreds     = "the kubeconfig's user has both a token and a username and password; keep one"
	kubeconfigMsgInsecureCA    = "the kubeconfig's cluster sets both insecure-skip-tls-verify and certificate-authority-data"
	kubeconfigMsgUnusable      = "the kubeconfig cannot be turned into a client configuration"
)

// kubeconfigMessages lists every message a KubeconfigError can have (tests).
var kubeconfigMessages = []string{
	kubeconfigMsgEmpty, kubeconfigMsgTooLarge, kubeconfigMsgSyntax, kubeconfigMsgSyntaxLine, kubeconfigMsgNoContext,
	kubeconfigMsgContextAbsent, kubeconfigMsgNoCluster, kubeconfigMsgNoServer, kubeconfigMsgBadServer,
	kubeconfigMsgServerCreds, kubeconfigMsgCAFile, kubeconfigMsgBadCA, kubeconfigMsgNoUser, kubeconfigMsgExec,
	kubeconfigMsgAuthProvider, kubeconfigMsgCertFile, kubeconfigMsgTokenFile, kubeconfigMsgHalfCert,
	kubeconfigMsgBadCert, kubeconfigMsgNoCreds, kubeconfigMsgManyCreds, kubeconfigMsgInsecureCA, kubeconfigMsgUnusable,
}

func kubeconfigErr(msg string) error { return &KubeconfigError{msg: msg} }

// kubeconfigLine finds "line N" in a YAML/JSON decoder error: only the number is kept.
var kubeconfigLine = regexp.MustCompile(`line (\d{1,9})`)

// ParseKubeconfig turns an admin kubeconfig into a client configuration for its current
// context and returns its server URL. It only accepts what is safe to use inside the
// registrar: inline credentials (token, client certificate and key, or basic auth) and inline
// CA data. Exec and auth-provider plugins are refused (they would run commands, or need
// plugins, in the registrar) and so are file references (certificate-authority,
// client-certificate, client-key, tokenFile: they would read the registrar's own files). The
// error never contains anything taken from data (see KubeconfigError).
func ParseKubeconfig(data []byte) (*rest.Config, string, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, "", kubeconfigErr(kubeconfigMsgEmpty)
	}
	if len(data) > kubeconfigMaxSize {
		return nil, "", kubeconfigErr(kubeconfigMsgTooLarge)
	}
	cfg, err := kubeconfigLoad(data)
	if err != nil {
		if m := kubeconfigLine.FindStringSubmatch(err.Error()); m != nil {
			var n int
			if _, serr := fmt.Sscanf(m[1], "%d", &n); serr == nil {
				return nil, "", kubeconfigErr(fmt.Sprintf(kubeconfigMsgSyntaxLine, n))
			}
		}
		return nil, "", kubeconfigErr(kubeconfigMsgSyntax)
	}
	if cfg.CurrentContext == "" {
		return nil, "", kubeconfigErr(kubeconfigMsgNoContext)
	}
	kctx := cfg.Contexts[cfg.CurrentContext]
	if kctx == nil {
		return nil, "", kubeconfigErr(kubeconfigMsgContextAbsent)
	}
	cluster := cfg.Clusters[kctx.Cluster]
	if kctx.Cluster == "" || cluster == nil {
		return nil, "", kubeconfigErr(kubeconfigMsgNoCluster)
	}
	server, err := kubeconfigCheckCluster(cluster)
	if err != nil {
		return nil, "", err
	}
	user := cfg.AuthInfos[kctx.AuthInfo]
	if kctx.AuthInfo == "" || user == nil {
		return nil, "", kubeconfigErr(kubeconfigMsgNoUser)
	}
	if err := kubeconfigCheckUser(user); err != nil {
		return nil, "", err
	}
	// Only the current context matters: build from a copy that holds nothing else, so that
	// clientcmd's validation of other entries (and their file references) plays no part.
	only := clientcmdapi.NewConfig()
	only.Clusters["c"], only.AuthInfos["u"] = cluster, user
	only.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: kctx.Namespace}
	only.CurrentContext = "x"
	restCfg, err := kubeconfigClientConfig(only)
	if err != nil {
		return nil, "", kubeconfigErr(kubeconfigMsgUnusable)
	}
	return restCfg, server, nil
}

// kubeconfigLoad decodes a kubeconfig; a panic in the decoder (hostile input) is an error.
func kubeconfigLoad(data []byte) (cfg *clientcmdapi.Config, err error) {
	defer func() {
		if recover() != nil {
			cfg, err = nil, errors.New("decoder failed")
		}
	}()
	return clientcmd.Load(data)
}

func kubeconfigClientConfig(cfg *clientcmdapi.Config) (rc *rest.Config, err error) {
	defer func() {
		if recover() != nil {
			rc, err = nil, errors.New("client configuration failed")
		}
	}()
	return clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{}).ClientConfig()
}

func kubeconfigCheckCluster(c *clientcmdapi.Cluster) (string, error) {
	if strings.TrimSpace(c.Server) == "" {
		return "", kubeconfigErr(kubeconfigMsgNoServer)
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return "", kubeconfigErr(kubeconfigMsgBadServer)
	}
	if u.User != nil {
		return "", kubeconfigErr(kubeconfigMsgServerCreds)
	}
	if c.CertificateAuthority != "" {
		return "", kubeconfigErr(kubeconfigMsgCAFile)
	}
	if len(c.CertificateAuthorityData) > 0 {
		if c.InsecureSkipTLSVerify {
			return "", kubeconfigErr(kubeconfigMsgInsecureCA)
		}
		if !kubeconfigHasPEMCert(c.CertificateAuthorityData) {
			return "", kubeconfigErr(kubeconfigMsgBadCA)
		}
	}
	return c.Server, nil
}

func kubeconfigHasPEMCert(data []byte) bool {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(block.Bytes); err == nil {
				return true
			}
		}
	}
}

func kubeconfigCheckUser(u *clientcmdapi.AuthInfo) error {
	switch {
	case u.Exec != nil:
		return kubeconfigErr(kubeconfigMsgExec)
	case u.AuthProvider != nil:
		return kubeconfigErr(kubeconfigMsgAuthProvider)
	case u.ClientCertificate != "" || u.ClientKey != "":
		return kubeconfigErr(kubeconfigMsgCertFile)
	case u.TokenFile != "":
		return kubeconfigErr(kubeconfigMsgTokenFile)
	}
	hasCert, hasKey := len(u.ClientCertificateData) > 0, len(u.ClientKeyData) > 0
	if hasCert != hasKey {
		return kubeconfigErr(kubeconfigMsgHalfCert)
	}
	if hasCert {
		if _, err := tls.X509KeyPair(u.ClientCertificateData, u.ClientKeyData); err != nil {
			return kubeconfigErr(kubeconfigMsgBadCert)
		}
	}
	basic := u.Username != "" || u.Password != ""
	if u.Token != "" && basic {
		return kubeconfigErr(kubeconfigMsgManyCreds)
	}
	if !hasCert && u.Token == "" && !basic {
		return kubeconfigErr(kubeconfigMsgNoCreds)
	}
	return nil
}

// kubeconfigForToken writes a kubeconfig for server (with the CA and TLS settings of base)
// that authenticates with token; contextName names its cluster, user and context.
func kubeconfigForToken(base *rest.Config, server, token, contextName string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{
		Server:                   server,
		CertificateAuthorityData: base.CAData,
		InsecureSkipTLSVerify:    base.Insecure,
		TLSServerName:            base.ServerName,
	}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	cfg.CurrentContext = contextName
	return clientcmd.Write(*cfg)
}
