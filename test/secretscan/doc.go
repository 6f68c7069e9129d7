// Package secretscan finds secrets where they must not be: it knows a set of secret values
// (Secrets, fed from Kubernetes Secrets, structured documents such as clouds.yaml and
// kubeconfigs, PEM keys and bootstrap tokens), turns each into needles in every form it can
// leak in (raw, base64 at any alignment, hex, JSON-, Go- and URL-escaped: needles.go), and
// searches logs (hex dumps of protobuf bodies included), object JSON such as Events and
// statuses, and /metrics for them (Scanner), reporting where without ever printing a value
// (report.go). make chaos and the integration suite use it; what to collect from the simulator
// and which objects to snapshot is test/integration/framework's.
package secretscan
