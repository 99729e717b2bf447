package influx

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The change feed: every write of revisions also writes, per department, one point of
// <measurement>_changes (tags department and collector; fields n, the number of
// revisions, and points, their JSON) without a timestamp, so InfluxDB stamps it with its
// own clock. A replica catches up by reading the feed since the last point it saw
// (minus an overlap for writes stamped earlier but answered later), first only the
// stamps (to skip what it has), then the points it lacks: a refresh reads what changed,
// whatever the size of the history.

func (s *Store) changesM() string { return s.cfg.Measurement + "_changes" }

// changeLines renders the change points of pts, one per department.
func (s *Store) changeLines(pts []point) ([]string, error) {
	byDept := map[string][]point{}
	var depts []string
	for _, p := range pts {
		d := p.Rev.Department
		if _, ok := byDept[d]; !ok {
			depts = append(depts, d)
		}
		byDept[d] = append(byDept[d], p)
	}
	sort.Strings(depts)
	lines := make([]string, 0, len(depts))
	for _, d := range depts {
		b, err := json.Marshal(byDept[d])
		if err != nil {
			return nil, fmt.Errorf("influx: encode change point: %w", err)
		}
		var l strings.Builder
		l.Grow(len(b) + len(b)/8 + 96)
		l.WriteString(lpEscape(s.changesM(), false))
		l.WriteString("," + tagCollector + "=")
		l.WriteString(lpEscape(s.cfg.CollectorID, true))
		if d != "" {
			l.WriteString("," + tagDepartment + "=")
			l.WriteString(lpEscape(d, true))
		}
		l.WriteString(" n=" + strconv.Itoa(len(byDept[d])) + "i,points=\"")
		l.WriteString(fieldEscaper.Replace(string(b)))
		l.WriteByte('"')
		lines = append(lines, l.String())
	}
	return lines, nil
}

// round identifies one change point.
type round struct {
	t                     int64
	collector, department string
}

