// Package testenv is a test helper, not production code: it starts a real kube-apiserver and
// etcd from the cached envtest assets, writes their kubeconfig, finds the repository's folders
// and cache, and logs in to Keystone. It lives outside test/ so package tests under pkg/ can use
// it without depending on test/ (hack/verify-imports.sh checks that); test/integration/framework
// builds on it. Nothing under cmd/ may import it.
package testenv
