package main

import (
	"context"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	"github.com/pco-mcm/mcm-provider-pco/test/secretscan"
)

// The secret scanner itself (the known values, the search, the report) is test/secretscan and
// the Keystone token proxy framework's, shared with the integration suite; this is what chaos
// adds.

// collect adds what appeared since the last call: the userData the simulator got (their
// bootstrap tokens are what matters; the canary line covers the rest) and MCM's bootstrap
// token Secrets, which live only while a machine is being created.
func collect(ctx context.Context, sec *secretscan.Secrets, stack *framework.Stack) {
	sec.CollectBootstrapTokens(ctx, stack.CP.Clientset)
	framework.CollectSimUserData(sec, stack.Sim)
}