// catchUp reads the change feed since the mark and merges what it finds into the
// latest values, the known revisions and the key index. It returns the revisions it
// merged that are now the latest of their (indicator, period).
func (s *Store) catchUp(ctx context.Context) ([]indicators.Revision, error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.mu.Lock()
	mark := s.mark
	s.mu.Unlock()
	from := mark - int64(s.cfg.ChangeOverlap)
	cm := qlIdent(s.changesM())
	var fresh []round
	minT, maxT := int64(0), mark
	// This replica's own writes are merged as they are written: after the first catch-up
	// (which finds those made before a restart), only other replicas' are read.
	others := ""
	if s.ownSeen.Load() {
		others = " AND " + qlIdent(tagCollector) + " != " + qlString(s.cfg.CollectorID)
	}
	q := fmt.Sprintf("SELECT n, %s, %s FROM %s WHERE time > %d%s", qlIdent(tagCollector), qlIdent(tagDepartment), cm, from, others)
	err := s.ql.query(ctx, q, func(sr *qlSeries) error {
		cT, cC, cD := sr.col("time"), sr.col(tagCollector), sr.col(tagDepartment)
		for _, row := range sr.Values {
			t, _ := vInt(row[cT])
			r := round{t: t, collector: vString(row[cC])}
			if cD >= 0 {
				r.department = vString(row[cD])
			}
			maxT = max(maxT, t)
			if _, ok := s.rounds[r]; ok {
				continue
			}
			fresh = append(fresh, r)
			if minT == 0 || t < minT {
				minT = t
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var merged []indicators.Revision
	if len(fresh) > 0 {
		got, err := s.changePoints(ctx, fresh, minT, maxT, others)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		for _, p := range got {
			if s.merge(p) {
				merged = append(merged, clone(p.Rev))
			}
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range fresh {
		s.rounds[r] = struct{}{}
	}
	s.mark = maxT
	s.ownSeen.Store(true)
	for r := range s.rounds {
		if r.t <= maxT-int64(s.cfg.ChangeOverlap) {
			delete(s.rounds, r) // older than any future read
		}
	}
	return merged, nil
}

// changePoints reads the points of the fresh change rounds, which lie between minT and
// maxT (others: the condition leaving out this replica's own rounds, or "").
func (s *Store) changePoints(ctx context.Context, fresh []round, minT, maxT int64, others string) ([]point, error) {
	want := make(map[round]bool, len(fresh))
	for _, r := range fresh {
		want[r] = true
	}
	var got []point
	q := fmt.Sprintf("SELECT points, %s, %s FROM %s WHERE time >= %d AND time <= %d%s", qlIdent(tagCollector), qlIdent(tagDepartment), qlIdent(s.changesM()), minT, maxT, others)
	err := s.ql.query(ctx, q, func(sr *qlSeries) error {
		cT, cC, cD, cP := sr.col("time"), sr.col(tagCollector), sr.col(tagDepartment), sr.col("points")
		for _, row := range sr.Values {
			t, _ := vInt(row[cT])
			r := round{t: t, collector: vString(row[cC])}
			if cD >= 0 {
				r.department = vString(row[cD])
			}
			if !want[r] {
				continue
			}
			var pts []point
			if err := json.Unmarshal([]byte(vString(row[cP])), &pts); err != nil {
				s.log.Warn("unreadable change point; skipped", "collector", r.collector, "time", t, "err", err)
				continue
			}
			got = append(got, pts...)
		}
		return nil
	})
	return got, err
}

// merge takes a stored point into the latest values, the known revisions and the key
// index, and says whether it became the latest of its (indicator, period). Callers hold
// s.mu.
func (s *Store) merge(p point) bool {
	k := keyOf(p.Rev)
	s.learn(p)
	if p.Rev.IdempotencyKey != "" {
		sk := skey(p.Rev)
		if old, ok := s.keys[sk]; !ok || old.ReceivedAt.After(p.Rev.ReceivedAt) {
			s.keys[sk] = keyEntryOf(p)
		}
	}
	old, ok := s.latest[k]
	if ok && (old.Rev.Revision > p.Rev.Revision || (old.Rev.Revision == p.Rev.Revision && !old.Rev.ReceivedAt.Before(p.Rev.ReceivedAt))) {
		return false
	}
	s.latest[k] = p
	s.dirty = true
	return true
}

// keyEntry is what the key index keeps per (sender, key).
type keyEntry struct {
	indicators.Receipt
	ReceivedAt time.Time
	ID         string
	Content    uint64 // hash of what the key stands for (indicators.Report.ContentKey)
}

func keyEntryOf(p point) keyEntry {
	return keyEntry{Receipt: receiptOf(p.Rev), ReceivedAt: p.Rev.ReceivedAt, ID: p.ID, Content: contentOf(p.Rev)}
}

// contentOf hashes the content an idempotency key stands for (indicator, period, value,
// stage, percent), so that the key index keeps 8 bytes per key rather than the content:
// a retry has the same hash, a reuse for other content another one (FNV-1a, 64 bits:
// two different contents of one key collide with probability 2^-64).
func contentOf(r indicators.Revision) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(r.ContentKey())) // a hash.Hash never returns an error
	return h.Sum64()
}

// loadAll reads every stored revision (a replica starting without a snapshot): the
// latest values, the known revisions and the whole key index at once.
func (s *Store) loadAll(ctx context.Context) error {
	st, err := s.ql.serverTime(ctx)
	if err != nil {
		return err
	}
	latest := map[pkey]point{}
	known := map[pkey]int{}
	keys := map[string]keyEntry{}
	err = s.queryAll(ctx, func(p point) error {
		k := keyOf(p.Rev)
		known[k] = max(known[k], p.Rev.Revision)
		if p.Rev.IdempotencyKey != "" {
			sk := skey(p.Rev)
			if old, ok := keys[sk]; !ok || old.ReceivedAt.After(p.Rev.ReceivedAt) {
				keys[sk] = keyEntryOf(p)
			}
		}
		if old, ok := latest[k]; !ok || old.Rev.Revision < p.Rev.Revision ||
			(old.Rev.Revision == p.Rev.Revision && old.Rev.ReceivedAt.Before(p.Rev.ReceivedAt)) {
			latest[k] = p
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latest = latest
	for k, n := range known {
		s.known[k] = max(s.known[k], n)
	}
	for k, e := range keys {
		s.keys[k] = e
	}
	s.keysComplete = true
	s.ownSeen.Store(true)
	// Everything stamped from a second before the read on is read again from the feed.
	s.mark = st.Add(-time.Second).UnixNano()
	s.dirty = true
	return nil
}

// loadKeys fills the key index in the background after a start from the snapshot;
// until it is done, keys it lacks are looked up in InfluxDB.
func (s *Store) loadKeys() {
	defer close(s.keysDone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for attempt := 0; ; attempt++ {
		keys := map[string]keyEntry{}
		err := s.queryKeyIndex(ctx, func(p point) error {
			sk := skey(p.Rev)
			if old, ok := keys[sk]; !ok || old.ReceivedAt.After(p.Rev.ReceivedAt) {
				keys[sk] = keyEntryOf(p)
			}
			return nil
		})
		if err == nil {
			s.mu.Lock()
			for k, e := range keys {
				if _, ok := s.keys[k]; !ok {
					s.keys[k] = e
				}
			}
			s.keysComplete = true
			s.mu.Unlock()
			s.log.Debug("idempotency key index loaded", "keys", len(keys))
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("cannot load the idempotency key index yet; keys are looked up in InfluxDB meanwhile", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(s.cfg.RetryMax, time.Duration(attempt+1)*s.cfg.RetryMin)):
		}
	}
}

// The snapshot (latest.json): the latest values and the change feed's mark, so that a
// restarted replica reads only the feed since then, and serves the values while
// InfluxDB is away.

const snapshotFile = "latest.json"

type snapshot struct {
	Mark   int64   `json:"mark"`
	Points []point `json:"points"`
}

// loadSnapshot reads latest.json; false when there is none (or one without a mark,
// written by an older version: the latest values are then read whole).
func (s *Store) loadSnapshot() bool {
	b, err := os.ReadFile(filepath.Join(s.cfg.SpoolDir, snapshotFile))
	if err != nil {
		return false
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		var old []point // the format before the change feed: values without a mark
		if json.Unmarshal(b, &old) == nil {
			s.mu.Lock()
			for _, p := range old {
				s.merge(p)
			}
			s.mu.Unlock()
		} else {
			s.log.Warn("ignoring unreadable latest-values snapshot", "err", err)
		}
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range snap.Points {
		s.merge(p)
	}
	s.mark = snap.Mark
	s.dirty = false
	return snap.Mark > 0
}

// saveSnapshot writes latest.json when something changed and the last save is older
// than SnapshotEvery (or force). Encoding happens outside the lock.
func (s *Store) saveSnapshot(force bool) {
	s.mu.Lock()
	if !s.dirty || (!force && time.Since(s.saved) < s.cfg.SnapshotEvery) {
		s.mu.Unlock()
		return
	}
	snap := snapshot{Mark: s.mark, Points: make([]point, 0, len(s.latest))}
	for _, p := range s.latest {
		snap.Points = append(snap.Points, p)
	}
	s.dirty = false
	s.saved = time.Now()
	s.mu.Unlock()
	b, err := json.Marshal(snap)
	if err == nil {
		path := filepath.Join(s.cfg.SpoolDir, snapshotFile)
		if err = os.WriteFile(path+".new", b, 0o600); err == nil {
			err = os.Rename(path+".new", path)
		}
	}
	if err != nil {
		s.log.Warn("cannot save latest-values snapshot", "err", err)
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
	}
}
