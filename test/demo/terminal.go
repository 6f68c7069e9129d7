package main

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// takeTerminal moves the demo into a process group of its own and makes it the terminal's
// foreground group, so that Ctrl-C reaches the demo (which cleans up and exits 0) and not make,
// which would otherwise die by the same SIGINT whatever the demo does and so exit 130. It
// returns what gives the terminal back; without a terminal, or in the background, it does
// nothing.
func takeTerminal() (restore func()) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return func() {}
	}
	fd := int(tty.Fd())
	foreground, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || foreground != unix.Getpgrp() {
		_ = tty.Close()
		return func() {}
	}
	// A process outside the foreground group may hand the terminal over only with SIGTTOU
	// ignored (as shells do).
	signal.Ignore(unix.SIGTTOU)
	if err := unix.Setpgid(0, 0); err != nil {
		_ = tty.Close()
		return func() {}
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, unix.Getpgrp()); err != nil {
		_ = unix.Setpgid(0, foreground)
		_ = tty.Close()
		return func() {}
	}
	return func() {
		_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, foreground)
		_ = tty.Close()
	}
}
