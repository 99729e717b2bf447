package influx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/spool"
	"github.com/duban-gov/duban/indicators"
)

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("influx: store closed")

// Config configures a Store. Its LogValue never shows the token.
type Config struct {
	URL    string // required: http://influxdb:8086
	Org    string // InfluxDB 2.x organization (ignored by 1.8)
	Bucket string // required: "duban" (2.x) or "db/autogen" (1.8)
	Token  string // API token (2.x) or "user:password" (1.8 with auth); never logged
	// SpoolDir holds the spool, the collector id and the last latest values. Required;
	// one directory per collector process.
	SpoolDir string
	// Measurement is the measurement name. Default "report".
	Measurement string
	// Timeout bounds every InfluxDB call. Default 10s.
	Timeout time.Duration
	// DefaultPlan is the plan (indicators.Plan.ID) of points written before plans,
	// which have no plan tag: they are read as its revisions. duban serve gives its
	// default plan, the first listed.
	DefaultPlan string
	// Lookup gives the task number and unit of an indicator of a plan for the task and
	// unit tags. Optional.
	Lookup func(plan, indicator string) (task, unit string)
	// CollectorID names this collector in the collector tag. Default: a random id
	// created once and kept in SpoolDir.
	CollectorID string
	// RetryMin and RetryMax bound the replayer's backoff. Defaults 200ms and 10s.
	RetryMin, RetryMax time.Duration
	// ReplayPoints caps the spooled reports replayed in one lookup and one write.
	// Default 1000.
	ReplayPoints int
	// LeaseTTL is how long a department's lease lasts without renewal; another replica
	// takes a lease over after seeing it unchanged that long. It must exceed Timeout
	// (a holder starts no write later than LeaseTTL − Timeout after its claim).
	// Default 3 × Timeout.
	LeaseTTL time.Duration
	// LeaseSettle is the wait between writing a claim and reading it back, and the
	// period at which a holder answers other replicas' requests. Default 1s.
	LeaseSettle time.Duration
	// LeaseWait bounds how long an append waits for a lease another replica holds.
	// Default LeaseTTL + 4 × LeaseSettle.
	LeaseWait time.Duration
	// ChangeOverlap is how far back before its mark a catch-up reads the change feed
	// again (points are stamped when InfluxDB parses them, and may be answered up to a
	// Timeout later). Default and minimum: Timeout + 2s.
	ChangeOverlap time.Duration
	// KeyCache caps the idempotency keys kept in memory; beyond it, part of the cache
	// is dropped and read again from InfluxDB when asked. Default 2,000,000.
	KeyCache int
	// SnapshotEvery bounds how often latest.json is rewritten. Default 30s.
	SnapshotEvery time.Duration
	// CheckpointEvery is how often the holder of a department's lease writes the latest
	// values that changed since the last checkpoint (checkpoint.go); a reader without a
	// snapshot reads the change points of about that long. Default 1s.
	CheckpointEvery time.Duration
	// Feed is the change feed's encoding: "" (the database says: compact on a
	// database this version created, else the encoding every earlier version reads)
	// or FeedCompact, set once every replica sharing the database runs this version
	// (feed.go).
	Feed   string
	Logger *slog.Logger
	Now    func() time.Time
}

// LogValue shows the configuration without its token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", c.URL), slog.String("org", c.Org), slog.String("bucket", c.Bucket),
		slog.Bool("token_set", c.Token != ""), slog.String("spool_dir", c.SpoolDir),
		slog.Duration("timeout", c.Timeout),
	)
}

