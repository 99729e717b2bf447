package influx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/duban-gov/duban/collector/spool"
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
	// Lookup gives an indicator's task number and unit for the task and unit tags.
	// Optional.
	Lookup func(indicator string) (task, unit string)
	// CollectorID names this collector in the collector tag. Default: a random id
	// created once and kept in SpoolDir.
	CollectorID string
	// RetryMin and RetryMax bound the replayer's backoff. Defaults 200ms and 10s.
	RetryMin, RetryMax time.Duration
	// ReplayPoints caps the spooled reports replayed in one lookup and one write.
	// Default 1000.
	ReplayPoints int
	// IdempotencyCache is how many (sender, key) receipts stay in memory. Default 65536.
	IdempotencyCache int
	Logger           *slog.Logger
	Now              func() time.Time
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
	if c.IdempotencyCache <= 0 {
		c.IdempotencyCache = 65536
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
	reader api.QueryAPI
	spool  *spool.Spool
	log    *slog.Logger

	closed atomic.Bool

	qmu      sync.Mutex
	queue    []*request     // appends waiting for the next round
	leading  bool           // an Append is running rounds
	inflight sync.WaitGroup // appends between queueing and their result

	mu        sync.Mutex
	pending   []spooled        // the spool's batches, oldest first
	spoolKeys map[string]keyed // (sender, key) of spooled points
	known     map[pkey]int     // highest revision known per (indicator, period)
	lru       *lru
	cache     []point // last latest values read from InfluxDB
	cacheHash uint64
	lastErr   error // last InfluxDB failure, nil after a success
	journal   *journal

	writeErrors atomic.Uint64

	wake chan struct{} // something was spooled
	back chan struct{} // InfluxDB answered a read: retry the spool now
	stop chan struct{}
	done chan struct{}
	once sync.Once
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
			sp.Close()
			return nil, err
		}
		cfg.CollectorID = id
	}
	opts := influxdb2.DefaultOptions().SetLogLevel(0).SetHTTPRequestTimeout(uint(cfg.Timeout/time.Second) + 5)
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	s := &Store{
		cfg:       cfg,
		client:    client,
		writer:    client.WriteAPIBlocking(cfg.Org, cfg.Bucket),
		reader:    client.QueryAPI(cfg.Org),
		spool:     sp,
		log:       cfg.Logger.With("store", "influxdb"),
		spoolKeys: map[string]keyed{},
		known:     map[pkey]int{},
		lru:       newLRU(cfg.IdempotencyCache),
		wake:      make(chan struct{}, 1),
		back:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	for _, c := range sp.Corrupt() {
		s.log.Error("spool record damaged on disk, quarantined", "file", c)
	}
	s.loadSnapshot()
	if s.journal, err = openJournal(cfg.SpoolDir, s.known); err != nil {
		s.closeResources()
		return nil, err
	}
	if err := s.loadSpool(); err != nil {
		s.closeResources()
		return nil, err
	}
	if _, err := s.Latest(ctx); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("influx: first read: %w", err)
	}
	go s.replayLoop()
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
		s.addPending(spooled{seq: it.Seq, points: rec.Points})
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
			s.spoolKeys[skey(p.Rev)] = keyedOf(p.Rev)
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

// keyed is what an idempotency key was used for: its receipt and the content it stands
// for (indicators.Report.ContentKey), to tell a retry from a reuse.
type keyed struct {
	rc      receipt
	content string
}

func keyedOf(r indicators.Revision) keyed { return keyed{receiptOf(r), r.ContentKey()} }

func receiptOf(r indicators.Revision) receipt {
	return receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}
}

func pick(batch []indicators.Revision, idx []int) []indicators.Revision {
	out := make([]indicators.Revision, len(idx))
	for i, j := range idx {
		out[i] = batch[j]
	}
	return out
}

