package journal

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogHandler sends River's slog records to the host's hclog logger.
// River logs routine work at INFO; it is passed on at DEBUG, so that the
// host's log keeps one line per event and action.
type hclogHandler struct{ log hclog.Logger }

func (h hclogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.log.IsDebug() || l >= slog.LevelWarn
}

func (h hclogHandler) Handle(_ context.Context, r slog.Record) error {
	args := make([]any, 0, 2*r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, a.Key, a.Value.Any())
		return true
	})
	msg := "river: " + r.Message
	switch {
	case r.Level >= slog.LevelError:
		h.log.Error(msg, args...)
	case r.Level >= slog.LevelWarn:
		h.log.Warn(msg, args...)
	default:
		h.log.Debug(msg, args...)
	}
	return nil
}

func (h hclogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	args := make([]any, 0, 2*len(attrs))
	for _, a := range attrs {
		args = append(args, a.Key, a.Value.Any())
	}
	return hclogHandler{h.log.With(args...)}
}

func (h hclogHandler) WithGroup(name string) slog.Handler { return hclogHandler{h.log.Named(name)} }
