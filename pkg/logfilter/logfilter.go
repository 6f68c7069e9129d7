// Package logfilter keeps secrets out of the controllers' logs, whatever the verbosity: at -v=8
// and above client-go logs whole request and response bodies (a Secret's data included, as a
// hex dump of the protobuf), and MCM's core logs the bootstrap token it puts into the user
// data. Our own code never logs a secret; this filter covers the libraries we run.
//
// client-go logs through klog.FromContext: with contextual logging on, that is whatever logger
// the caller put into the context, and controller-runtime puts its own there (zap in
// cmd/reseller-controller and cmd/cluster-registrar), which no klog filter sees: at
// --zap-log-level=8 and up every Secret those controllers read or wrote was logged in full.
// Install therefore turns contextual logging off, so client-go always logs through klog and
// this filter (at klog's -v); controller-runtime's own logging (log.FromContext) is unaffected.
package logfilter

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/klog/v2"
)

// Redacted replaces what the filter removes.
const Redacted = "[redacted by mcm-provider-pco]"

// bootstrapToken matches Kubernetes bootstrap tokens (<6 chars>.<16 chars>).
var bootstrapToken = regexp.MustCompile(`\b[a-z0-9]{6}\.[a-z0-9]{16}\b`)

// Filter is a klog.LogFilter.
type Filter struct{}

var _ klog.LogFilter = Filter{}

// Install makes klog (and everything logging through it: client-go, MCM) use the filter, and
// makes klog.FromContext return klog's own logger, so that client-go's request and response
// dumps go through the filter even when the context carries another logger. Call it before
// starting goroutines.
func Install() {
	klog.SetLogFilter(Filter{})
	klog.EnableContextualLogging(false)
}

// Filter handles Info, Warning, Error (unformatted) calls.
func (Filter) Filter(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = value(a)
	}
	return out
}

// FilterF handles the formatted calls.
func (Filter) FilterF(format string, args []any) (string, []any) {
	return "%s", []any{String(fmt.Sprintf(format, args...))}
}

// FilterS handles structured calls: the bodies client-go dumps are dropped, every other value
// is scrubbed.
func (Filter) FilterS(msg string, kv []any) (string, []any) {
	out := make([]any, len(kv))
	copy(out, kv)
	body := strings.HasSuffix(msg, "Body") || strings.Contains(msg, "Request Body") || strings.Contains(msg, "Response Body")
	for i := 1; i < len(out); i += 2 {
		if key, _ := out[i-1].(string); body && strings.EqualFold(key, "body") {
			out[i] = Redacted
			continue
		}
		out[i] = value(out[i])
	}
	return String(msg), out
}

// value scrubs strings and byte slices (other values are left as they are: they are typed
// objects whose String methods redact themselves, such as credentials.Credentials).
func value(v any) any {
	switch x := v.(type) {
	case string:
		return String(x)
	case []byte:
		return String(string(x))
	case fmt.Stringer:
		s := x.String()
		if t := String(s); t != s {
			return t
		}
	}
	return v
}

// String removes bootstrap tokens from s.
func String(s string) string {
	return bootstrapToken.ReplaceAllString(s, Redacted)
}
