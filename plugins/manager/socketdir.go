package manager

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
)

const (
	// socketDirPattern names the directories holding plugins' sockets.
	socketDirPattern = "switchboard-plugin-"
	// socketDirOwner is the file in a socket directory naming the host
	// that made it: its pid and host name, one a line.
	socketDirOwner = "host.pid"
)

// newSocketDir creates a directory for a plugin's unix socket and records
// this process as its owner, so that sweepSocketDirs can tell it from a
// directory a dead host left behind.
func newSocketDir() (string, error) {
	dir, err := os.MkdirTemp("", socketDirPattern)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, socketDirOwner), []byte(ownerRecord(os.Getpid())), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// ownerRecord is the content of socketDirOwner for a host with pid.
func ownerRecord(pid int) string {
	hostname, _ := os.Hostname()
	return strconv.Itoa(pid) + "\n" + hostname + "\n"
}

// sweepSocketDirs removes the socket directories in the temporary
// directory that a host killed outright (SIGKILL, power loss) left
// behind: those whose owner file names a process of this machine that is
// no longer alive. A directory without an owner file (made by an older
// switchboard, or by a host between creating it and writing the file), of
// another machine (a shared /tmp), or whose owner is alive is left alone.
func sweepSocketDirs(log hclog.Logger) {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), socketDirPattern+"*"))
	if err != nil {
		return
	}
	hostname, _ := os.Hostname()
	for _, dir := range dirs {
		if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
			continue
		}
		pid, owner, ok := readOwner(filepath.Join(dir, socketDirOwner))
		if !ok || owner != hostname || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("cannot remove a plugin socket directory left by a dead host", "dir", dir, "host_pid", pid, "error", err)
			continue
		}
		log.Debug("removed a plugin socket directory left by a dead host", "dir", dir, "host_pid", pid)
	}
}

// readOwner parses an owner file.
func readOwner(path string) (pid int, hostname string, ok bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, "", false
	}
	lines := strings.Split(string(raw), "\n")
	if len(lines) < 3 || lines[2] != "" {
		return 0, "", false
	}
	if pid, err = strconv.Atoi(lines[0]); err != nil || pid <= 0 {
		return 0, "", false
	}
	return pid, lines[1], true
}
