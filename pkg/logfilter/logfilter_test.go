package logfilter

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
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
	defer func() {
		klog.SetLogFilter(nil)
		klog.EnableContextualLogging(true)
	}()

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

// TestContextLogger logs the way client-go does inside a controller-runtime reconciler: through
// klog.FromContext with the controller's (zap) logger in the context. Without Install that
// logger gets the bodies unfiltered; with it, klog gets them, filtered.
func TestContextLogger(t *testing.T) {
	var buf bytes.Buffer
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", "10")
	_ = fs.Set("logtostderr", "false")
	klog.SetOutput(&buf)
	defer klog.SetOutput(nil)
	var ctxOut strings.Builder
	ctx := logr.NewContext(context.Background(), funcr.New(func(prefix, args string) { ctxOut.WriteString(args + "\n") }, funcr.Options{Verbosity: 10}))
	body := "00000000  6b 38 73 00 0a 0c 0a 02  76 31 12 06 53 65 63 72  |k8s.....v1..Secr|\n00000010  70 63 6f 2d 64 65 6d 6f  2d 70 61 73 73 77 6f 72  |pco-demo-passwor|"

	klog.FromContext(ctx).V(8).Info("Response Body", "body", body)
	if !strings.Contains(ctxOut.String(), "pco-demo-passwor") {
		t.Fatalf("without the filter the context's logger should get the body (else this test tests nothing):\n%s", ctxOut.String())
	}
	ctxOut.Reset()

	Install()
	defer func() {
		klog.SetLogFilter(nil)
		klog.EnableContextualLogging(true)
	}()
	klog.FromContext(ctx).V(8).Info("Response Body", "body", body)
	klog.FromContext(ctx).Info("Created", "token", "abcdef.0123456789abcdef")
	klog.Flush()
	out := buf.String() + ctxOut.String()
	for _, secret := range []string{"pco-demo-passwor", "0123456789abcdef"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q in the log:\n%s", secret, out)
		}
	}
	if strings.Count(buf.String(), Redacted) != 2 {
		t.Errorf("both lines should reach klog, redacted:\n%s", buf.String())
	}
}
