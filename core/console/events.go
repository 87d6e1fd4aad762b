package console

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/core/ringlog"
)

// keepalive is how often an idle live feed sends a comment, so proxies
// and the browser see it alive.
const keepalive = 15 * time.Second

// liveEvent is one ring as the live feed sends it: the row to insert
// (rendered and escaped by the server) and its data.
type liveEvent struct {
	ID   uint64   `json:"id"`
	HTML string   `json:"html"`
	Ring ringView `json:"ring"`
}

// events is the live feed: server-sent events, one "ring" event per new
// ring that the page's filters select (number, outcome, front_end). A
// browser reconnecting with Last-Event-ID first gets the rings it missed
// that the log still holds. Each connection lasts Options.MaxStream at
// most; EventSource reconnects by itself. A slow reader misses rings
// (the ring log drops for it) rather than delaying them.
func (c *console) events(w http.ResponseWriter, r *http.Request) {
	_, f := c.readFilter(r)
	f.Since, f.Until = time.Time{}, time.Time{}
	ch, cancel := c.opts.Rings.Subscribe(64)
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
	send := func(format string, args ...any) bool { return write(format, args...) && rc.Flush() == nil }
	if !send(": connected\nretry: 3000\n\n") {
		return
	}
	var last uint64
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		missed := c.opts.Rings.Recent(f, 500)
		for i := len(missed) - 1; i >= 0; i-- {
			if missed[i].ID > id && !c.sendRing(w, send, missed[i]) {
				return
			}
		}
		last = id
		if len(missed) > 0 && missed[0].ID > last {
			last = missed[0].ID
		}
	}
	tick := time.NewTicker(keepalive)
	defer tick.Stop()
	end := time.NewTimer(c.opts.MaxStream)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.opts.Done:
			return
		case <-end.C:
			return
		case <-tick.C:
			if !send(": keepalive\n\n") {
				return
			}
		case rec := <-ch:
			// Rings that arrive within feedBatch of this one go out with
			// it in one flush: under load a flush (and a syscall) per
			// ring per viewer cost the host throughput it needs for rings.
			batch := time.NewTimer(feedBatch)
			for more := true; more; {
				if rec.ID > last && f.Match(&rec) && !c.sendRing(w, write, rec) {
					batch.Stop()
					return
				}
				select {
				case rec = <-ch:
				case <-batch.C:
					more = false
				case <-r.Context().Done():
					batch.Stop()
					return
				}
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// feedBatch is how long the live feed gathers rings before it sends them:
// short enough to look live, long enough to send many rings at once.
const feedBatch = 100 * time.Millisecond

func (c *console) sendRing(_ io.Writer, send func(string, ...any) bool, rec ringlog.Record) bool {
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
	return send("id: %d\nevent: ring\ndata: %s\n\n", rec.ID, data)
}
