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
	// socketDirGroup is the file in a socket directory naming the
	// plugin's process group: "<pgid> <start time of its leader> <boot id>".
	socketDirGroup = "plugin.pgid"
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

// recordGroup records in a plugin's socket directory the process group
// the plugin leads (its pid), with the leader's start time and the boot,
// so that if the host is killed outright the next host's sweep can kill
// what the plugin started: the kernel's death signal kills only the plugin
// itself. A host killed between the plugin's start and this record leaves
// its group unrecorded.
func recordGroup(dir string, pgid int) error {
	rec := groupRecord(pgid, processStart(pgid), bootID())
	return os.WriteFile(filepath.Join(dir, socketDirGroup), []byte(rec), 0o600)
}

// groupRecord is the content of socketDirGroup.
func groupRecord(pgid int, start uint64, boot string) string {
	return strconv.Itoa(pgid) + " " + strconv.FormatUint(start, 10) + " " + boot + "\n"
}

// killRecordedGroup SIGKILLs the process group recorded in the socket
// directory of a dead host, if any, and returns its id (0: none).
//
// Pid reuse: the group's id is its leader's pid. While any process of the
// group lives, the kernel gives that number to no new process, so a group
// with members is the plugin's. Once the leader is gone the id could name
// a new group only after every member has ended (and the pids wrapped
// around): the kill then hits that other group's members. That is the
// residual risk; it needs the whole group gone, the pid reused as a group
// leader, and that leader gone too, all between the host's death and the
// sweep. A live process holding the id is checked against the recorded
// start time, so a leader that is not the plugin is never killed, and a
// record of an earlier boot (a /tmp that survived a power loss) is
// ignored.
func killRecordedGroup(dir string) int {
	raw, err := os.ReadFile(filepath.Join(dir, socketDirGroup))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) != 3 || f[2] != bootID() {
		return 0
	}
	pgid, err := strconv.Atoi(f[0])
	if err != nil || pgid <= 1 || pgid == os.Getpid() {
		return 0
	}
	start, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	if !processExited(pgid) && processStart(pgid) != start {
		return 0 // the pid is another process's now
	}
	killGroup(pgid)
	return pgid
}

// ownerRecord is the content of socketDirOwner for a host with pid.
func ownerRecord(pid int) string {
	hostname, _ := os.Hostname()
	return strconv.Itoa(pid) + "\n" + hostname + "\n"
}

// sweepSocketDirs removes the socket directories in the temporary
// directory that a host killed outright (SIGKILL, power loss) left
// behind: those whose owner file names a process of this machine that is
// no longer alive. The process group such a directory records (what the
// plugin started, which outlives it) is killed first. A directory without
// an owner file (made by an older switchboard, or by a host between
// creating it and writing the file), of another machine (a shared /tmp),
// or whose owner is alive is left alone. (A dead host's pid given to a
// new process makes the directory look alive: it is left, never wrongly
// swept.)
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
		if pgid := killRecordedGroup(dir); pgid != 0 {
			log.Warn("killed the processes a plugin of a dead host left running", "dir", dir, "host_pid", pid, "pgid", pgid)
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
