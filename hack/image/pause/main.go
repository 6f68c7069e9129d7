// Command pause is the pod sandbox image of make e2e-node's containerd (sandbox_image): it holds
// the pod's namespaces and exits on SIGINT or SIGTERM, like Kubernetes' own pause container.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
