package influx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The latest measurement: <measurement>_latest holds one point per (indicator,
// period), its latest revision, overwritten in place by every write of a later one
// (same series, indicator and department tags, same time: period end + form ns). The
// holder of the department's lease writes it in the same request as the revision, so
// the order of overwrites is the order of the revisions. A replica that starts without
// a snapshot reads it instead of every revision, and a catch-up reads it for the
// departments that changed more than they hold.
//
// The schema marker: one point of <measurement>_schema, version 2, says that the
// latest and key measurements hold everything stored. A replica that finds stored
// reports but no marker (written by the first schema, which had neither) reads every
// revision once, as the first schema did, and writes both measurements from what it
// read, department by department under each lease, then the marker.

const schemaVersion = 2

func (s *Store) latestM() string { return s.cfg.Measurement + "_latest" }
func (s *Store) schemaM() string { return s.cfg.Measurement + "_schema" }

// readSchema says whether the schema marker is stored, and notes the change feed's
// encoding (noteFeed).
func (s *Store) readSchema(ctx context.Context) (bool, error) {
	found, feed := false, int64(0)
	err := s.ql.query(ctx, "SELECT max(version) FROM "+qlIdent(s.schemaM())+"; "+s.feedQuery(), func(sr *qlSeries) error {
		c := sr.col("max")
		for _, row := range sr.Values {
			v, ok := vInt(cell(row, c))
			switch {
			case !ok:
			case sr.Stmt == 1:
				feed = max(feed, v)
			case v >= schemaVersion:
				found = true
			}
		}
		return nil
	})
	if err == nil {
		s.noteFeed(ctx, feed)
	}
	return found, err
}

// writeSchema writes the schema marker; on a new database (fresh) also the compact
// change feed's: no replica of an earlier version has used it.
func (s *Store) writeSchema(ctx context.Context, fresh bool) error {
	line := lpEscape(s.schemaM(), false) + fmt.Sprintf(" version=%di", schemaVersion)
	if fresh {
		line += fmt.Sprintf(",%s=%di", fieldFeed, feedCompact)
	}
	if err := s.writeLines(ctx, []string{line}); err != nil {
		return err
	}
	if fresh {
		s.compact.Store(true)
	}
	return nil
}

// reportEmpty says whether the report measurement holds no point at all.
func (s *Store) reportEmpty(ctx context.Context) (bool, error) {
	empty := true
	err := s.ql.query(ctx, "SELECT "+qlIdent(fieldRevision)+" FROM "+s.measurement()+" LIMIT 1", func(sr *qlSeries) error {
		if len(sr.Values) > 0 {
			empty = false
		}
		return nil
	})
	return empty, err
}

// loadAll reads the latest values whole (a replica starting without a snapshot): from
// the latest measurement, or from every revision when the data predates it.
func (s *Store) loadAll(ctx context.Context) error {
	st, err := s.ql.serverTime(ctx)
	if err != nil {
		return err
	}
	v2, err := s.readSchema(ctx)
	if err != nil {
		return err
	}
	if !v2 {
		empty, err := s.reportEmpty(ctx)
		if err != nil {
			return err
		}
		if empty { // a new database: nothing to convert
			if err := s.writeSchema(ctx, true); err != nil {
				return err
			}
			v2 = true
		}
	}
	if v2 {
		return s.loadLatest(ctx, st)
	}
	return s.loadHistory(ctx, st)
}

// loadLatest reads the latest values whole: the checkpoint and the change points since
// it (checkpoint.go). Values read from the change points are not in the checkpoint yet.
func (s *Store) loadLatest(ctx context.Context, st time.Time) error {
	pts, fed, err := s.readState(ctx, nil)
	if err != nil {
		return err
	}
	latest := make(map[pkey]point, len(pts))
	for _, p := range pts {
		latest[keyOf(p.Rev)] = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latest = latest
	for k, p := range latest {
		s.known[k] = max(s.known[k], p.Rev.Revision)
	}
	for k := range fed {
		s.uncheck(k)
	}
	s.v2 = true
	s.ownSeen.Store(true)
	// Everything stamped from a second before the read on is read again from the feed.
	s.mark = st.Add(-time.Second).UnixNano()
	s.dirty = true
	return nil
}

// newer says whether p is a later revision than old of the same (indicator, period).
func newer(p, old point) bool {
	return old.Rev.Revision < p.Rev.Revision || (old.Rev.Revision == p.Rev.Revision && old.Rev.ReceivedAt.Before(p.Rev.ReceivedAt))
}

// loadHistory reads every stored revision (data of the first schema): the latest
// values with their first arrivals, the known revisions and the whole key index, then
// converts the data in the background.
func (s *Store) loadHistory(ctx context.Context, st time.Time) error {
	latest := map[pkey]point{}
	first := map[pkey]int64{}
	known := map[pkey]int{}
	keys := map[string]keyEntry{}
	err := s.queryAll(ctx, func(p point) error {
		k := keyOf(p.Rev)
		known[k] = max(known[k], p.Rev.Revision)
		if f, ok := first[k]; !ok || p.Rev.ReceivedAt.UnixNano() < f {
			first[k] = p.Rev.ReceivedAt.UnixNano()
		}
		if p.Rev.IdempotencyKey != "" {
			sk := skey(p.Rev)
			if old, ok := keys[sk]; !ok || old.ReceivedAt.After(p.Rev.ReceivedAt) {
				keys[sk] = keyEntryOf(p)
			}
		}
		if old, ok := latest[k]; !ok || newer(p, old) {
			latest[k] = p
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, p := range latest {
		p.First = first[k]
		latest[k] = p
	}
	s.mu.Lock()
	s.latest = latest
	for k, n := range known {
		s.known[k] = max(s.known[k], n)
	}
	for k, e := range keys {
		s.keys[k] = e
	}
	s.keysAll = true
	s.ownSeen.Store(true)
	s.mark = st.Add(-time.Second).UnixNano()
	s.dirty = true
	s.mu.Unlock()
	s.log.Warn("InfluxDB holds reports of the first schema: read every revision; converting them in the background",
		"values", len(latest), "keys", len(keys))
	if s.converting.CompareAndSwap(false, true) {
		go s.convert() //nolint:gosec // G118: lives until Close (s.stop), past the read that found the first schema
	}
	return nil
}

// convertLeases is how many leases one step of the conversion takes at once.
const convertLeases = 16

// convert writes the latest and key measurements for data of the first schema, a few
// leases at a time (what a department's lease covers: its latest values, and the keys
// of the sender of that name), then the schema marker. It retries until it is done or
// the store closes.
func (s *Store) convert() {
	defer close(s.convertDone)
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
		err := s.convertOnce(ctx)
		if err == nil {
			s.log.Info("converted the stored reports: latest values and idempotency keys have their measurements")
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("converting the stored reports; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(s.cfg.RetryMax, time.Duration(attempt+1)*s.cfg.RetryMin)):
		}
	}
}

func (s *Store) convertOnce(ctx context.Context) error {
	set := map[string]bool{}
	s.mu.Lock()
	for _, p := range s.latest {
		set[leaseName(p.Rev.Department)] = true
	}
	for sk := range s.keys {
		sender, _, _ := strings.Cut(sk, "\x00")
		set[leaseName(sender)] = true
	}
	s.mu.Unlock()
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	for len(names) > 0 {
		chunk := names[:min(len(names), convertLeases)]
		if err := s.convertStep(ctx, chunk); err != nil {
			return err
		}
		names = names[len(chunk):]
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.writeSchema(qctx, false); err != nil {
		return err
	}
	s.mu.Lock()
	s.v2 = true
	s.dirty = true
	s.mu.Unlock()
	return nil
}

// convertStep writes the latest values of the departments and the keys of the senders
// named, under their leases.
func (s *Store) convertStep(ctx context.Context, names []string) error {
	if _, err := s.leases.ensure(ctx, names); err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	_, err := s.catchUp(qctx)
	cancel()
	if err != nil {
		return err
	}
	s.hold()
	defer s.wmu.Unlock()
	if !s.leases.holds(names) {
		return errors.New("influx: leases lost while converting")
	}
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	lines, keys, err := s.convertible(in)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		kl, err := s.convertKeys(ctx, keys)
		if err != nil {
			return err
		}
		lines = append(lines, kl...)
	}
	const per = 5000
	for len(lines) > 0 {
		if !s.leases.holds(names) {
			return errors.New("influx: leases lost while converting")
		}
		n := min(len(lines), per)
		if err := s.writeLines(ctx, lines[:n]); err != nil {
			return err
		}
		lines = lines[n:]
	}
	return nil
}

// convKey is a key of the index to write into the key measurement.
type convKey struct {
	sender, key string
	e           keyEntry
}

// convertible returns the lines of the latest values of the departments whose leases
// are in, and the keys of the senders whose leases are in.
func (s *Store) convertible(in map[string]bool) (lines []string, keys []convKey, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.latest {
		if in[leaseName(p.Rev.Department)] {
			l, err := p.latestLine(s.latestM())
			if err != nil {
				return nil, nil, err
			}
			lines = append(lines, l)
		}
	}
	for sk, e := range s.keys {
		sender, key, _ := strings.Cut(sk, "\x00")
		if in[leaseName(sender)] {
			keys = append(keys, convKey{sender, key, e})
		}
	}
	return lines, keys, nil
}

// convertKeys stamps keys into their buckets above the highest time of every bucket of
// their senders (entries written since the second schema started, and what this
// replica stamped) and returns their lines.
func (s *Store) convertKeys(ctx context.Context, keys []convKey) ([]string, error) {
	senders := map[string]bool{}
	for _, k := range keys {
		senders[senderTag(k.sender)] = true
	}
	tags := make([]string, 0, len(senders))
	for t := range senders {
		tags = append(tags, t)
	}
	marks := map[kbucket]int64{}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	err := s.ql.query(qctx, "SELECT last("+qlIdent(fieldKey)+") FROM "+qlIdent(s.keysM())+" WHERE "+qlAnyOf(tagSender, tags)+
		" GROUP BY "+qlIdent(tagSender)+", "+qlIdent(tagBucket), func(sr *qlSeries) error {
		kb := kbucket{senderOfTag(sr.Tags[tagSender]), sr.Tags[tagBucket]}
		c := sr.col("time")
		for _, row := range sr.Values {
			if t, ok := vInt(cell(row, c)); ok {
				marks[kb] = max(marks[kb], t)
			}
		}
		return nil
	})
	cancel()
	if err != nil {
		return nil, err
	}
	lines := make([]string, 0, len(keys))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		kb := kbucket{k.sender, keyBucket(k.key)}
		if m, ok := s.kmark[kb]; ok {
			marks[kb] = max(marks[kb], m)
		}
		t := max(marks[kb]+1, s.cfg.Now().UnixNano())
		marks[kb] = t
		k.e.At = t
		lines = append(lines, keyLine(s.keysM(), k.sender, k.key, k.e))
		if cur, ok := s.keys[k.sender+"\x00"+k.key]; ok && cur.ID == k.e.ID {
			cur.At = t
			s.keys[k.sender+"\x00"+k.key] = cur
		}
	}
	for kb, t := range marks {
		s.kmark[kb] = t
	}
	return lines, nil
}

// firstOf is when the first revision of k arrived, as far as this replica knows: from
// a round in flight or its latest value, or none when nothing is stored; 0 when
// unknown (a value of the first schema, or revisions this replica has not loaded).
// Callers hold s.mu.
func (s *Store) firstOf(k pkey) (first int64, stored bool) {
	if f, ok := s.flown[k]; ok {
		return f, true // a round in flight holds it
	}
	if p, ok := s.latest[k]; ok {
		return p.First, true
	}
	if s.known[k] == 0 {
		return 0, false
	}
	return 0, true
}

// stampFirst sets First on points about to be written, in order: the earliest arrival
// of their (indicator, period) so far, from the latest values, the spool and the
// points before them. Callers hold s.mu.
func (s *Store) stampFirst(pts []point) {
	first := map[pkey]int64{}
	for i := range pts {
		k := keyOf(pts[i].Rev)
		f, seen := first[k]
		if !seen {
			var stored bool
			f, stored = s.firstOf(k)
			if !stored {
				f = -1 // nothing stored: this point is the first
			}
			for _, b := range s.pending {
				for _, q := range b.points {
					if keyOf(q.Rev) == k && f != 0 {
						f = earliest(f, q.Rev.ReceivedAt.UnixNano())
					}
				}
			}
		}
		if f != 0 {
			f = earliest(f, pts[i].Rev.ReceivedAt.UnixNano())
		}
		first[k] = f
		pts[i].First = max(f, 0)
	}
}

// earliest of two arrivals, where -1 is none.
func earliest(a, b int64) int64 {
	if a < 0 || b < a {
		return b
	}
	return a
}

// firstArrivals answers FirstArrivals from the latest values for the ends whose
// values all know their first arrival; it returns the ends it could not answer.
// Callers hold s.mu.
func (s *Store) firstArrivals(want map[int64]bool, add func(indicators.Arrival)) (unknown map[int64]bool) {
	unknown = map[int64]bool{}
	for _, p := range s.latest {
		end := p.Rev.PeriodEnd.UnixNano()
		if !want[end] {
			continue
		}
		if p.First == 0 {
			unknown[end] = true
			continue
		}
		add(indicators.Arrival{Plan: p.Rev.Plan, Indicator: p.Rev.Indicator, Period: p.Rev.Period, PeriodEnd: p.Rev.PeriodEnd, FirstReceived: time.Unix(0, p.First)})
	}
	return unknown
}
