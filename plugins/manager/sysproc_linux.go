//go:build linux

package manager

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// ownGroups: every plugin process leads a process group of its own.
const ownGroups = true

// setSysProcAttr makes the plugin the leader of a process group of its
// own (its pgid is its pid), so that the processes it starts can be
// killed with it (killGroup), and makes the kernel SIGKILL it when the
// host dies. (Strictly, when the OS thread that started it exits; the Go
// runtime only ends threads of goroutines that exit while locked to their
// thread, which the host never does.) The death signal reaches the leader
// only: what it started is killed by the next host's sweep of the dead
// host's socket directories (sweepSocketDirs), which records the group.
func setSysProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// killGroup SIGKILLs every process of process group pgid.
func killGroup(pgid int) {
	if pgid > 1 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// procStat returns the fields of /proc/<pid>/stat after the command name
// (the first is the state), nil when there is no such process.
func procStat(pid int) ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	return strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:])), nil
}

// processExited reports whether process pid has ended: it is gone, or a
// zombie not reaped yet.
func processExited(pid int) bool {
	f, err := procStat(pid)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

// processStart is when process pid started (clock ticks since boot), 0
// when it does not exist or cannot be read: with its pid it tells a
// process from a later one that was given the same pid.
func processStart(pid int) uint64 {
	f, err := procStat(pid)
	if err != nil || len(f) < 20 {
		return 0
	}
	start, _ := strconv.ParseUint(f[19], 10, 64) // field 22, starttime
	return start
}

// bootID names this boot of the machine ("" when unknown): a recorded
// pid means nothing after a reboot.
func bootID() string {
	raw, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(raw))
}