func (c *Config) defaults() error {
	if c.URL == "" {
		return errors.New("influx: url is required")
	}
	if c.Bucket == "" {
		return errors.New("influx: bucket is required")
	}
	if c.SpoolDir == "" {
		return errors.New("influx: spool dir is required")
	}
	if c.Measurement == "" {
		c.Measurement = "report"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 200 * time.Millisecond
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(10*time.Second, c.RetryMin)
	}
	if c.ReplayPoints <= 0 {
		c.ReplayPoints = 1000
	}
	if c.LeaseSettle <= 0 {
		c.LeaseSettle = time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 3 * c.Timeout
	}
	if c.LeaseTTL <= c.Timeout+c.LeaseSettle {
		return fmt.Errorf("influx: lease ttl %s must exceed timeout %s plus lease settle %s", c.LeaseTTL, c.Timeout, c.LeaseSettle)
	}
	if c.LeaseWait <= 0 {
		c.LeaseWait = c.LeaseTTL + 4*c.LeaseSettle
	}
	if c.ChangeOverlap < c.Timeout+2*time.Second {
		c.ChangeOverlap = c.Timeout + 2*time.Second
	}
	if c.KeyCache <= 0 {
		c.KeyCache = 2_000_000
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = time.Second
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// spooled is one batch waiting in the spool.
type spooled struct {
	seq    uint64
	points []point
}

// Store is the InfluxDB-backed collector.Store. Safe for concurrent use.
type Store struct {
	cfg    Config
	client influxdb2.Client
	writer api.WriteAPIBlocking
	ql     *ql
	spool  *spool.Spool
	log    *slog.Logger
	leases *leases

	closed     atomic.Bool
	ownSeen    atomic.Bool // the change feed was read once: later reads skip this replica's own points
	converting atomic.Bool // the data of the first schema is being converted (convert)
	compact    atomic.Bool // change points carry pz, not points (feed.go)

	qmu      sync.Mutex
	queue    []*request     // appends waiting for the next round
	queued   int            // reports in queue
	leaders  int            // Appends running rounds, at most roundsInFlight
	inflight sync.WaitGroup // appends between queueing and their result

	// wmu orders the numbering of rounds, which are then written outside it, several
	// at once (append.go: flight); the other writes of revisions and leases (replays,
	// checkpoints, releases, conversion) hold it with no round in flight (hold).
	wmu        sync.Mutex
	landed     *sync.Cond    // on wmu: a round in flight finished, or a hold ended
	flying     int           // rounds numbered and not finished; under wmu
	holding    int           // holds waiting for the rounds in flight; under wmu
	lastFlight chan struct{} // closed when the round numbered last has finished; under wmu
	cmu        sync.Mutex    // one catch-up at a time

	mu         sync.Mutex
	pending    []spooled           // the spool's batches, oldest first
	spoolKeys  map[string]keyEntry // (sender, key) of spooled points
	known      map[pkey]int        // highest revision known or reserved per (indicator, period)
	latest     map[pkey]point      // latest revision per (indicator, period) stored in InfluxDB
	keys       map[string]keyEntry // the key index's cache, (sender, key) → entry (keys.go)
	keysAll    bool                // keys holds every key InfluxDB holds
	kfull      map[kbucket]bool    // buckets whose keys are all in keys
	kmark      map[kbucket]int64   // highest time of a bucket's series, where known
	v2         bool                // the latest and key measurements hold everything stored (latest.go)
	loaded     bool                // latest is complete up to mark (else the next read loads it whole)
	mark       int64
	rounds     map[round]struct{} // change points seen within the overlap
	dirty      bool
	saved      time.Time
	lastErr    error                          // last InfluxDB failure, nil after a success
	reviews    map[revKey][]indicators.Review // reviews last read or written (reviews.go)
	fedReviews []indicators.Review            // reviews the change feed brought, for ReviewChanges
	closures   []collector.Closure            // closures last read or written (closures.go)
	journal    *journal
	unchecked  map[pkey]struct{} // latest values not yet in a checkpoint (checkpoint.go)
	flightKeys map[string]int    // (sender, key) of the rounds in flight: how many hold it
	flown      map[pkey]int64    // first arrivals stamped on rounds in flight (stampFirst)

	checked   time.Time   // last checkpoint; under wmu
	epochSeen atomic.Bool // a write carrying the checkpoint epoch was acknowledged

	writeErrors atomic.Uint64

	wake        chan struct{} // something was spooled
	back        chan struct{} // InfluxDB answered a read: retry the spool now
	stop        chan struct{}
	done        chan struct{}
	leaseDone   chan struct{}
	convertDone chan struct{}
	once        sync.Once
}

type receipt = indicators.Receipt

// Open connects to InfluxDB, opens the spool and starts its replayer. InfluxDB being
// unreachable is not an error (the store starts degraded and spools); InfluxDB refusing
// the bucket or the token is.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	sp, err := spool.Open(spool.Config{Dir: cfg.SpoolDir, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	if cfg.CollectorID == "" {
		id, err := collectorID(cfg.SpoolDir)
		if err != nil {
			return nil, errors.Join(err, sp.Close())
		}
		cfg.CollectorID = id
	}
	opts := influxdb2.DefaultOptions().SetLogLevel(0).SetHTTPRequestTimeout(uint(cfg.Timeout/time.Second) + 5) //nolint:gosec // G115: a positive duration (defaults)
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	s := &Store{
		cfg:        cfg,
		client:     client,
		writer:     client.WriteAPIBlocking(cfg.Org, cfg.Bucket),
		ql:         newQL(cfg.URL, cfg.Bucket, cfg.Token, cfg.Timeout),
		spool:      sp,
		log:        cfg.Logger.With("store", "influxdb"),
		spoolKeys:  map[string]keyEntry{},
		known:      map[pkey]int{},
		latest:     map[pkey]point{},
		unchecked:  map[pkey]struct{}{},
		flightKeys: map[string]int{},
		flown:      map[pkey]int64{},
		keys:       map[string]keyEntry{},
		kfull:      map[kbucket]bool{},
		kmark:      map[kbucket]int64{},
		rounds:     map[round]struct{}{},
		wake:       make(chan struct{}, 1),
		back:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		leaseDone:  make(chan struct{}),

		convertDone: make(chan struct{}),
	}
	s.leases = newLeases(s)
	s.landed = sync.NewCond(&s.wmu)
	for _, c := range sp.Corrupt() {
		s.log.Error("spool record damaged on disk, quarantined", "file", c)
	}
	s.loaded = s.loadSnapshot()
	if s.loaded {
		// The snapshot says the data has the second schema; make sure the database
		// still does (a database restored from an older backup would not).
		qctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		v2, err := s.readSchema(qctx)
		cancel()
		if err == nil && !v2 {
			s.log.Warn("the latest-values snapshot does not match the database; reading the latest values again")
			s.loaded, s.v2 = false, false
		}
	}
	if s.journal, err = openJournal(cfg.SpoolDir, cfg.DefaultPlan, s.known); err != nil {
		return nil, errors.Join(err, s.closeResources())
	}
	if err := s.loadSpool(); err != nil {
		return nil, errors.Join(err, s.closeResources())
	}
	if _, err := s.Latest(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("influx: first read: %w", err), s.closeResources())
	}
	go s.replayLoop() //nolint:gosec // G118: lives until Close (s.stop), past Open's context
	go s.leaseLoop()  //nolint:gosec // G118: lives until Close (s.stop), past Open's context
	s.kick()
	return s, nil
}

