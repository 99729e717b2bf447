// Package board is the status board the collector serves at "/": one server-rendered
// page (html/template, embedded assets, no JavaScript, no build step) in Chinese with a
// traffic light for every task by department, filters by department and status (query
// parameters), each indicator's trend as a small SVG with its target line, the last
// report and its note, and the completeness of the month being collected. Read-only.
// Who may read it is decided in front of it, by the API's router (auth.read): the
// board itself checks no token, and says which of its paths carry no data (Public).
package board

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"github.com/duban-gov/duban/collector"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

//go:embed assets/*.html assets/*.css
var assets embed.FS

// Source is what the board reads (implemented by *collector.Service): the catalog, the
// in-memory snapshot and its evaluation. The board never reads the store.
type Source interface {
	Catalog() *indicators.Catalog
	// EvalConfig is the evaluation configuration: the due day of the reporting
	// calendar the completeness section follows.
	EvalConfig() evaluate.Config
	Series(id string) []indicators.Revision
	Evaluate(now time.Time) []evaluate.Result
	Now() time.Time
	// Closure is the closure record in force of the plan (ok false: never closed): the
	// board of a closed plan says since when (duban plan close).
	Closure() (c collector.Closure, ok bool)
}

// Config configures the board.
type Config struct {
	Source Source // required: the default plan (the first listed)
	// Plans are the other plans served (each its own Source, as api.Config.Plans): the
	// page then shows a plan selector and reads ?plan=.
	Plans []Source
	// MaxRows is the most indicator rows one page shows (default 3000). Beyond it (a
	// province-wide catalog without a filter) the page lists departments with their
	// counts and links to their own pages.
	MaxRows int
	Logger  *slog.Logger
}

func (c *Config) defaults() error {
	if c.Source == nil {
		return errors.New("board: source is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxRows <= 0 {
		c.MaxRows = 3000
	}
	return nil
}

// Board is the http.Handler of the status board.
type Board struct {
	cfg    Config
	plans  []Source // the default first, then the others, each once
	tmpl   *template.Template
	static http.Handler
}

// New builds the board.
func New(cfg Config) (*Board, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	b := &Board{cfg: cfg, plans: []Source{cfg.Source}}
	seen := map[string]bool{cfg.Source.Catalog().Plan.ID: true}
	for _, s := range cfg.Plans {
		if id := s.Catalog().Plan.ID; !seen[id] {
			seen[id] = true
			b.plans = append(b.plans, s)
		}
	}
	t, err := template.New("board.html").Funcs(template.FuncMap{
		"query":        query,
		"overdue":      func() string { return present.OverdueWord },
		"report":       func(s string) string { return present.Report(evaluate.ReportStatus(s)).Short },
		"followUpTag":  func() string { return present.FollowUpTag },
		"followUpHint": func() string { return present.FollowUpHint },
	}).ParseFS(assets, "assets/board.html")
	if err != nil {
		return nil, fmt.Errorf("board: parse template: %w", err)
	}
	b.tmpl = t
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("board: assets: %w", err)
	}
	b.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	return b, nil
}

// Public reports whether path carries no data (the stylesheets, the favicon), so that it
// stays open when reads need a token: a page opened with ?token= then still gets its
// style, and a browser meets no password prompt for its icon.
func (b *Board) Public(path string) bool {
	return path == "/static/board.css" || path == "/static/status.css" || path == "/favicon.ico"
}

// ServeHTTP answers "/" (the board) and "/static/..." (its stylesheet).
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "只读页面 (read-only)", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/static/board.css": // no data in it (Public)
		w.Header().Set("Cache-Control", "public, max-age=300")
		b.static.ServeHTTP(w, r)
		return
	case "/static/status.css": // the status colours of package present (Public)
		h := w.Header()
		h.Set("Content-Type", "text/css; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(statusCSS) // fails only when the client went away: no one to tell
		return
	case "/favicon.ico": // answered here (Public), so that browsers do not meet an auth challenge for it
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch r.URL.Path {
	case "/", "":
		b.page(w, r)
	default:
		http.Error(w, "页面不存在 (not found)", http.StatusNotFound)
	}
}

