package driver

import "github.com/spf13/pflag"

// AddFlags binds the driver's options to command-line flags (next to MCM's own).
func AddFlags(fs *pflag.FlagSet, o *Options) {
	fs.DurationVar(&o.CreateTimeout, "pco-server-create-timeout", o.CreateTimeout,
		"How long CreateMachine waits for a server to become ACTIVE before removing it. Keep below --machine-creation-timeout.")
	fs.DurationVar(&o.DeleteTimeout, "pco-server-delete-timeout", o.DeleteTimeout, "How long DeleteMachine waits for a server to disappear.")
	fs.DurationVar(&o.UnansweredCreateWait, "pco-unanswered-create-wait", o.UnansweredCreateWait,
		"How long Nova may take to list a server after a create request: a Machine whose create may have been sent without an answer (by the previous process, or a POST that failed with no answer) is not created again before then. 0 disables the wait.")
	fs.DurationVar(&o.PollInterval, "pco-poll-interval", o.PollInterval, "First wait between looks at a server being built or deleted; it grows up to --pco-max-poll-interval.")
	fs.DurationVar(&o.MaxPollInterval, "pco-max-poll-interval", o.MaxPollInterval, "Longest wait between looks at a server.")
	fs.Float64Var(&o.Sessions.RequestsPerSecond, "pco-openstack-qps", o.Sessions.RequestsPerSecond, "Requests per second one credential may send to OpenStack (0 = unlimited).")
	fs.IntVar(&o.Sessions.Burst, "pco-openstack-burst", o.Sessions.Burst, "Burst of requests one credential may send to OpenStack.")
	fs.DurationVar(&o.Sessions.LookupTTL, "pco-lookup-cache-ttl", o.Sessions.LookupTTL, "How long flavor, image, network and security group names resolved to IDs are reused.")
}