func collectorID(dir string) (string, error) {
	path := filepath.Join(dir, "collector-id")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	id := "c" + newID()[:10]
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("influx: write collector id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("influx: write collector id: %w", err)
	}
	return id, nil
}

// spoolRecord is the JSON of one spooled batch.
type spoolRecord struct {
	Points []point `json:"points"`
}

func (s *Store) loadSpool() error {
	for _, it := range s.spool.Items() {
		b, err := s.spool.Read(it.Seq)
		if err != nil {
			return err
		}
		var rec spoolRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("influx: spool record %d: %w", it.Seq, err)
		}
		s.addPending(spooled{seq: it.Seq, points: s.ownPlan(rec.Points)})
	}
	if n := len(s.pending); n > 0 {
		s.log.Warn("spooled batches waiting for InfluxDB", "batches", n)
	}
	return nil
}

// addPending records a spooled batch in memory. Callers hold s.mu or own s.
func (s *Store) addPending(b spooled) {
	s.pending = append(s.pending, b)
	for _, p := range b.points {
		s.learn(p)
		if p.Rev.IdempotencyKey != "" {
			s.spoolKeys[skey(p.Rev)] = keyEntryOf(p)
		}
	}
}

// learn raises the known revision of p's (indicator, period). Callers hold s.mu.
func (s *Store) learn(p point) {
	k := keyOf(p.Rev)
	if p.Rev.Revision > s.known[k] {
		s.known[k] = p.Rev.Revision
	}
}

func skey(r indicators.Revision) string { return r.Sender + "\x00" + r.IdempotencyKey }

func receiptOf(r indicators.Revision) receipt {
	return receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}
}

// written records points now in InfluxDB (their revisions are in the journal since
// before the write). Callers hold s.mu.
func (s *Store) written(pts []point) {
	for _, p := range pts {
		s.merge(p)
	}
	if err := s.journal.compact(s.known); err != nil {
		s.log.Warn("cannot compact revisions", "err", err)
	}
}

func (s *Store) spoolBatch(pts []point) error {
	b, err := json.Marshal(spoolRecord{Points: pts})
	if err != nil {
		return fmt.Errorf("influx: encode spool record: %w", err)
	}
	it, err := s.spool.Append(b)
	if err != nil {
		return fmt.Errorf("influx: InfluxDB unreachable and the spool failed: %w", err)
	}
	s.mu.Lock()
	s.addPending(spooled{seq: it.Seq, points: pts})
	s.mu.Unlock()
	s.kick()
	return nil
}

