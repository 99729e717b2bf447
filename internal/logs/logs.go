// Package logs builds duban's log/slog logger. Its level and format can change while
// the collector runs (a reload of the configuration, Logger.Set): every logger derived
// from it with With or WithGroup follows, and a record is written whole in one format
// or the other, never mixed.
package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
)

// Formats.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Logger is a *slog.Logger whose level and format Set changes. Safe for concurrent use.
type Logger struct {
	*slog.Logger
	root *root
}

// root is what every handler derived from the logger shares.
type root struct {
	w     io.Writer
	level slog.LevelVar
	base  atomic.Pointer[slog.Handler] // the text or JSON handler over w
}

// New returns a logger writing format ("text" or "json") at level ("debug", "info",
// "warn", "error") to w.
func New(w io.Writer, format, level string) (*Logger, error) {
	r := &root{w: w}
	if err := r.set(format, level); err != nil {
		return nil, err
	}
	return &Logger{Logger: slog.New(&handler{root: r}), root: r}, nil
}

// Set puts another format and level in force for every record from now on; an
// invalid one changes nothing.
func (l *Logger) Set(format, level string) error { return l.root.set(format, level) }

// Level is the level in force.
func (l *Logger) Level() slog.Level { return l.root.level.Level() }

// Check reports whether format and level are ones Set takes.
func Check(format, level string) error {
	_, err := parse(format, level)
	return err
}

func parse(format, level string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToLower(level))); err != nil {
		return lv, fmt.Errorf("log.level %q: use debug, info, warn or error", level)
	}
	if format != FormatText && format != FormatJSON {
		return lv, fmt.Errorf("log.format %q: use text or json", format)
	}
	return lv, nil
}

func (r *root) set(format, level string) error {
	lv, err := parse(format, level)
	if err != nil {
		return err
	}
	opts := &slog.HandlerOptions{Level: &r.level}
	var h slog.Handler = slog.NewTextHandler(r.w, opts)
	if format == FormatJSON {
		h = slog.NewJSONHandler(r.w, opts)
	}
	// Keep the handler when the format stays: its derived handlers stay cached.
	if old := r.base.Load(); old == nil || formatOf(*old) != format {
		r.base.Store(&h)
	}
	r.level.Set(lv)
	return nil
}

func formatOf(h slog.Handler) string {
	if _, ok := h.(*slog.JSONHandler); ok {
		return FormatJSON
	}
	return FormatText
}

// handler applies its With and WithGroup calls to the base handler in force, and
// caches the result until the base changes.
type handler struct {
	root  *root
	ops   []op
	cache atomic.Pointer[derived]
}

// op is one WithGroup (group set) or WithAttrs call.
type op struct {
	group string
	attrs []slog.Attr
}

type derived struct {
	base *slog.Handler
	h    slog.Handler
}

func (h *handler) current() slog.Handler {
	base := h.root.base.Load()
	if len(h.ops) == 0 {
		return *base
	}
	if d := h.cache.Load(); d != nil && d.base == base {
		return d.h
	}
	x := *base
	for _, o := range h.ops {
		if o.group != "" {
			x = x.WithGroup(o.group)
		} else {
			x = x.WithAttrs(o.attrs)
		}
	}
	h.cache.Store(&derived{base: base, h: x})
	return x
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.root.level.Level() }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	return h.current().Handle(ctx, r)
}

func (h *handler) with(o op) *handler {
	ops := make([]op, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &handler{root: h.root, ops: append(ops, o)}
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(op{attrs: attrs})
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(op{group: name})
}
