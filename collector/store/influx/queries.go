package influx

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The InfluxQL reads of the report measurement. Every one names its time range or its
// indicators (a tag, answered from InfluxDB's index) except the full read of a replica
// that starts without a local snapshot.

func (s *Store) measurement() string { return qlIdent(s.cfg.Measurement) }

// queryAll reads every stored revision, in chunks, and hands each to fn: the start of
// a replica without a snapshot of its own.
func (s *Store) queryAll(ctx context.Context, fn func(point) error) error {
	return s.ql.query(ctx, "SELECT * FROM "+s.measurement(), func(sr *qlSeries) error {
		return rowPoints(sr, s.cfg.DefaultPlan, fn)
	})
}

// planCond selects the points of plan: its tag, or none for the default plan (points
// written before plans).
func (s *Store) planCond(plan string) string {
	c := qlIdent(tagPlan) + " = " + qlString(plan)
	if plan == s.cfg.DefaultPlan {
		c = "(" + c + " OR " + qlIdent(tagPlan) + " = '')"
	}
	return c
}

// queryHistory reads every revision of one indicator of one plan.
func (s *Store) queryHistory(ctx context.Context, plan, indicator string) ([]point, error) {
	var pts []point
	q := "SELECT * FROM " + s.measurement() + " WHERE " + qlIdent(tagIndicator) + " = " + qlString(indicator) + " AND " + s.planCond(plan)
	err := s.ql.query(ctx, q, func(sr *qlSeries) error {
		return rowPoints(sr, s.cfg.DefaultPlan, func(p point) error {
			pts = append(pts, p)
			return nil
		})
	})
	return pts, err
}

// stored is what InfluxDB holds of the (indicator, period)s of revs from their lowest
// spooled revision up: the highest revision number per (indicator, period), the highest
// stored by other collectors, the revision numbers stored, and the revision each point
// id was stored under.
type stored struct {
	max    map[pkey]int
	others map[pkey]int
	taken  map[pkey]map[int]bool
	ids    map[string]int
}

// clashes says whether a spooled revision rev of k must be renumbered: its number is
// stored already, or another collector stored it or a later one (a replica that took
// the lease over while this one could not write). A higher revision of this collector
// alone is no clash: it was numbered after the spooled one, by a round that reached
// InfluxDB while the spooled one could not (flight), and the spooled one fills its gap.
func (st stored) clashes(k pkey, rev int) bool {
	return st.taken[k][rev] || rev <= st.others[k]
}

// storedPerRequest is how many (indicator, period end)s one request of queryStored reads
// (one InfluxQL statement each).
const storedPerRequest = 64

// queryStored reads, for a replay from the spool, the revision numbers and ids stored
// for revs' (indicator, period)s from the lowest revision of revs up: one statement per
// (indicator, period end), several per request, each an indexed read of the revisions
// an earlier attempt of the replay (which only renumbers upwards) or another replica
// could have stored meanwhile. Not the revisions below: a period with a long history
// (a million revisions after a busy day) would be read whole at every attempt, longer
// than the timeout, and the spool would never drain. Revisions below the lowest spooled
// one cannot clash with it, so the renumbering needs only these.
func (s *Store) queryStored(ctx context.Context, revs []indicators.Revision) (stored, error) {
	out := stored{max: map[pkey]int{}, others: map[pkey]int{}, taken: map[pkey]map[int]bool{}, ids: map[string]int{}}
	type span struct {
		indicator string
		end       time.Time
	}
	low := map[span]int{}
	var spans []span
	for _, r := range revs {
		k := span{r.Indicator, r.PeriodEnd}
		if n, ok := low[k]; !ok || r.Revision < n {
			if !ok {
				spans = append(spans, k)
			}
			low[k] = r.Revision
		}
	}
	for len(spans) > 0 {
		chunk := spans[:min(len(spans), storedPerRequest)]
		spans = spans[len(chunk):]
		stmts := make([]string, len(chunk))
		for i, k := range chunk {
			from := k.end.Add(time.Duration(max(low[k], 0)) * time.Microsecond)
			stmts[i] = fmt.Sprintf("SELECT %s, %s, %s, %s, %s, %s FROM %s WHERE time >= %s AND time < %s AND %s = %s",
				qlIdent(fieldRevision), qlIdent(fieldPeriod), qlIdent(fieldID), qlIdent(tagIndicator), qlIdent(tagPlan), qlIdent(tagCollector),
				s.measurement(), qlTime(from), qlTime(k.end.Add(maxRevision*time.Microsecond+time.Second)),
				qlIdent(tagIndicator), qlString(k.indicator))
		}
		err := s.ql.query(ctx, strings.Join(stmts, "; "), func(sr *qlSeries) error {
			cRev, cPer, cID, cInd, cPlan, cCol := sr.col(fieldRevision), sr.col(fieldPeriod), sr.col(fieldID), sr.col(tagIndicator), sr.col(tagPlan), sr.col(tagCollector)
			for _, row := range sr.Values {
				rev, ok := vInt(row[cRev])
				if !ok {
					continue
				}
				plan := ""
				if cPlan >= 0 {
					plan = vString(row[cPlan])
				}
				if plan == "" {
					plan = s.cfg.DefaultPlan
				}
				k := pkey{plan, vString(row[cInd]), vString(row[cPer])}
				out.max[k] = max(out.max[k], int(rev))
				if vString(cell(row, cCol)) != s.cfg.CollectorID {
					out.others[k] = max(out.others[k], int(rev))
				}
				if out.taken[k] == nil {
					out.taken[k] = map[int]bool{}
				}
				out.taken[k][int(rev)] = true
				if id := vString(row[cID]); id != "" {
					out.ids[id] = int(rev)
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// queryFirstArrivals reads, per indicator, the earliest received_at of the revisions of
// periods ending at end (any form: 2026-03 and 2026-Q1 end together): one read of the
// period's window, whatever the number of indicators. Only for values of the first
// schema, whose first arrivals the latest values do not carry. The rows are reduced
// here: InfluxDB answers a plain selection of the window several times faster than a
// min() grouped by indicator.
func (s *Store) queryFirstArrivals(ctx context.Context, end time.Time, fn func(indicator, period string, received time.Time)) error {
	type arrival struct {
		period string
		at     int64
	}
	first := map[string]arrival{}
	q := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE time >= %s AND time < %s",
		qlIdent(fieldReceived), qlIdent(fieldPeriod), qlIdent(tagIndicator), s.measurement(),
		qlTime(end), qlTime(end.Add(maxRevision*time.Microsecond+time.Second)))
	err := s.ql.query(ctx, q, func(sr *qlSeries) error {
		cRecv, cPer, cInd := sr.col(fieldReceived), sr.col(fieldPeriod), sr.col(tagIndicator)
		for _, row := range sr.Values {
			ns, ok := vInt(cell(row, cRecv))
			ind := vString(cell(row, cInd))
			if !ok || ind == "" {
				continue
			}
			if a, seen := first[ind]; !seen || ns < a.at {
				first[ind] = arrival{vString(cell(row, cPer)), ns}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for ind, a := range first {
		fn(ind, a.period, time.Unix(0, a.at))
	}
	return nil
}
