package main

import (
	"flag"
	"io"
	"testing"
	"time"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

func parseLatencies(t *testing.T, args ...string) (ossim.Latencies, error) {
	t.Helper()
	fs := flag.NewFlagSet("pco-sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	get := latencyFlags(fs)
	if err := fs.Parse(args); err != nil {
		return ossim.Latencies{}, err
	}
	return get()
}

// TestLatencyFlagsDefaultFast: without flags every spread is zero, so the simulator keeps its
// fixed fast times (1s builds) that the demo and the tests rely on.
func TestLatencyFlagsDefaultFast(t *testing.T) {
	got, err := parseLatencies(t)
	if err != nil {
		t.Fatal(err)
	}
	if got != (ossim.Latencies{}) {
		t.Errorf("no flags gave %+v, want zero Latencies (the fixed defaults)", got)
	}
}

// TestLatencyFlagsRealisticWithOverride: --latencies realistic takes RealisticLatencies, a time
// flag replaces just its spread, and the seed is passed on.
func TestLatencyFlagsRealisticWithOverride(t *testing.T) {
	got, err := parseLatencies(t, "--latencies", "realistic", "--delete-time", "1s..3s", "--latency-seed", "42")
	if err != nil {
		t.Fatal(err)
	}
	want := ossim.RealisticLatencies()
	want.Delete = ossim.Spread{Min: time.Second, Max: 3 * time.Second}
	want.Seed = 42
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestLatencyFlagsSpreadForms: a plain duration is a fixed spread, the tail form is read, and
// malformed spreads and unknown profiles are refused.
func TestLatencyFlagsSpreadForms(t *testing.T) {
	got, err := parseLatencies(t, "--build-time", "2s", "--build-volume-time", "30s..75s+8%..180s")
	if err != nil {
		t.Fatal(err)
	}
	if got.Build != ossim.Fixed(2*time.Second) {
		t.Errorf("--build-time 2s gave %+v", got.Build)
	}
	if want := (ossim.Spread{Min: 30 * time.Second, Max: 75 * time.Second, TailRate: 0.08, TailMax: 180 * time.Second}); got.BuildVolume != want {
		t.Errorf("--build-volume-time gave %+v, want %+v", got.BuildVolume, want)
	}
	for _, bad := range [][]string{
		{"--build-time", "60s..20s"}, {"--build-time", "20s..60s+5%..30s"}, {"--build-time", "20s..60s+5"},
		{"--delete-time", "soon"}, {"--latencies", "slow"},
	} {
		if _, err := parseLatencies(t, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
