package logging

import (
	"io"
	"os"
	"sync"
	"time"
)

// HoldFor is the longest a busy log file holds a request line back (see
// output): lines are written in batches under load, each at most this
// late.
const HoldFor = 5 * time.Millisecond

// holdMax is how many bytes held back are written at once, whatever
// their age.
const holdMax = 32 << 10

// output is where New's loggers write: one writer for every line, whoever
// formats it, so that lines never interleave and keep their order.
//
// A line logged with Log (request lines, the host's busiest) may be held
// back, when the output is a file (stderr, as deployed) and it is busy: a
// line follows another by less than HoldFor, or lines are held already.
// Held lines are written together, HoldFor after the first of them at the
// latest (or once holdMax bytes are held), and before any other line, so
// a busy host makes one write a batch instead of one a line. A quiet one
// writes each line at once, as does any output that is not a file (a
// test's buffer). Every other line (hclog's) is written before Write
// returns, with whatever is held before it. Flush writes what is held.
type output struct {
	mu    sync.Mutex
	w     io.Writer
	hold  bool // w is a file: a write is a system call, worth batching
	buf   []byte
	last  time.Time // when a line was last written or held
	timer *time.Timer
	armed bool
	err   error // the last failed write's, for Flush

	holdFor   time.Duration                               // HoldFor; tests change it
	afterFunc func(d time.Duration, f func()) *time.Timer // time.AfterFunc; tests catch f
}

func newOutput(w io.Writer) *output {
	o := &output{w: w, holdFor: HoldFor, afterFunc: time.AfterFunc}
	_, o.hold = w.(*os.File)
	return o
}

// Write writes p, after whatever is held, before it returns.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = time.Now()
	if len(o.buf) == 0 {
		return o.w.Write(p)
	}
	o.buf = append(o.buf, p...)
	o.flushLocked()
	return len(p), o.err
}

// writeLine writes or holds line (see output); now is when it was
// logged.
func (o *output) writeLine(line []byte, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	busy := len(o.buf) > 0 || now.Sub(o.last) < o.holdFor
	o.last = now
	if !o.hold || !busy {
		if len(o.buf) == 0 {
			_, o.err = o.w.Write(line)
			return
		}
		o.buf = append(o.buf, line...)
		o.flushLocked()
		return
	}
	o.buf = append(o.buf, line...)
	switch {
	case len(o.buf) >= holdMax:
		o.flushLocked()
	case !o.armed:
		o.armed = true
		if o.timer == nil {
			o.timer = o.afterFunc(o.holdFor, o.flushHeld)
		} else {
			o.timer.Reset(o.holdFor)
		}
	}
}

// flushHeld is the timer's: it writes what is held.
func (o *output) flushHeld() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.armed = false
	o.flushLocked()
}

// Flush writes whatever is held now.
func (o *output) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	return o.err
}

func (o *output) flushLocked() {
	if len(o.buf) == 0 {
		return
	}
	if _, err := o.w.Write(o.buf); err != nil {
		o.err = err
	}
	if cap(o.buf) > 4*holdMax { // a burst of long lines: do not keep its buffer
		o.buf = nil
	} else {
		o.buf = o.buf[:0]
	}
}
