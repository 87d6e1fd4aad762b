//go:build unix

package csv

import (
	"os"
	"syscall"
)

// devIno is the device and inode of a file (zero where stat has none).
func devIno(fi os.FileInfo) (uint64, uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}
