package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/core/ringlog"
)

// keepalive is how often an idle live feed sends a comment, so proxies
// and the browser see it alive.
const keepalive = 15 * time.Second

// feedBatch is how long the live feed gathers rings before it sends them:
// short enough to look live, long enough to send many rings at once.
const feedBatch = 100 * time.Millisecond

// feedRows is how many rings one batch sends at most (the newest): 200
// rows a second per viewer, more than anyone reads. Above that the feed
// sends a "gap" event with how many it left out, so that a flood of rings
// costs the host a bounded amount of rendering per open page, not one
// rendered row per ring.
const feedRows = 20

// liveEvent is one ring as the live feed sends it: the row to insert
// (rendered and escaped by the server) and its data.
type liveEvent struct {
	ID   uint64   `json:"id"`
	HTML string   `json:"html"`
	Ring ringView `json:"ring"`
}

// gapEvent says how many rings a batch did not send: Left were not sent
// (more than feedRows in one batch), Lost are no longer in the ring log
// (a reconnecting browser that was away for longer than it keeps).
type gapEvent struct {
	Left int `json:"left"`
	Lost int `json:"lost"`
}

// events is the live feed: server-sent events, one "ring" event per new
// ring that the page's filters select (number, outcome, front_end), at
// most feedRows per feedBatch, and a "gap" event when some were left out.
// A browser reconnecting with Last-Event-ID first gets the rings it
// missed that the log still holds (the newest feedRows of them). Each
// connection lasts Options.MaxStream at most; EventSource reconnects by
// itself.
//
// The feed does not hold the ring path up: a ring only wakes it (a
// non-blocking send, ringlog.Log.Watch); it then waits feedBatch and
// reads what is new from the ring log, so its work grows with the number
// of batches, not with the number of rings.
func (c *console) events(w http.ResponseWriter, r *http.Request) {
	_, f := c.readFilter(r)
	f.Since, f.Until = time.Time{}, time.Time{}
	wake, cancel := c.opts.Rings.Watch()
	defer cancel()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) // the server's write timeout would end the stream
		_, err := fmt.Fprintf(w, format, args...)
		return err == nil
	}
	cursor := c.opts.Rings.Last() // before "connected": every ring after it is sent
	if !write(": connected\nretry: 3000\n\n") || rc.Flush() != nil {
		return
	}
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id < cursor {
		cursor = id
		if !c.sendBatch(write, &cursor, f) || rc.Flush() != nil {
			return
		}
	}
	tick := time.NewTicker(keepalive)
	defer tick.Stop()
	end := time.NewTimer(c.opts.MaxStream)
	defer end.Stop()
	batch := time.NewTimer(feedBatch)
	batch.Stop()
	waking := wake // nil while a batch is pending: rings then wake nobody
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.opts.Done:
			return
		case <-end.C:
			return
		case <-tick.C:
			if !write(": keepalive\n\n") || rc.Flush() != nil {
				return
			}
		case <-waking:
			// Rings that arrive within feedBatch of this one go out with
			// it in one flush.
			batch.Reset(feedBatch)
			waking = nil
		case <-batch.C:
			waking = wake
			if !c.sendBatch(write, &cursor, f) || rc.Flush() != nil {
				return
			}
		}
	}
}

// sendBatch writes the rings recorded after *cursor that f selects (the
// newest feedRows), a gap event for those left out, and moves *cursor on.
// It reports false when the connection is gone.
func (c *console) sendBatch(write func(string, ...any) bool, cursor *uint64, f ringlog.Filter) bool {
	b := c.opts.Rings.After(*cursor, f, feedRows)
	if b.Left > 0 || b.Lost > 0 {
		data, _ := json.Marshal(gapEvent{Left: b.Left, Lost: b.Lost}) // two ints
		if !write("event: gap\ndata: %s\n\n", data) {
			return false
		}
	}
	for _, rec := range b.Records {
		if !c.sendRing(write, rec) {
			return false
		}
	}
	if b.Next != *cursor && (len(b.Records) == 0 || b.Records[len(b.Records)-1].ID != b.Next) {
		// Rings were read but not sent (filtered out): the browser's
		// Last-Event-ID moves on with the cursor, so a reconnect does not
		// read them again. An event without data is not dispatched.
		if !write("id: %d\n\n", b.Next) {
			return false
		}
	}
	*cursor = b.Next
	return true
}

func (c *console) sendRing(write func(string, ...any) bool, rec ringlog.Record) bool {
	v := c.ringView(rec)
	row, err := c.renderRow(v)
	if err != nil {
		c.opts.Logger.Error("console live row failed to render", "error", err)
		return true
	}
	data, err := json.Marshal(liveEvent{ID: rec.ID, HTML: string(row), Ring: v})
	if err != nil {
		return true
	}
	return write("id: %d\nevent: ring\ndata: %s\n\n", rec.ID, data)
}
