package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// What the scale group reads from /proc (Linux) and from the controllers' logs to show what
// bounded a run: CPU time per process, the provider's peak RSS, and kube client rate limiter
// waits.

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

// stackPids names the processes of a stack: the two controllers, this process (the simulator,
// the node simulator and the bench's polling) and its other children (kube-apiserver, etcd).
func stackPids(stack *framework.Stack) map[string]int {
	self := os.Getpid()
	pids := map[string]int{
		"machine-controller":                stack.Provider.Pid(),
		"machine-controller-manager":        stack.MCM.Pid(),
		"bench (simulator, node simulator)": self,
	}
	known := map[int]bool{}
	for _, pid := range pids {
		known[pid] = true
	}
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, e := range entries {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(e)))
		if err != nil || known[pid] {
			continue
		}
		comm, fields, err := readStat(pid)
		if err != nil || len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == self {
			pids[comm] = pid
		}
	}
	return pids
}

// readStat returns a process's comm and the fields of /proc/<pid>/stat after it (state first).
func readStat(pid int) (string, []string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", nil, err
	}
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return "", nil, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return string(b[open+1 : closing]), strings.Fields(string(b[closing+1:])), nil
}

// procCPU is the CPU time (user + system) a named process used.
type procCPU struct {
	name string
	cpu  time.Duration
}

// sampleCPU reads the CPU time each process has used so far.
func sampleCPU(pids map[string]int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, pid := range pids {
		_, f, err := readStat(pid)
		if err != nil || len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[name] = time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out
}

// cpuDelta is the CPU time each process used between two samples, most first.
func cpuDelta(before, after map[string]time.Duration) []procCPU {
	var out []procCPU
	for name, t := range after {
		out = append(out, procCPU{name, t - before[name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cpu > out[j].cpu })
	return out
}

func cpuSummary(list []procCPU) string {
	var total time.Duration
	parts := make([]string, 0, len(list)+1)
	for _, p := range list {
		total += p.cpu
		parts = append(parts, fmt.Sprintf("%s=%.1f", p.name, p.cpu.Seconds()))
	}
	return fmt.Sprintf("%s (sum %.1f)", strings.Join(parts, " "), total.Seconds())
}

// vmHWMMiB is a process's peak resident set size (VmHWM) in MiB, 0 when unknown.
func vmHWMMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// throttleStats sums client-go's "Waited before sending request" log lines: at -v=3 every wait
// over 50ms on the kube client's rate limiter; at -v=2 only waits over 1s, at most one a second.
type throttleStats struct {
	waits      int
	total, max time.Duration
}

func (t throttleStats) String() string {
	if t.waits == 0 {
		return "no waits logged"
	}
	return fmt.Sprintf("%d waits logged, %.1fs in all, longest %.2fs", t.waits, t.total.Seconds(), t.max.Seconds())
}

var waitedDelay = regexp.MustCompile(`"Waited before sending request" delay="([^"]+)"`)

// throttleIn reads the waits logged in path between byte offsets from and to.
func throttleIn(path string, from, to int64) throttleStats {
	var t throttleStats
	f, err := os.Open(path)
	if err != nil {
		return t
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return t
	}
	sc := bufio.NewScanner(io.LimitReader(f, to-from))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	prev := ""
	for sc.Scan() {
		m := waitedDelay.FindSubmatchIndex(sc.Bytes())
		if m == nil {
			continue
		}
		// At -v=3 a wait over 1s is logged twice in a row (at level 3, and by client-go's
		// throttled logger at level 2): count it once.
		msg := string(sc.Bytes()[m[0]:])
		if msg == prev {
			continue
		}
		prev = msg
		d, err := time.ParseDuration(string(sc.Bytes()[m[2]:m[3]]))
		if err != nil {
			continue
		}
		t.waits++
		t.total += d
		t.max = max(t.max, d)
	}
	return t
}