func (b *Board) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := filter{Department: q.Get("department"), Status: q.Get("status"), Token: q.Get("token")}
	src, ok := b.plan(q.Get("plan"))
	if !ok {
		http.Error(w, fmt.Sprintf("计划“%s”不存在:本看板的计划有 %s (unknown plan)", q.Get("plan"), b.planIDs()), http.StatusNotFound)
		return
	}
	if len(b.plans) > 1 {
		f.Plan = src.Catalog().Plan.ID // every link and form of the page keeps it
	}
	cat := src.Catalog()
	if f.Department != "" {
		if _, ok := cat.Department(f.Department); !ok {
			http.Error(w, fmt.Sprintf("未知部门 %q (unknown department)", f.Department), http.StatusBadRequest)
			return
		}
	}
	if f.Status != "" && f.Status != statusUnquantified && !validStatus(f.Status) {
		http.Error(w, fmt.Sprintf("未知状态 %q (unknown status)", f.Status), http.StatusBadRequest)
		return
	}
	p, err := b.build(src, f)
	if err != nil {
		b.cfg.Logger.Warn("board: evaluation failed", "err", err)
		http.Error(w, "评估暂不可用 (evaluation unavailable)", http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := b.tmpl.Execute(&buf, p); err != nil {
		b.cfg.Logger.Error("board: render", "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK) // explicit: a router's not-found fallback may have preset 404
	_, _ = w.Write(buf.Bytes())  // fails only when the client went away: no one to tell
}

// statusCSS colours the traffic lights, badges and completeness counts with the colours
// of package present, which the bulletin, the dashboards and the alert texts use too:
// board.css holds no status colour of its own.
var statusCSS = func() []byte {
	var b strings.Builder
	b.WriteString("/* generated from package present: one colour per status and per report state */\n")
	fmt.Fprintf(&b, ".light { background: %s; }\n", present.Neutral)
	for _, v := range append(present.Views(), present.Unquantified) {
		fmt.Fprintf(&b, ".s-%s.light, .badge.s-%s { background: %s; }\n", v.Status, v.Status, v.Color)
	}
	for _, v := range present.ReportViews() {
		fmt.Fprintf(&b, ".r-%s { color: %s; }\n", v.Status, v.Color)
	}
	missing := present.Report(evaluate.Missing).Color // 逾期未报: a report missing
	fmt.Fprintf(&b, ".badge.overdue { background: #fff; color: %s; border: 1px solid %s; }\n", missing, missing)
	fmt.Fprintf(&b, ".warn { border-left: 3px solid %s; }\n", present.StatusColor(evaluate.AtRisk))
	return []byte(b.String())
}()

func validStatus(s string) bool {
	for _, st := range evaluate.Statuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// query builds "?plan=..&department=..&status=..&token=.." keeping only non-empty values.
func query(kv ...string) template.URL {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			parts = append(parts, kv[i]+"="+template.URLQueryEscaper(kv[i+1]))
		}
	}
	if len(parts) == 0 {
		return "/"
	}
	return template.URL("/?" + strings.Join(parts, "&")) //nolint:gosec // G203: our own keys, every value query-escaped above
}

// evaluate runs the evaluation, turning a panic into an error.
func evaluateSafely(src Source, now time.Time) (res []evaluate.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, fmt.Errorf("evaluate: %v", v)
		}
	}()
	return src.Evaluate(now), nil
}

// plan is the plan a page shows: the one ?plan= names (ok false when none is served
// by that id), or by default the one people mean now by the server's clock
// (indicators.CurrentOf: the current year's, else the latest past year's, else the
// default plan).
func (b *Board) plan(id string) (Source, bool) {
	if id != "" {
		for _, s := range b.plans {
			if s.Catalog().Plan.ID == id {
				return s, true
			}
		}
		return nil, false
	}
	plans := make([]indicators.Plan, len(b.plans))
	for i, s := range b.plans {
		plans[i] = s.Catalog().Plan
	}
	return b.plans[indicators.CurrentOf(b.cfg.Source.Now(), plans)], true
}

func (b *Board) planIDs() string {
	ids := make([]string, len(b.plans))
	for i, s := range b.plans {
		ids[i] = s.Catalog().Plan.ID
	}
	return strings.Join(ids, ", ")
}
