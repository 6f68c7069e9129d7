package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega/gbytes"
	"golang.org/x/sys/unix"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
)

// TestCtrlCInTerminalEndsMakeDemoWithExitZeroAndCleanedUp runs `make demo` as a user does, on a
// terminal (a pseudo-terminal that is the session's controlling terminal), waits for the demo to
// say it is ready, types Ctrl-C and checks that make exits 0 (no "Error") after "cleaned up" and
// that the demo's folder is gone.
func TestCtrlCInTerminalEndsMakeDemoWithExitZeroAndCleanedUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole demo stack")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer func() { _ = master.Close() }()

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "demo")
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = envWithoutMake()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own whose controlling terminal is the pty, as a login shell has.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = slave.Close() // the child holds it; reads on master end with EIO once the session is gone

	out := gbytes.NewBuffer()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			_, _ = out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()

	ready := false
	for !ready && ctx.Err() == nil {
		ready = strings.Contains(string(out.Contents()), "Press Ctrl-C to stop and clean up.")
		select {
		case <-copied:
			t.Fatalf("make demo ended before it was ready:\n%s", string(out.Contents()))
		case <-time.After(200 * time.Millisecond):
		}
	}
	if !ready {
		t.Fatalf("make demo not ready in time:\n%s", string(out.Contents()))
	}
	// Ctrl-C as typed: the terminal sends SIGINT to its foreground process group.
	if _, err := master.Write([]byte{0x03}); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	<-copied
	text := string(out.Contents())
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		t.Fatalf("make demo ended with %v after Ctrl-C, want exit code 0:\n%s", exitErr, text)
	} else if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "cleaned up") {
		t.Errorf("no \"cleaned up\" after Ctrl-C:\n%s", text)
	}
	if strings.Contains(text, "Error") {
		t.Errorf("output contains \"Error\":\n%s", text)
	}
	if m := regexp.MustCompile(`Controller logs: (\S+)/\*\.log`).FindStringSubmatch(text); m == nil {
		t.Errorf("no controller log folder named:\n%s", text)
	} else if _, err := os.Stat(m[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo's folder %s is still there after Ctrl-C (stat: %v)", m[1], err)
	}
}

// openPTY opens a pseudo-terminal pair (what posix_openpt, unlockpt and ptsname do in C).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		_ = master.Close()
		return nil, nil, fmt.Errorf("unlocking the pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		_ = master.Close()
		return nil, nil, fmt.Errorf("naming the pty: %w", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		_ = master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// envWithoutMake drops the variables of the make that runs the tests, so that the inner make is
// the one a user starts.
func envWithoutMake() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
			continue
		}
		env = append(env, kv)
	}
	return env
}
