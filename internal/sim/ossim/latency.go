package ossim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Spread is a distribution of durations, the shape of how long a cloud takes for something: most
// draws fall between Min and Max (log-uniform, so there are more short ones than long ones, as
// with real builds), and a share TailRate of them in a long tail between Max and TailMax (a
// busy compute host, a slow image download). Min == Max with no tail is a fixed duration.
//
// As text (flags) it reads "20s..60s+5%..180s": Min..Max, then the tail; "2s" alone is fixed.
type Spread struct {
	Min, Max time.Duration
	TailRate float64 // 0..1
	TailMax  time.Duration
}

// Fixed is a Spread that always draws d.
func Fixed(d time.Duration) Spread { return Spread{Min: d, Max: d} }

// IsZero is true for the zero Spread, which means "use the fixed option instead".
func (d Spread) IsZero() bool { return d == Spread{} }

// Draw returns one duration of the distribution.
func (d Spread) Draw(rng *rand.Rand) time.Duration {
	if d.TailRate > 0 && d.TailMax > d.Max && rng.Float64() < d.TailRate {
		return logUniform(rng, d.Max, d.TailMax)
	}
	return logUniform(rng, d.Min, d.Max)
}

// logUniform draws between lo and hi with a uniform logarithm (uniform when lo is 0).
func logUniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	switch {
	case hi <= lo:
		return lo
	case lo <= 0:
		return time.Duration(rng.Int64N(int64(hi-lo) + 1))
	}
	l, h := math.Log(float64(lo)), math.Log(float64(hi))
	return min(hi, max(lo, time.Duration(math.Exp(l+rng.Float64()*(h-l)))))
}

func (d Spread) validate() error {
	switch {
	case d.Min < 0 || d.Max < d.Min:
		return fmt.Errorf("spread %s: want 0 <= min <= max", d)
	case d.TailRate < 0 || d.TailRate > 1:
		return fmt.Errorf("spread %s: tail rate not within 0..100%%", d)
	case d.TailRate > 0 && d.TailMax <= d.Max:
		return fmt.Errorf("spread %s: the tail must end after max", d)
	}
	return nil
}

// String writes the flag form.
func (d Spread) String() string {
	s := d.Min.String()
	if d.Max != d.Min {
		s += ".." + d.Max.String()
	}
	if d.TailRate > 0 {
		s += "+" + strconv.FormatFloat(d.TailRate*100, 'f', -1, 64) + "%.." + d.TailMax.String()
	}
	return s
}

// Set reads the flag form (flag.Value).
func (d *Spread) Set(s string) error {
	body, tail, hasTail := strings.Cut(s, "+")
	var out Spread
	lo, hi, ranged := strings.Cut(body, "..")
	var err error
	if out.Min, err = time.ParseDuration(lo); err != nil {
		return fmt.Errorf("spread %q: %w", s, err)
	}
	out.Max = out.Min
	if ranged {
		if out.Max, err = time.ParseDuration(hi); err != nil {
			return fmt.Errorf("spread %q: %w", s, err)
		}
	}
	if hasTail {
		rate, tmax, ok := strings.Cut(tail, "%..")
		if !ok {
			return fmt.Errorf("spread %q: want a tail like +5%%..180s", s)
		}
		pct, err := strconv.ParseFloat(rate, 64)
		if err != nil {
			return fmt.Errorf("spread %q: tail rate: %w", s, err)
		}
		out.TailRate = pct / 100
		if out.TailMax, err = time.ParseDuration(tmax); err != nil {
			return fmt.Errorf("spread %q: tail: %w", s, err)
		}
	}
	if err := out.validate(); err != nil {
		return err
	}
	*d = out
	return nil
}

// Latencies are the distributions of the cloud's slow operations. Each zero Spread falls back to
// the fixed Options duration (BuildTime, DeleteTime, VolumeTime).
type Latencies struct {
	Build       Spread // BUILD -> ACTIVE of a server booting from an image on the host's disk
	BuildVolume Spread // the same booting from a Cinder volume (Nova waits for Cinder to make it from the image first)
	Delete      Spread // how long a deleted server stays visible
	Volume      Spread // volume creating -> available and deleting -> gone
	Seed        uint64 // of the random draws; 0 picks one at Start
}

// RealisticLatencies are what a real OpenStack Zed cloud such as pluscloud open shows under
// load: builds of 20-60 s with a long tail, boot from volume slower than local disk (the
// volume is made from the image first), deletes of 2-10 s, volumes in 5-15 s.
func RealisticLatencies() Latencies {
	return Latencies{
		Build:       Spread{Min: 20 * time.Second, Max: 60 * time.Second, TailRate: 0.05, TailMax: 150 * time.Second},
		BuildVolume: Spread{Min: 30 * time.Second, Max: 75 * time.Second, TailRate: 0.08, TailMax: 180 * time.Second},
		Delete:      Spread{Min: 2 * time.Second, Max: 10 * time.Second},
		Volume:      Spread{Min: 5 * time.Second, Max: 15 * time.Second, TailRate: 0.05, TailMax: 60 * time.Second},
	}
}

// Scaled divides every duration by f (the realistic shape at a speed a test can afford).
func (l Latencies) Scaled(f float64) Latencies {
	sc := func(d Spread) Spread {
		div := func(t time.Duration) time.Duration { return time.Duration(float64(t) / f) }
		return Spread{Min: div(d.Min), Max: div(d.Max), TailRate: d.TailRate, TailMax: div(d.TailMax)}
	}
	l.Build, l.BuildVolume, l.Delete, l.Volume = sc(l.Build), sc(l.BuildVolume), sc(l.Delete), sc(l.Volume)
	return l
}

func (l Latencies) validate() error {
	for name, d := range map[string]Spread{"build": l.Build, "build-volume": l.BuildVolume, "delete": l.Delete, "volume": l.Volume} {
		if err := d.validate(); err != nil {
			return fmt.Errorf("%s latency: %w", name, err)
		}
	}
	return nil
}

// latencyKind says which operation a duration is drawn for.
type latencyKind int

const (
	buildLocal latencyKind = iota
	buildFromVolume
	serverDelete
	volumeChange
)

// latency draws how long one operation takes; under Sim.mu (the generator is not safe for
// concurrent use, and under the lock the draws come in the order of the requests).
func (s *Sim) latency(kind latencyKind) time.Duration {
	l := s.opts.Latencies
	spread, fixed := l.Build, s.opts.BuildTime
	switch kind {
	case buildFromVolume:
		spread = l.BuildVolume
		if spread.IsZero() {
			spread = l.Build
		}
	case serverDelete:
		spread, fixed = l.Delete, s.opts.DeleteTime
	case volumeChange:
		spread, fixed = l.Volume, s.opts.VolumeTime
	}
	if spread.IsZero() {
		return fixed
	}
	return spread.Draw(s.rng)
}

// buildLatency draws a server's build time; imageID is "" for a server booting from a volume.
func (s *Sim) buildLatency(imageID string) time.Duration {
	if imageID == "" {
		return s.latency(buildFromVolume)
	}
	return s.latency(buildLocal)
}
