package logfilter

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// TestKlogOutput logs the way client-go and MCM do and checks what reaches the output.
func TestKlogOutput(t *testing.T) {
	var buf bytes.Buffer
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", "10")
	_ = fs.Set("logtostderr", "false")
	klog.SetOutput(&buf)
	defer klog.SetOutput(nil)
	Install()
	defer klog.SetLogFilter(nil)

	klog.V(8).InfoS("Response Body", "body", "00000170  66 61 75 6c 74 12 1f 0a  08 70 61 73 73 77 6f 72  |password..pco-demo-pass|")
	klog.Infof("replacing placeholder <<BOOTSTRAP_TOKEN>> with %s in user-data!", "717239.9ttlph08pl5v0egw")
	klog.Info("token ", "abcdef.0123456789abcdef")
	klog.InfoS("Created", "machine", "pco-workers-1", "token", []byte("abcdef.0123456789abcdef"))
	klog.NewKlogr().V(8).Info("Request Body", "body", "secret-bytes")
	klog.Flush()

	out := buf.String()
	for _, secret := range []string{"pco-demo-pass", "9ttlph08pl5v0egw", "0123456789abcdef", "secret-bytes"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q in the log:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "pco-workers-1") || strings.Count(out, Redacted) < 4 {
		t.Errorf("the rest of the lines should stay:\n%s", out)
	}
}
