package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// The sequential cycles (groups cycles and alloc) run the simulator in a child process: this
// binary started again with --serve-sim. So runtime.MemStats in this process counts only the
// driver's allocations, not the simulator's request handling. The bench reads the child's seed,
// request counters and state over the simulator's admin API (/_sim/, not counted), outside the
// measured window.

// serveSimulator is the child's side: it starts a simulator, prints "SIM <base URL> <auth URL>"
// on stdout and serves until its stdin closes (the parent closed it, or died).
func serveSimulator(build, del time.Duration) error {
	sim, err := ossim.Start(ossim.Options{BuildTime: build, DeleteTime: del})
	if err != nil {
		return err
	}
	defer sim.Close()
	fmt.Printf("SIM %s %s\n", sim.URL(), sim.AuthURL())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// simProcess is the parent's handle on a simulator child process.
type simProcess struct {
	cmd          *exec.Cmd
	stdin        io.Closer
	url, authURL string
	seed         ossim.Seed
	client       *http.Client
}

// startSimProcess starts a child simulator with the given BuildTime and DeleteTime.
func startSimProcess(build, del time.Duration) (*simProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "--serve-sim", "--sim-build-time", build.String(), "--sim-delete-time", del.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the simulator process: %w", err)
	}
	p := &simProcess{cmd: cmd, stdin: stdin, client: &http.Client{Timeout: time.Minute}}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	fields := strings.Fields(first)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("simulator process: want \"SIM <url> <auth URL>\", got %q: %w", first, err)
	}
	if len(fields) != 3 || fields[0] != "SIM" {
		p.Close()
		return nil, fmt.Errorf("simulator process: want \"SIM <url> <auth URL>\", got %q", first)
	}
	p.url, p.authURL = fields[1], fields[2]
	if err := p.get("/_sim/seed", &p.seed); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *simProcess) AuthURL() string  { return p.authURL }
func (p *simProcess) Seed() ossim.Seed { return p.seed }

// Counts are the child's request counters.
func (p *simProcess) Counts() (ossim.Counts, error) {
	var out struct {
		Routes ossim.Counts `json:"routes"`
	}
	err := p.get("/_sim/counts", &out)
	return out.Routes, err
}

// ResetCounts zeroes the child's request counters.
func (p *simProcess) ResetCounts() error {
	resp, err := p.client.Post(p.url+"/_sim/counts/reset", "", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("resetting the simulator's counters: %s", resp.Status)
	}
	return nil
}

// Leftovers is the number of servers and ports in the child's state.
func (p *simProcess) Leftovers() (int, error) {
	var out struct {
		Servers []json.RawMessage `json:"servers"`
		Ports   []json.RawMessage `json:"ports"`
	}
	err := p.get("/_sim/state", &out)
	return len(out.Servers) + len(out.Ports), err
}

// Close ends the child: closing its stdin makes it shut the simulator down and exit.
func (p *simProcess) Close() {
	_ = p.stdin.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func (p *simProcess) get(path string, into any) error {
	resp, err := p.client.Get(p.url + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("simulator GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}
