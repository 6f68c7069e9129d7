// Package node_test runs the Helm chart on a real single-node Kubernetes (kubelet, containerd,
// runc) that hack/node-up.sh starts: the chart's pods run from the images hack/image built,
// with the chart's security context, against the OpenStack simulator on the node's address and
// a second kube-apiserver as the target cluster the machines join. make e2e-node runs it.
package node_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// nodeEnv is what hack/node-up.sh wrote (KUBECONFIG, KUBECTL, NODE_IP, NODE_NAME, ...) plus
// the images make e2e-node imported (PCO_E2E_IMAGE_REPO, PCO_E2E_IMAGE_TAG).
var nodeEnv = map[string]string{}

func TestNode(t *testing.T) {
	path := os.Getenv("PCO_E2E_NODE_ENV")
	if path == "" {
		t.Skip("needs the single-node cluster of hack/node-up.sh: run make e2e-node")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			nodeEnv[k] = v
		}
	}
	_ = f.Close()
	for _, k := range []string{"PCO_E2E_IMAGE_REPO", "PCO_E2E_IMAGE_TAG"} {
		nodeEnv[k] = os.Getenv(k)
	}
	for _, k := range []string{"KUBECONFIG", "NODE_IP", "PCO_E2E_IMAGE_REPO", "PCO_E2E_IMAGE_TAG"} {
		if nodeEnv[k] == "" {
			t.Fatalf("%s is not set (by %s or make e2e-node)", k, path)
		}
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "chart on a real node")
}
