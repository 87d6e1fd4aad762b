//go:build !unix

package csv

import "os"

// devIno is the device and inode of a file (zero where stat has none).
func devIno(os.FileInfo) (uint64, uint64) { return 0, 0 }
