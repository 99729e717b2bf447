package influx

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The change feed: every write of revisions also writes, per department, one point of
// <measurement>_changes (tags department and collector; fields n, the number of
// revisions, keyed, how many carry an idempotency key, and points, their JSON) without
// a timestamp, so InfluxDB stamps it with its own clock. A replica catches up by
// reading the feed since its mark (minus an overlap for writes stamped earlier but
// answered later), first only the stamps (to skip what it has), then the points it
// lacks; a department whose points since then outnumber its latest values (a replica
// restarted after a burst of writes, or one that left a busy department to another
// replica for long) is read from the latest measurement instead. So a catch-up costs
// the smaller of what changed and the state of the departments that changed, whatever
// the size of the history.

func (s *Store) changesM() string { return s.cfg.Measurement + "_changes" }

// changeLines renders the change points of pts, one per department, of the given part
// of a write (store.go: write).
func (s *Store) changeLines(pts []point, part int) ([]string, error) {
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
		if part > 0 {
			l.WriteString("," + tagPart + "=" + strconv.Itoa(part))
		}
		keyed := 0
		for _, p := range byDept[d] {
			if p.Rev.IdempotencyKey != "" {
				keyed++
			}
		}
		l.WriteString(" n=" + strconv.Itoa(len(byDept[d])) + "i,keyed=" + strconv.Itoa(keyed) + "i,")
		if s.compact.Load() {
			l.WriteString(fieldPZ + "=\"" + encodePZ(b) + "\"") // base64: nothing to escape
		} else {
			l.WriteString(fieldPoints + "=\"" + fieldEscaper.Replace(string(b)) + "\"")
		}
		lines = append(lines, l.String())
	}
	return lines, nil
}

// tagPart numbers the parts of a write after the first (store.go: write), so that two
// parts' change points of one department are two series, never one point overwriting
// the other should InfluxDB stamp both in the same nanosecond.
const tagPart = "part"

// round identifies one change point.
type round struct {
	t                           int64
	collector, department, part string
}

// listed is a change point as its stamp lists it.
type listed struct {
	round
	n, keyed int // revisions and keyed revisions; keyed < 0 when not said (first schema)
}

// shortcutMin is the fewest revisions of a department in one catch-up that may be read
// from the latest measurement instead of the change points.
const shortcutMin = 256

