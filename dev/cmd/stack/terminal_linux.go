package main

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// takeTerminal moves the stack into a process group of its own and makes it
// the terminal's foreground group, as a shell does for a job. Ctrl-C then
// reaches the stack alone, not make or `go run` above it: the stack stops the
// services and exits 0, and so does `make run`. Without a controlling
// terminal (CI, a pipe), or when the stack is not in the foreground, it does
// nothing. The returned function gives the terminal back.
func takeTerminal() (restore func()) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return func() {}
	}
	fd := tty.Fd()
	var fg int32
	if ioctl(fd, syscall.TIOCGPGRP, &fg) != nil || int(fg) != syscall.Getpgrp() {
		tty.Close()
		return func() {}
	}
	// A process outside the foreground group that sets the foreground
	// group gets SIGTTOU, which would stop it.
	signal.Ignore(syscall.SIGTTOU)
	if syscall.Setpgid(0, 0) != nil {
		tty.Close()
		return func() {}
	}
	own := int32(syscall.Getpgrp())
	if ioctl(fd, syscall.TIOCSPGRP, &own) != nil {
		_ = syscall.Setpgid(0, int(fg))
		tty.Close()
		return func() {}
	}
	return func() {
		_ = ioctl(fd, syscall.TIOCSPGRP, &fg)
		tty.Close()
	}
}

func ioctl(fd uintptr, req uint, pgrp *int32) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(pgrp))); e != 0 {
		return e
	}
	return nil
}