func (s *Store) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// writeParts caps the requests one write of revisions is split into, all sent at once,
// and partMin is the fewest reports of a part: a round of 1,600 reports from 16 clients
// goes as four requests of 400, which the collector renders and InfluxDB parses and
// commits in parallel (one request is parsed on one core, and waits for its own sync of
// InfluxDB's write-ahead log), rather than one of 1,600. Each part carries the change
// points of its own reports (tag part, absent on the first), so a part stored without
// the others announces only what it holds; a write of which any part failed is spooled
// whole, and the replay finds the parts stored by their ids.
const (
	writeParts = 4
	partMin    = 100
)

// write sends the points (numbered, and stamped in the key measurement when keyed),
// their entries in the key measurement, their change points, and extra lines (their
// latest values go into the next checkpoint: checkpoint.go), in up to writeParts
// requests at once. Their First is stamped (stampFirst) before.
func (s *Store) write(ctx context.Context, pts []point, extra ...string) error {
	n := min(writeParts, max(1, len(pts)/partMin))
	head := extra
	if !s.epochSeen.Load() {
		head = append(head[:len(head):len(head)], s.epochLine())
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		part := pts[i*len(pts)/n : (i+1)*len(pts)/n]
		var also []string
		if i == 0 {
			also = head
		}
		wg.Go(func() { errs[i] = s.writePart(ctx, part, i, also) })
	}
	wg.Wait()
	if err := partsError(errs); err != nil {
		return fmt.Errorf("influx: write %d points: %w", len(pts), err)
	}
	s.epochSeen.Store(true)
	return nil
}

// writePart renders and sends one part of a write (write): its points, their key
// entries, its change points and the lines also.
func (s *Store) writePart(ctx context.Context, pts []point, part int, also []string) error {
	lines := make([]string, 0, 2*len(pts)+len(also)+4)
	for i := range pts {
		lines = append(lines, pts[i].line(s.cfg.Measurement))
		if r := &pts[i].Rev; r.IdempotencyKey != "" && pts[i].KeyAt > 0 {
			lines = append(lines, keyLine(s.keysM(), r.Sender, r.IdempotencyKey, keyEntryOf(pts[i])))
		}
	}
	changes, err := s.changeLines(pts, part)
	if err != nil {
		return err
	}
	lines = append(append(lines, also...), changes...)
	return s.writeLines(ctx, lines)
}

// partsError is the error of a write's parts: a failure to retry when any part has one
// (the write is spooled whole), else the first refusal, else nil.
func partsError(errs []error) error {
	var first error
	for _, err := range errs {
		if retryable(err) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// writeLines sends line protocol in one request, within Timeout.
func (s *Store) writeLines(ctx context.Context, lines []string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.writer.WriteRecord(ctx, lines...); err != nil {
		return err
	}
	s.reachable()
	return nil
}

// retryable says whether an InfluxDB error means "try later" (unreachable, 5xx, 429,
// timeout) rather than "this request is wrong" (other 4xx, a refused query).
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrLeaseBusy) || errors.Is(err, ErrClosed) {
		return false
	}
	if errors.Is(err, errLeaseSlow) {
		return true
	}
	var he *ihttp.Error
	if errors.As(err, &he) {
		if he.StatusCode == 0 {
			return true
		}
		if strings.Contains(he.Message, "no database") || strings.Contains(he.Message, "database not found") {
			return false // InfluxDB 1.8 answers 500 for a missing bucket (2.x answers 404)
		}
		return he.StatusCode >= 500 || he.StatusCode == http.StatusTooManyRequests || he.StatusCode == http.StatusRequestTimeout
	}
	var qe *qlError
	if errors.As(err, &qe) {
		return qe.retryable()
	}
	return true // the network
}

