package main

import (
	"flag"
	"fmt"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// latencyFlags registers the latency flags on fs; the function it returns gives the Latencies
// they ask for once fs is parsed: a profile (fast, the default, or realistic) with single
// spreads overridden by their flags.
func latencyFlags(fs *flag.FlagSet) func() (ossim.Latencies, error) {
	var set ossim.Latencies
	profile := fs.String("latencies", "fast", "latency profile: fast (fixed, 1s builds) or realistic (a real cloud's spreads: builds 20-60s with a long tail, boot from volume slower, deletes 2-10s); the time flags override single spreads")
	spread := " (a duration, or a spread min..max[+tail%..tailmax] such as 20s..60s+5%..150s)"
	fs.Var(&set.Build, "build-time", "how long servers booting from an image stay in BUILD"+spread+" (default 1s)")
	fs.Var(&set.BuildVolume, "build-volume-time", "how long servers booting from a volume stay in BUILD"+spread+" (default: --build-time)")
	fs.Var(&set.Delete, "delete-time", "how long deleted servers stay visible"+spread+" (default 200ms)")
	fs.Var(&set.Volume, "volume-time", "how long volumes take to create and delete"+spread+" (default 200ms)")
	fs.Uint64Var(&set.Seed, "latency-seed", 0, "seed of the latency draws, to repeat a run (0: random)")
	return func() (ossim.Latencies, error) {
		var base ossim.Latencies
		switch *profile {
		case "fast":
		case "realistic":
			base = ossim.RealisticLatencies()
		default:
			return base, fmt.Errorf("--latencies %q: want fast or realistic", *profile)
		}
		for _, p := range []struct{ dst, src *ossim.Spread }{
			{&base.Build, &set.Build}, {&base.BuildVolume, &set.BuildVolume}, {&base.Delete, &set.Delete}, {&base.Volume, &set.Volume},
		} {
			if !p.src.IsZero() {
				*p.dst = *p.src
			}
		}
		base.Seed = set.Seed
		return base, nil
	}
}
