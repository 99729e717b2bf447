package influx

import (
	"context"
	"fmt"
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

// window renders the time condition covering the points of revs' periods: from the
// earliest period end to the latest plus the largest revision offset.
func window(revs []indicators.Revision) string {
	lo, hi := revs[0].PeriodEnd, revs[0].PeriodEnd
	for _, r := range revs[1:] {
		if r.PeriodEnd.Before(lo) {
			lo = r.PeriodEnd
		}
		if r.PeriodEnd.After(hi) {
			hi = r.PeriodEnd
		}
	}
	return "time >= " + qlTime(lo) + " AND time < " + qlTime(hi.Add(maxRevision*time.Microsecond+time.Second))
}

func indicatorsOf(revs []indicators.Revision) []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range revs {
		if !seen[r.Indicator] {
			seen[r.Indicator] = true
			ids = append(ids, r.Indicator)
		}
	}
	return ids
}

// stored is what InfluxDB holds of the (indicator, period)s of revs: every revision
// number per (indicator, period), and the revision each point id was stored under.
type stored struct {
	max map[pkey]int
	ids map[string]int
}

// queryStored reads the revision numbers and ids of revs' indicators within revs'
// periods (one indexed read), for a replay from the spool.
func (s *Store) queryStored(ctx context.Context, revs []indicators.Revision) (stored, error) {
	out := stored{max: map[pkey]int{}, ids: map[string]int{}}
	if len(revs) == 0 {
		return out, nil
	}
	q := fmt.Sprintf("SELECT %s, %s, %s, %s, %s FROM %s WHERE %s AND %s",
		qlIdent(fieldRevision), qlIdent(fieldPeriod), qlIdent(fieldID), qlIdent(tagIndicator), qlIdent(tagPlan),
		s.measurement(), window(revs), qlAnyOf(tagIndicator, indicatorsOf(revs)))
	err := s.ql.query(ctx, q, func(sr *qlSeries) error {
		cRev, cPer, cID, cInd, cPlan := sr.col(fieldRevision), sr.col(fieldPeriod), sr.col(fieldID), sr.col(tagIndicator), sr.col(tagPlan)
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
			if id := vString(row[cID]); id != "" {
				out.ids[id] = int(rev)
			}
		}
		return nil
	})
	return out, err
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