// catchUp reads the change feed since the mark and merges what it finds into the
// latest values, the known revisions and the key index. It returns the revisions it
// merged that are now the latest of their (indicator, period).
func (s *Store) catchUp(ctx context.Context) ([]indicators.Revision, error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.mu.Lock()
	mark, v2 := s.mark, s.v2
	s.mu.Unlock()
	// This replica's own writes are merged as they are written: after the first catch-up
	// (which finds those made before a restart), only other replicas' are read.
	others := ""
	if s.ownSeen.Load() {
		others = " AND " + qlIdent(tagCollector) + " != " + qlString(s.cfg.CollectorID)
	}
	fresh, maxT, date, err := s.listRounds(ctx, mark, others)
	if err != nil {
		return nil, err
	}
	short := s.shortcuts(fresh, v2)
	got, reviews, skippedKeys, err := s.changePoints(ctx, fresh, short, maxT, others)
	if err != nil {
		return nil, err
	}
	if len(short) > 0 {
		latest, err := s.latestOf(ctx, short)
		if err != nil {
			return nil, err
		}
		got = append(got, latest...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var merged []indicators.Revision
	for _, p := range got {
		if s.merge(p) {
			merged = append(merged, clone(p.Rev))
		}
	}
	for _, rv := range reviews {
		if s.keepReview(rv) {
			s.fedReviews = append(s.fedReviews, rv)
		}
	}
	if skippedKeys {
		s.forgetKeys() // keyed revisions of others were not read: their buckets are read again
	}
	for _, l := range fresh {
		s.rounds[l.round] = struct{}{}
	}
	// Everything stamped before the answer (less a second: the Date header is to the
	// second) is merged; the next read starts an overlap earlier still.
	if !date.IsZero() {
		maxT = max(maxT, date.Add(-time.Second).UnixNano())
	}
	s.mark = max(s.mark, maxT)
	s.ownSeen.Store(true)
	for r := range s.rounds {
		if r.t <= s.mark-int64(s.cfg.ChangeOverlap) {
			delete(s.rounds, r) // older than any future read
		}
	}
	return merged, nil
}

// listRounds reads the stamps of the change feed since mark, less the overlap (others:
// the condition leaving out this replica's own rounds, or ""): the rounds not seen
// yet, the latest stamp (at least mark) and InfluxDB's clock when it answered. It
// reads the feed's encoding with them (noteFeed).
func (s *Store) listRounds(ctx context.Context, mark int64, others string) (fresh []listed, maxT int64, date time.Time, err error) {
	var feed int64
	defer func() {
		if err == nil {
			s.noteFeed(ctx, feed)
		}
	}()
	from := mark - int64(s.cfg.ChangeOverlap)
	maxT = mark
	q := fmt.Sprintf("SELECT n, keyed, %s, %s, %s FROM %s WHERE time > %d%s; %s", qlIdent(tagCollector), qlIdent(tagDepartment), qlIdent(tagPart), qlIdent(s.changesM()), from, others, s.feedQuery())
	date, err = s.ql.queryDated(ctx, q, func(sr *qlSeries) error {
		if sr.Stmt == 1 {
			for _, row := range sr.Values {
				if v, ok := vInt(cell(row, sr.col("max"))); ok {
					feed = max(feed, v)
				}
			}
			return nil
		}
		cT, cC, cD, cP, cN, cK := sr.col("time"), sr.col(tagCollector), sr.col(tagDepartment), sr.col(tagPart), sr.col("n"), sr.col("keyed")
		for _, row := range sr.Values {
			t, _ := vInt(cell(row, cT))
			r := round{t: t, collector: vString(cell(row, cC)), department: vString(cell(row, cD)), part: vString(cell(row, cP))}
			maxT = max(maxT, t)
			if _, ok := s.rounds[r]; ok {
				continue
			}
			l := listed{round: r, keyed: -1}
			if n, ok := vInt(cell(row, cN)); ok {
				l.n = int(n)
			}
			if k, ok := vInt(cell(row, cK)); ok {
				l.keyed = int(k)
			}
			fresh = append(fresh, l)
		}
		return nil
	})
	return fresh, maxT, date, err
}

// changePoints reads the points and reviews of the fresh change rounds, up to maxT,
// except the points of the departments in short (read from the latest measurement
// instead; skippedKeys says whether any of their rounds held keyed revisions, or may
// have). others is the condition leaving out this replica's own rounds, or "".
func (s *Store) changePoints(ctx context.Context, fresh []listed, short map[string]bool, maxT int64, others string) (got []point, reviews []indicators.Review, skippedKeys bool, err error) {
	want := make(map[round]bool, len(fresh))
	minT := int64(0)
	for _, l := range fresh {
		if short[l.department] && (l.n != 0 || l.keyed != 0) { // not a round of reviews alone
			skippedKeys = skippedKeys || l.keyed != 0
			continue
		}
		want[l.round] = true
		if minT == 0 || l.t < minT {
			minT = l.t
		}
	}
	if len(want) == 0 {
		return nil, nil, skippedKeys, nil
	}
	// Of the departments in short only the rounds of reviews (n = 0) are read.
	var not []string
	for d := range short {
		not = append(not, qlIdent(tagDepartment)+" != "+qlString(d))
	}
	sort.Strings(not)
	notShort := ""
	if len(not) > 0 {
		notShort = " AND ((" + strings.Join(not, " AND ") + ") OR n = 0)"
	}
	q := fmt.Sprintf("SELECT %s, %s, reviews, %s, %s, %s FROM %s WHERE time >= %d AND time <= %d%s%s", fieldPoints, fieldPZ, qlIdent(tagCollector), qlIdent(tagDepartment), qlIdent(tagPart), qlIdent(s.changesM()), minT, maxT, others, notShort)
	err = s.ql.query(ctx, q, func(sr *qlSeries) error {
		cT, cC, cD, cPart, cP, cZ, cR := sr.col("time"), sr.col(tagCollector), sr.col(tagDepartment), sr.col(tagPart), sr.col(fieldPoints), sr.col(fieldPZ), sr.col("reviews")
		for _, row := range sr.Values {
			t, _ := vInt(cell(row, cT))
			r := round{t: t, collector: vString(cell(row, cC)), department: vString(cell(row, cD)), part: vString(cell(row, cPart))}
			if !want[r] {
				continue
			}
			if raw := vString(cell(row, cR)); raw != "" {
				var rvs []indicators.Review
				if err := json.Unmarshal([]byte(raw), &rvs); err != nil {
					s.log.Warn("unreadable reviews on the change feed; skipped", "collector", r.collector, "time", t, "err", err)
				}
				for i := range rvs {
					if rvs[i].Plan == "" {
						rvs[i].Plan = s.cfg.DefaultPlan // put on the feed by a replica before plans
					}
				}
				reviews = append(reviews, rvs...)
				continue
			}
			pts, err := changeRevisions(vString(cell(row, cP)), vString(cell(row, cZ)))
			if err != nil {
				s.log.Warn("unreadable change point; skipped", "collector", r.collector, "time", t, "err", err)
				continue
			}
			got = append(got, s.ownPlan(pts)...)
		}
		return nil
	})
	return got, reviews, skippedKeys, err
}

// latestOf reads the latest values of the departments in short: their checkpoint and
// the change points since it (checkpoint.go).
func (s *Store) latestOf(ctx context.Context, short map[string]bool) ([]point, error) {
	depts := make([]string, 0, len(short))
	for d := range short {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	got, fed, err := s.readState(ctx, depts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for k := range fed {
		s.uncheck(k) // merged below only when newer than what this replica holds
	}
	s.mu.Unlock()
	s.log.Debug("caught up from the latest values", "departments", len(depts), "points", len(got))
	return got, nil
}

// shortcuts picks the departments to read from the latest measurement: those whose
// change points hold more than shortcutMin revisions and more revisions than this
// replica holds latest values of them. Only once the latest measurement is complete
// (schema 2).
func (s *Store) shortcuts(fresh []listed, v2 bool) map[string]bool {
	if !v2 {
		return nil
	}
	per := map[string]int{}
	for _, l := range fresh {
		per[l.department] += l.n
	}
	var big []string
	for d, n := range per {
		if n > shortcutMin {
			big = append(big, d)
		}
	}
	if len(big) == 0 {
		return nil
	}
	held := map[string]int{}
	s.mu.Lock()
	for _, p := range s.latest {
		held[p.Rev.Department]++
	}
	s.mu.Unlock()
	short := map[string]bool{}
	for _, d := range big {
		if per[d] > held[d] {
			short[d] = true
		}
	}
	return short
}

// merge takes a stored point into the latest values, the known revisions and the key
// index, and says whether it became the latest of its (indicator, period). Callers hold
// s.mu.
func (s *Store) merge(p point) bool {
	k := keyOf(p.Rev)
	s.learn(p)
	if p.Rev.IdempotencyKey != "" {
		s.remember(p.Rev.Sender, p.Rev.IdempotencyKey, keyEntryOf(p))
	}
	old, ok := s.latest[k]
	if ok && (old.Rev.Revision > p.Rev.Revision || (old.Rev.Revision == p.Rev.Revision && !old.Rev.ReceivedAt.Before(p.Rev.ReceivedAt))) {
		return false
	}
	s.latest[k] = p
	s.uncheck(k)
	s.dirty = true
	return true
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
