// Package collector is the running service: it validates and authorizes reports,
// appends them to a Store, and keeps the in-memory snapshot of latest values that the
// API, the exporter, the board and the bulletin read (never the store on a hot path).
package collector

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// Principal is who sent a request: a department or the supervision office (admin).
type Principal struct {
	Department string // department id; empty for admin
	Admin      bool
}

// Name is the sender recorded in revisions: the department id or "admin".
func (p Principal) Name() string {
	if p.Admin {
		return "admin"
	}
	return p.Department
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	Catalog *indicators.Catalog // required
	Store   Store               // required
	Eval    evaluate.Config
	// ReviewRequired: only approved revisions count (review.required); see review.go.
	ReviewRequired bool
	Logger         *slog.Logger
	Now            func() time.Time
}

func (c *ServiceConfig) defaults() error {
	if c.Catalog == nil {
		return fmt.Errorf("collector: catalog is required")
	}
	if c.Catalog.Plan.Year == 0 {
		return fmt.Errorf("collector: catalog %q has no plan year; load catalogs with indicators.Load or catalogs.Load, which check them", c.Catalog.Plan.ID)
	}
	if c.Store == nil {
		return fmt.Errorf("collector: store is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Service is the collector's core. Safe for concurrent use.
type Service struct {
	cfg  ServiceConfig
	loc  *time.Location
	eval atomic.Pointer[evaluate.Config] // cfg.Eval, then what SetEvalConfig put in force

	required atomic.Bool // review.required in force

	closure atomic.Pointer[Closure] // the plan's closure record in force; nil: never closed (closure.go)

	mu       sync.RWMutex
	series   map[string][]indicators.Revision // per indicator: latest revision per period, by PeriodEnd; slices are never mutated in place
	approved map[string][]indicators.Revision // per indicator: highest approved revision per period, likewise

	counts *receivedCounters
}

// NewService builds the service and loads the snapshot from the store.
func NewService(ctx context.Context, cfg ServiceConfig) (*Service, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Service{
		cfg:      cfg,
		loc:      cfg.Catalog.Plan.Location(),
		series:   map[string][]indicators.Revision{},
		approved: map[string][]indicators.Revision{},
		counts:   newReceivedCounters(cfg.Catalog),
	}
	s.eval.Store(&cfg.Eval)
	s.required.Store(cfg.ReviewRequired)
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Catalog returns the catalog; read-only.
func (s *Service) Catalog() *indicators.Catalog { return s.cfg.Catalog }

// Location is the plan's time zone.
func (s *Service) Location() *time.Location { return s.loc }

// Now is the service clock.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// EvalConfig is the evaluation configuration the service evaluates with.
func (s *Service) EvalConfig() evaluate.Config { return *s.eval.Load() }

// SetEvalConfig puts another evaluation configuration in force (a reload of the
// configuration): every evaluation that starts from now on uses it, one already
// running finishes with the one it began with.
func (s *Service) SetEvalConfig(c evaluate.Config) { s.eval.Store(&c) }

// Ready says whether the service can accept reports, with a short detail: the store's
// (Store.Ready).
func (s *Service) Ready(ctx context.Context) (bool, string) {
	return s.cfg.Store.Ready(ctx)
}

// Reload rebuilds the snapshot from the store (at start, and on an interval for
// replicas sharing a remote store).
func (s *Service) Reload(ctx context.Context) error {
	revs, err := s.cfg.Store.Latest(ctx)
	if err != nil {
		return fmt.Errorf("load latest values: %w", err)
	}
	m := make(map[string][]indicators.Revision, len(s.cfg.Catalog.TargetIDs()))
	plan := s.cfg.Catalog.Plan.ID
	for _, r := range revs {
		if r.Plan != plan {
			continue // another plan's, served by its own service
		}
		m[r.Indicator] = append(m[r.Indicator], r)
	}
	for _, v := range m {
		sort.Slice(v, func(i, j int) bool { return v[i].PeriodEnd.Before(v[j].PeriodEnd) })
	}
	ok, err := s.cfg.Store.Approved(ctx)
	if err != nil {
		return fmt.Errorf("load approved values: %w", err)
	}
	a := map[string][]indicators.Revision{}
	for _, r := range ok {
		if r.Plan != plan {
			continue
		}
		a[r.Indicator] = append(a[r.Indicator], r)
	}
	for _, v := range a {
		sort.Slice(v, func(i, j int) bool { return v[i].PeriodEnd.Before(v[j].PeriodEnd) })
	}
	cs, err := s.cfg.Store.Closures(ctx)
	if err != nil {
		return fmt.Errorf("load plan closures: %w", err)
	}
	s.mu.Lock()
	s.series = m
	s.approved = a
	s.mu.Unlock()
	s.applyClosures(cs)
	return nil
}

// Refresh brings the snapshot up to date with a shared store: only what changed when
// the store has a change feed (collector.ChangeFeed), with the reviews it brought
// (ReviewFeed), else a whole Reload.
func (s *Service) Refresh(ctx context.Context) error { return Refresh(ctx, s.cfg.Store, s) }

// Refresh brings the snapshots of the services of several plans sharing one store up
// to date: the change feed is read once (each read returns what changed since the
// previous one, so services reading it in turn would miss each other's share) and each
// service takes its plan's revisions and reviews; without a feed, each reloads. The
// plans' closures (few records) are read whole at every refresh.
func Refresh(ctx context.Context, store Store, svcs ...*Service) error {
	feed, ok := store.(ChangeFeed)
	if !ok {
		for _, s := range svcs {
			if err := s.Reload(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	revs, err := feed.Changes(ctx)
	if err != nil {
		return fmt.Errorf("refresh latest values: %w", err)
	}
	for _, s := range svcs {
		s.applyPlan(revs)
	}
	if rf, ok := store.(ReviewFeed); ok {
		if rvs := rf.ReviewChanges(); len(rvs) > 0 {
			for _, s := range svcs {
				s.applyReviews(ctx, rvs) // each takes its plan's
			}
		}
	}
	// After what the feed brought is applied: the feed does not bring it again.
	cs, err := store.Closures(ctx)
	if err != nil {
		return fmt.Errorf("refresh plan closures: %w", err)
	}
	for _, s := range svcs {
		s.applyClosures(cs)
	}
	return nil
}

// applyPlan merges the revisions of the service's plan among revs into the snapshot.
func (s *Service) applyPlan(revs []indicators.Revision) {
	plan := s.cfg.Catalog.Plan.ID
	mine := revs[:0:0]
	for _, r := range revs {
		if r.Plan == plan {
			mine = append(mine, r)
		}
	}
	if len(mine) > 0 {
		s.apply(mine)
	}
}

// FirstArrivals asks the store, in bulk, when the first revision of every indicator's
// report for each period end arrived.
func (s *Service) FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error) {
	all, err := s.cfg.Store.FirstArrivals(ctx, periodEnds)
	if err != nil {
		return nil, err
	}
	plan := s.cfg.Catalog.Plan.ID
	out := all[:0]
	for _, a := range all {
		if a.Plan == plan {
			out = append(out, a)
		}
	}
	return out, nil
}

// Series returns one indicator's series as it counts: the latest revision per period
// ordered by PeriodEnd, or with review.required the highest approved revision per
// period (Received has what arrived). Evaluation, metrics, board and bulletins read
// this. The returned slice is immutable and shared: do not modify it.
func (s *Service) Series(id string) []indicators.Revision {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.required.Load() {
		return s.approved[id]
	}
	return s.series[id]
}

// apply merges stored revisions into the snapshot (copy-on-write per indicator: a
// series is copied once per call, and that copy, which no reader sees before the lock
// is released, takes the call's further revisions of the indicator in place).
func (s *Service) apply(revs []indicators.Revision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var owned map[string]struct{}
	if len(revs) > 1 {
		owned = make(map[string]struct{}, len(revs))
	}
	for _, r := range revs {
		next := s.series[r.Indicator]
		if _, ok := owned[r.Indicator]; !ok {
			next = append(make([]indicators.Revision, 0, len(next)+1), next...)
			if owned != nil {
				owned[r.Indicator] = struct{}{}
			}
		}
		replaced := false
		for i := range next {
			if next[i].Period == r.Period {
				if r.Revision >= next[i].Revision {
					next[i] = r
				}
				replaced = true
				break
			}
		}
		if !replaced {
			next = append(next, r)
			sort.SliceStable(next, func(i, j int) bool { return next[i].PeriodEnd.Before(next[j].PeriodEnd) })
		}
		s.series[r.Indicator] = next
	}
}

// History returns every revision of one indicator of the service's plan from the store.
func (s *Service) History(ctx context.Context, id string) ([]indicators.Revision, error) {
	return s.cfg.Store.History(ctx, s.cfg.Catalog.Plan.ID, id)
}

// Evaluate evaluates every target of the catalog at now, in catalog order.
func (s *Service) Evaluate(now time.Time) []evaluate.Result {
	return evaluate.All(s.EvalConfig(), s.cfg.Catalog, s.Series, now)
}