func (s *Store) unreachable(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

func (s *Store) reachable() {
	s.mu.Lock()
	s.lastErr = nil
	s.mu.Unlock()
}

// refresh brings the latest values up to date: the change feed since the last one, or
// everything when this replica has no complete state yet. It returns the revisions that
// became latest.
func (s *Store) refresh(ctx context.Context) ([]indicators.Revision, bool, error) {
	s.mu.Lock()
	loaded := s.loaded
	s.mu.Unlock()
	if !loaded {
		if err := s.loadAll(ctx); err != nil {
			return nil, false, err
		}
		s.mu.Lock()
		s.loaded = true
		s.mu.Unlock()
		return nil, true, nil
	}
	revs, err := s.catchUp(ctx)
	return revs, false, err
}

// afterRead records the outcome of a read of InfluxDB. Callers hold s.mu.
func (s *Store) afterRead(ctx context.Context, err error) error {
	if err != nil {
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		s.lastErr = err
		return nil
	}
	s.lastErr = nil
	if len(s.pending) > 0 {
		select {
		case s.back <- struct{}{}:
		default:
		}
	}
	return nil
}

// Latest returns the latest revision of every (indicator, period): what this replica
// holds, brought up to date from InfluxDB's change feed when it answers, merged with
// the spool.
func (s *Store) Latest(ctx context.Context) ([]indicators.Revision, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	_, _, err := s.refresh(qctx)
	s.mu.Lock()
	if err := s.afterRead(ctx, err); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	out := s.latestLocked()
	s.mu.Unlock()
	s.saveSnapshot(false)
	reviews, err := s.reviewsFor(ctx, "", "")
	if err != nil {
		return nil, err
	}
	attach(out, reviews)
	return out, nil
}

// latestLocked merges the latest values with the spool. Callers hold s.mu.
func (s *Store) latestLocked() []indicators.Revision {
	m := make(map[pkey]*point, len(s.latest))
	for k := range s.latest {
		p := s.latest[k]
		m[k] = &p
	}
	for i := range s.pending {
		for j := range s.pending[i].points {
			p := &s.pending[i].points[j]
			k := keyOf(p.Rev)
			if old, ok := m[k]; !ok || p.Rev.Revision > old.Rev.Revision {
				m[k] = p
			}
		}
	}
	out := make([]indicators.Revision, 0, len(m))
	for _, p := range m {
		out = append(out, clone(p.Rev))
	}
	return out
}

// Changes implements collector.ChangeFeed: the revisions that became latest since the
// last call (from other replicas, or replayed from the spool), read from InfluxDB's
// change feed; all of them when this replica had to load everything.
func (s *Store) Changes(ctx context.Context) ([]indicators.Revision, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	revs, full, err := s.refresh(qctx)
	s.mu.Lock()
	if err := s.afterRead(ctx, err); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if full {
		revs = s.latestLocked()
	}
	s.mu.Unlock()
	s.saveSnapshot(false)
	return revs, nil
}

// History returns every revision of one indicator of one plan, from InfluxDB and the spool, in
// indicators.CompareHistory order. While InfluxDB is unreachable it returns the latest
// revision per period it last read, plus the spooled revisions.
func (s *Store) History(ctx context.Context, plan, indicator string) ([]indicators.Revision, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	out := []indicators.Revision{}
	if indicator == "" {
		return out, nil
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	pts, err := s.queryHistory(qctx, plan, indicator)
	if err != nil {
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		s.unreachable(err)
		// InfluxDB alone holds the history: serve what this replica knows, the latest
		// values of this indicator (plus the spool, below).
		pts = nil
		s.mu.Lock()
		for _, p := range s.latest {
			if p.Rev.Plan == plan && p.Rev.Indicator == indicator {
				p.Rev = clone(p.Rev)
				pts = append(pts, p)
			}
		}
		s.mu.Unlock()
	}
	seen := make(map[string]bool, len(pts))
	for _, p := range pts {
		seen[p.ID] = true
		out = append(out, p.Rev)
	}
	s.mu.Lock()
	for _, b := range s.pending {
		for _, p := range b.points {
			if p.Rev.Plan == plan && p.Rev.Indicator == indicator && !seen[p.ID] {
				out = append(out, clone(p.Rev))
			}
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(out, indicators.CompareHistory)
	reviews, err := s.reviewsFor(ctx, plan, indicator)
	if err != nil {
		return nil, err
	}
	attach(out, reviews)
	return out, nil
}

// FirstArrivals implements collector.Store: per indicator, when the first revision for
// each of the period ends arrived. Every latest value carries the first arrival of its
// (indicator, period), so after a catch-up of the change feed the answer comes from
// memory, merged with the spool; a period end with values of the first schema (whose
// first arrivals are not known) is read from InfluxDB, one read of its window.
func (s *Store) FirstArrivals(ctx context.Context, ends []time.Time) ([]indicators.Arrival, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	first := map[arrivalKey]indicators.Arrival{}
	add := func(a indicators.Arrival) {
		k := arrivalKey{a.Plan, a.Indicator, a.PeriodEnd.UnixNano()}
		if old, ok := first[k]; !ok || a.FirstReceived.Before(old.FirstReceived) {
			first[k] = a
		}
	}
	want := map[int64]bool{}
	for _, end := range ends {
		want[end.UnixNano()] = true
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	_, _, err := s.refresh(qctx)
	cancel()
	s.mu.Lock()
	if err := s.afterRead(ctx, err); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	reachable := err == nil
	unknown := s.firstArrivals(want, add)
	if !s.loaded {
		unknown = want // nothing read yet: InfluxDB alone knows
	}
	for _, b := range s.pending {
		for _, p := range b.points {
			if want[p.Rev.PeriodEnd.UnixNano()] {
				add(indicators.Arrival{Plan: p.Rev.Plan, Indicator: p.Rev.Indicator, Period: p.Rev.Period, PeriodEnd: p.Rev.PeriodEnd, FirstReceived: p.Rev.ReceivedAt})
			}
		}
	}
	s.mu.Unlock()
	away := map[int64]bool{}
	for end := range unknown {
		if !reachable {
			away[end] = true
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err := s.queryFirstArrivals(qctx, time.Unix(0, end), func(ind, per string, at time.Time) {
			// Values of the first schema, written before plans: the default plan's.
			add(indicators.Arrival{Plan: s.cfg.DefaultPlan, Indicator: ind, Period: per, PeriodEnd: time.Unix(0, end), FirstReceived: at})
		})
		cancel()
		if err != nil {
			if !retryable(err) || ctx.Err() != nil {
				return nil, err
			}
			s.unreachable(err)
			reachable = false
			away[end] = true
		}
	}
	if len(away) > 0 {
		// InfluxDB away: the latest values stand for the first arrivals they lack.
		s.mu.Lock()
		for _, p := range s.latest {
			if away[p.Rev.PeriodEnd.UnixNano()] {
				add(indicators.Arrival{Plan: p.Rev.Plan, Indicator: p.Rev.Indicator, Period: p.Rev.Period, PeriodEnd: p.Rev.PeriodEnd, FirstReceived: p.Rev.ReceivedAt})
			}
		}
		s.mu.Unlock()
	}
	out := make([]indicators.Arrival, 0, len(first))
	for _, a := range first {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b indicators.Arrival) int {
		if c := strings.Compare(a.Plan, b.Plan); c != 0 {
			return c
		}
		if c := strings.Compare(a.Indicator, b.Indicator); c != 0 {
			return c
		}
		return a.PeriodEnd.Compare(b.PeriodEnd)
	})
	return out, nil
}

type arrivalKey struct {
	plan, indicator string
	end             int64
}

// Ready implements collector.Store: the store always takes reports (it spools), and
// says "degraded" while InfluxDB is away or anything waits in the spool.
func (s *Store) Ready(context.Context) (bool, string) {
	if degraded, why := s.Degraded(); degraded {
		return true, "degraded: " + why
	}
	return true, "ok"
}

// Degraded says whether reports are being spooled instead of reaching InfluxDB, and why.
func (s *Store) Degraded() (bool, string) {
	n := s.spool.Len()
	s.mu.Lock()
	lastErr := s.lastErr
	s.mu.Unlock()
	if n > 0 {
		oldest, _ := s.spool.Oldest()
		return true, fmt.Sprintf("InfluxDB unreachable, %d batches spooled, oldest %s ago", n, s.cfg.Now().Sub(oldest).Round(time.Second))
	}
	if lastErr != nil {
		return true, "InfluxDB unreachable: " + lastErr.Error()
	}
	return false, ""
}

// SpoolDepth is the number of batches waiting for InfluxDB.
func (s *Store) SpoolDepth() int { return s.spool.Len() }

// CollectorID is the value of the collector tag this store writes.
func (s *Store) CollectorID() string { return s.cfg.CollectorID }

// Close stops the replayer after waiting for appends in flight, gives its leases back
// and saves the latest values. Spooled batches stay on disk for the next Open.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.qmu.Lock()
		s.closed.Store(true)
		s.qmu.Unlock()
		s.inflight.Wait() // appends in flight finish
		close(s.stop)
		<-s.done
		<-s.leaseDone
		if s.converting.Load() {
			<-s.convertDone
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
		s.leases.releaseAll(ctx)
		cancel()
		s.saveSnapshot(true)
		err = s.closeResources()
	})
	return err
}

func (s *Store) closeResources() error {
	s.client.Close()
	var errs []error
	if s.journal != nil {
		errs = append(errs, s.journal.close())
	}
	errs = append(errs, s.spool.Close())
	return errors.Join(errs...)
}