// written records points now in InfluxDB. Callers hold s.mu.
func (s *Store) written(pts []point) {
	for _, p := range pts {
		s.learn(p)
		if p.Rev.IdempotencyKey != "" {
			s.lru.put(skey(p.Rev), keyedOf(p.Rev))
		}
	}
	if err := s.journal.record(pts); err != nil {
		s.log.Warn("cannot record revisions", "err", err)
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

// write sends points to InfluxDB in one request.
func (s *Store) write(ctx context.Context, pts []point) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	lines := make([]string, len(pts))
	for i := range pts {
		lines[i] = pts[i].line(s.cfg.Measurement)
	}
	if err := s.writer.WriteRecord(ctx, lines...); err != nil {
		return fmt.Errorf("influx: write %d points: %w", len(pts), err)
	}
	s.reachable()
	return nil
}

// retryable says whether an InfluxDB error means "try later" (unreachable, 5xx, 429,
// timeout) rather than "this request is wrong" (other 4xx, a bad query).
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var he *ihttp.Error
	if errors.As(err, &he) {
		if he.StatusCode == 0 {
			return true
		}
		if strings.Contains(he.Message, "no database") || strings.Contains(he.Message, "database not found") {
			return false // InfluxDB 1.8 answers 500 for a missing bucket (2.x answers 404)
		}
		return he.StatusCode >= 500 || he.StatusCode == 429 || he.StatusCode == 408
	}
	var fe fluxError
	return !errors.As(err, &fe)
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

// Latest returns the latest revision of every (indicator, period): from InfluxDB when
// it answers (else the last values it returned), merged with the spool.
func (s *Store) Latest(ctx context.Context) ([]indicators.Revision, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	pts, err := s.queryLatest(qctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		s.lastErr = err
		pts = s.cache
	} else {
		s.lastErr = nil
		if len(s.pending) > 0 {
			select {
			case s.back <- struct{}{}:
			default:
			}
		}
		s.cache = pts
		for _, p := range pts {
			s.learn(p)
		}
		s.saveSnapshot(pts)
	}
	m := make(map[pkey]point, len(pts))
	for _, p := range pts {
		m[keyOf(p.Rev)] = p
	}
	for _, b := range s.pending {
		for _, p := range b.points {
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
	return out, nil
}

// History returns every revision of one indicator, from InfluxDB and the spool, ordered
// by period end, revision, then received time. While InfluxDB is unreachable it returns
// the latest revision per period it last read, plus the spooled revisions.
func (s *Store) History(ctx context.Context, indicator string) ([]indicators.Revision, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	out := []indicators.Revision{}
	if indicator == "" {
		return out, nil
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	pts, err := s.queryHistory(qctx, indicator)
	if err != nil {
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		s.unreachable(err)
		// InfluxDB alone holds the history: serve what this collector knows, the last
		// latest values it read of this indicator (plus the spool, below).
		pts = nil
		s.mu.Lock()
		for _, p := range s.cache {
			if p.Rev.Indicator == indicator {
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
			if p.Rev.Indicator == indicator && !seen[p.ID] {
				out = append(out, clone(p.Rev))
			}
		}
	}
	s.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.PeriodEnd.Equal(b.PeriodEnd) {
			return a.PeriodEnd.Before(b.PeriodEnd)
		}
		if a.Period != b.Period {
			return formOffset(a.Period) < formOffset(b.Period)
		}
		if a.Revision != b.Revision {
			return a.Revision < b.Revision
		}
		return a.ReceivedAt.Before(b.ReceivedAt)
	})
	return out, nil
}

// Ready implements collector.Readiness: the store always takes reports (it spools),
// and says "degraded" while InfluxDB is away or anything waits in the spool.
func (s *Store) Ready() (bool, string) {
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

// Close stops the replayer after waiting for appends in flight. Spooled batches stay on
// disk for the next Open.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.qmu.Lock()
		s.closed.Store(true)
		s.qmu.Unlock()
		s.inflight.Wait() // appends in flight finish
		close(s.stop)
		<-s.done
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

// snapshot persistence: the last latest values read from InfluxDB, so a collector
// restarted during an outage still serves them and numbers revisions above them.

const snapshotFile = "latest.json"

func (s *Store) loadSnapshot() {
	b, err := os.ReadFile(filepath.Join(s.cfg.SpoolDir, snapshotFile))
	if err != nil {
		return
	}
	var pts []point
	if err := json.Unmarshal(b, &pts); err != nil {
		s.log.Warn("ignoring unreadable latest-values snapshot", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache = pts
	for _, p := range pts {
		s.learn(p)
	}
}

// saveSnapshot writes the snapshot when it changed. Callers hold s.mu.
func (s *Store) saveSnapshot(pts []point) {
	// Every revision has its own id, so the set of ids says whether anything changed:
	// an order-free fingerprint of it avoids encoding the snapshot at every refresh.
	var sum uint64
	for _, p := range pts {
		h := fnv.New64a()
		h.Write([]byte(p.ID))
		sum += h.Sum64()
	}
	sum ^= uint64(len(pts))
	if sum == s.cacheHash {
		return
	}
	b, err := json.Marshal(pts)
	if err != nil {
		return
	}
	path := filepath.Join(s.cfg.SpoolDir, snapshotFile)
	if err := os.WriteFile(path+".new", b, 0o600); err != nil {
		s.log.Warn("cannot save latest-values snapshot", "err", err)
		return
	}
	if err := os.Rename(path+".new", path); err != nil {
		s.log.Warn("cannot save latest-values snapshot", "err", err)
		return
	}
	s.cacheHash = sum
}
