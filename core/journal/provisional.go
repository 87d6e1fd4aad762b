package journal

import (
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// Provisional jobs. Some recorded jobs are only a backstop for work the
// recording host does itself at once: an Insight Card is pushed on the
// webhook's fast path within milliseconds, and its durable job exists so
// that a host killed in between still pushes it. On SQLite the mover holds
// such a job in memory for provisionalHold after it reads it from the
// intake; if the host settles it meanwhile (Settle: the work is done), the
// job is never queued in River, which saves River's unique insert, the
// job's fetch and completion, and the mark the job would check. A job not
// settled in time is queued as usual, and a host killed while holding it
// leaves it in the intake, so the next start queues it: the backstop is
// never lost, only skipped when it is known to be unneeded.
//
// On PostgreSQL, Record inserts straight into River, so nothing is held
// and Settle answers false: the caller records the outcome (a mark its
// job checks), and the job is deleted if it is still scheduled
// (provisional_pg.go).

// Provisional is implemented by job arguments that are a backstop for
// work the recording host is doing now. ProvisionalKey names the work for
// Settle; "" means the job is not provisional.
type Provisional interface {
	ProvisionalKey() string
}

// provisionalHold is how long the mover holds a provisional job for its
// Settle before it queues it: long enough for a card pushed behind a
// burst (the fast path's queue drains in about a second after 5,000
// webhooks). A job recorded before the process started is not held.
const provisionalHold = 3 * time.Second

// settleKeep is how long Settle and queue outcomes are remembered (a
// Settle for a job whose Record failed is forgotten after it).
const settleKeep = time.Minute

// provisionalKey returns args' key for Settle, or "".
func provisionalKey(args river.JobArgs) string {
	if p, ok := args.(Provisional); ok {
		return p.ProvisionalKey()
	}
	return ""
}

// heldJob is a provisional job the mover holds.
type heldJob struct {
	id    int64
	key   string
	p     river.InsertManyParams
	since time.Time
}

// settlements is what Settle and the mover know of provisional keys.
type settlements struct {
	mu      sync.Mutex
	settled map[string]time.Time // settled before the mover saw the job
	queued  map[string]time.Time // queued in River: too late to settle
	pruned  time.Time
}

func newSettlements() *settlements {
	return &settlements{settled: map[string]time.Time{}, queued: map[string]time.Time{}}
}

// settle notes that key's work is done; false when its job is already
// queued in River.
func (s *settlements) settle(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queued[key]; ok {
		return false
	}
	s.settled[key] = now
	return true
}

// take reports whether key was settled, forgetting it.
func (s *settlements) take(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.settled[key]; ok {
		delete(s.settled, key)
		return true
	}
	return false
}

// queue marks key's job queued in River, unless it was settled (then it
// reports true: drop the job).
func (s *settlements) queue(key string, now time.Time) (settled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.settled[key]; ok {
		delete(s.settled, key)
		return true
	}
	s.queued[key] = now
	return false
}

// prune forgets outcomes older than settleKeep, at most once a second.
func (s *settlements) prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.pruned) < time.Second {
		return
	}
	s.pruned = now
	for _, m := range []map[string]time.Time{s.settled, s.queued} {
		for k, at := range m {
			if now.Sub(at) > settleKeep {
				delete(m, k)
			}
		}
	}
}

// Settle tells the journal that the work of a provisional job (one whose
// arguments' ProvisionalKey is key) is done. It answers true when the job
// will not be queued (it was not yet queued in River; it is dropped), and
// false when it is already queued or the journal holds nothing back (on
// PostgreSQL): the caller must then record the outcome where the job
// checks it.
func (j *Journal) Settle(key string) bool {
	switch {
	case key == "":
		return false
	case j.intake != nil:
		return j.intake.settle.settle(key, time.Now())
	case j.pgSettled != nil:
		j.pgSettled.settle(key) // deleted if still scheduled (provisional_pg.go)
	}
	return false
}

// pass is one mover pass's decisions about provisional jobs, applied
// only once River holds what the pass queues (undo reverses them).
type pass struct {
	settled  []string  // keys dropped as settled
	queued   []string  // keys queued in River
	admitted []heldJob // newly held, after the held ones
	released int       // held jobs decided, from the front
}

// admit takes a provisional job just read from the intake: dropped when
// already settled, queued at once when it was recorded before this
// process started (whoever would have settled it is gone), held
// otherwise.
func (in *intake) admit(ps *pass, h heldJob) (queue bool) {
	switch {
	case in.settle.take(h.key):
		ps.settled = append(ps.settled, h.key)
	case h.id <= in.startTop:
		if in.settle.queue(h.key, h.since) {
			ps.settled = append(ps.settled, h.key)
			return false
		}
		ps.queued = append(ps.queued, h.key)
		return true
	default:
		ps.admitted = append(ps.admitted, h)
	}
	return false
}

// release decides the held jobs whose hold is over, oldest first (they
// are held in the order read, so it stops at the first still young):
// settled ones are dropped, the others queued (returned). Jobs settled
// before their hold ends are dropped when it ends: only the intake's
// clean-up waits for them. Nothing changes in the intake until commit.
func (in *intake) release(ps *pass, now time.Time) (queue []river.InsertManyParams) {
	for _, h := range in.held {
		if now.Sub(h.since) < provisionalHold {
			break
		}
		ps.released++
		if in.settle.take(h.key) || in.settle.queue(h.key, now) {
			ps.settled = append(ps.settled, h.key)
			continue
		}
		ps.queued = append(ps.queued, h.key)
		queue = append(queue, h.p)
	}
	return queue
}

// commitPass makes the pass's decisions the intake's.
func (in *intake) commitPass(ps *pass) {
	in.held = append(in.held[ps.released:], ps.admitted...)
}

// undo reverses a pass whose jobs River did not take: its settled keys
// are settled again and its queued ones are no longer queued, so the next
// pass decides them again.
func (in *intake) undo(ps *pass, now time.Time) {
	s := in.settle
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range ps.settled {
		s.settled[k] = now
	}
	for _, k := range ps.queued {
		delete(s.queued, k)
	}
}

// deletable is the highest intake id that may be deleted: moved, and
// below every held job.
func (in *intake) deletable() int64 {
	if len(in.held) > 0 {
		return min(in.moved, in.held[0].id-1)
	}
	return in.moved
}
