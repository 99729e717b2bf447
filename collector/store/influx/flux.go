package influx

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// fluxError is an error InfluxDB reported about a query it received (not an outage).
type fluxError struct{ err error }

func (e fluxError) Error() string { return "influx: query: " + e.err.Error() }
func (e fluxError) Unwrap() error { return e.err }

const pivot = `|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`

// from starts a query over [start, stop) of the measurement, with an extra predicate.
func (s *Store) from(start, stop time.Time, pred string) string {
	q := fmt.Sprintf("from(bucket: %s)\n  |> range(start: %s, stop: %s)\n  |> filter(fn: (r) => r._measurement == %s",
		fluxString(s.cfg.Bucket), start.UTC().Format(time.RFC3339Nano), stop.UTC().Format(time.RFC3339Nano), fluxString(s.cfg.Measurement))
	if pred != "" {
		q += " and (" + pred + ")"
	}
	return q + ")\n"
}

// query runs a Flux query and decodes every row (pivoted rows: one point each).
func (s *Store) query(ctx context.Context, flux string, row func(map[string]any) error) error {
	res, err := s.reader.Query(ctx, flux)
	if err != nil {
		if isQueryRejected(err) {
			return fluxError{err}
		}
		return err
	}
	defer res.Close()
	for res.Next() {
		if err := row(res.Record().Values()); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return err
	}
	return nil
}

func isQueryRejected(err error) bool {
	return strings.Contains(err.Error(), "error calling function") || strings.Contains(err.Error(), "compilation failed") ||
		strings.Contains(err.Error(), "type error")
}

func (s *Store) points(ctx context.Context, flux string) ([]point, error) {
	var pts []point
	err := s.query(ctx, flux, func(vals map[string]any) error {
		p, err := fromRow(vals)
		if err != nil {
			return err
		}
		pts = append(pts, p)
		return nil
	})
	return pts, err
}

// queryLatest reads the highest revision of every (indicator, period); among equal
// revisions from two collectors, the one received last.
func (s *Store) queryLatest(ctx context.Context) ([]point, error) {
	q := s.from(rangeStart, rangeStop, "") + "  " + pivot + `
  |> group(columns: ["indicator", "period"])
  |> sort(columns: ["revision", "received_at"])
  |> last(column: "revision")
  |> group()`
	return s.points(ctx, q)
}

// queryHistory reads every revision of one indicator.
func (s *Store) queryHistory(ctx context.Context, indicator string) ([]point, error) {
	q := s.from(rangeStart, rangeStop, "r.indicator == "+fluxString(indicator)) + "  " + pivot + "\n  |> group()"
	return s.points(ctx, q)
}

// windows renders a stream of the points of revs' periods: from the earliest period
// end to an hour after the latest (revision offsets stay under 1000 s), restricted to
// revs' indicators and pred. (A union of one narrow read per period end looks cheaper
// but is an order of magnitude slower in InfluxDB 1.8's Flux.)
func (s *Store) windows(revs []indicators.Revision, pred string) string {
	lo, hi := revs[0].PeriodEnd, revs[0].PeriodEnd
	for _, r := range revs[1:] {
		if r.PeriodEnd.Before(lo) {
			lo = r.PeriodEnd
		}
		if r.PeriodEnd.After(hi) {
			hi = r.PeriodEnd
		}
	}
	return s.from(lo, hi.Add(time.Hour), indicatorPredicate(revs)+" and "+pred)
}

func indicatorPredicate(revs []indicators.Revision) string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range revs {
		if !seen[r.Indicator] {
			seen[r.Indicator] = true
			ids = append(ids, r.Indicator)
		}
	}
	// One id: an equality InfluxDB pushes down to its index. Several: contains(), which
	// measured 3x faster than an "or" of equalities in InfluxDB 1.8 for batches of 100
	// and 1000 reports.
	if len(ids) == 1 {
		return "r.indicator == " + fluxString(ids[0])
	}
	return "contains(value: r.indicator, set: " + fluxSet(ids) + ")"
}

// maxRevisions asks InfluxDB for the highest revision of every (indicator, period) of
// revs. It reads only the revision field of the batch's indicators within the batch's
// periods, and recovers the period from the time (time − revision µs = period end +
// form ns), so InfluxDB does no pivot.
func (s *Store) maxRevisions(ctx context.Context, revs []indicators.Revision) (map[pkey]int, error) {
	if len(revs) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	type base struct {
		indicator string
		ns        int64
	}
	periods := map[base]string{}
	for _, r := range revs {
		periods[base{r.Indicator, r.PeriodEnd.UnixNano() + formOffset(r.Period)}] = r.Period
	}
	q := s.windows(revs, `r._field == "revision"`) + `
  |> map(fn: (r) => ({indicator: r.indicator, base: int(v: r._time) - r._value * 1000, _value: r._value}))
  |> group(columns: ["indicator", "base"])
  |> max()
  |> group()`
	out := map[pkey]int{}
	err := s.query(ctx, q, func(vals map[string]any) error {
		ind, _ := vals[tagIndicator].(string)
		ns, _ := vals["base"].(int64)
		rev, _ := vals["_value"].(int64)
		per, ok := periods[base{ind, ns}]
		if !ok {
			return nil // another period inside the window
		}
		if k := (pkey{ind, per}); int(rev) > out[k] {
			out[k] = int(rev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lookupKeys finds stored points carrying the (sender, key) of revs, by skey.
func (s *Store) lookupKeys(ctx context.Context, revs []indicators.Revision) (map[string]point, error) {
	if len(revs) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	want := map[string]bool{}
	seen := map[string]bool{}
	var keys []string
	for _, r := range revs {
		want[skey(r)] = true
		if !seen[r.IdempotencyKey] {
			seen[r.IdempotencyKey] = true
			keys = append(keys, r.IdempotencyKey)
		}
	}
	// Step 1, cheap: which points carry one of the keys (any sender)?
	q := s.from(rangeStart, rangeStop, `r._field == "idempotency_key" and contains(value: r._value, set: `+fluxSet(keys)+`)`) +
		`  |> group()
  |> keep(columns: ["_time", "indicator"])`
	type hit struct {
		indicator string
		t         time.Time
	}
	var hits []hit
	err := s.query(ctx, q, func(vals map[string]any) error {
		ind, _ := vals[tagIndicator].(string)
		t, _ := vals["_time"].(time.Time)
		hits = append(hits, hit{ind, t})
		return nil
	})
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	// Step 2, rare: read those points whole and match the sender.
	lo, hi := hits[0].t, hits[0].t
	var probe []indicators.Revision
	for _, h := range hits {
		if h.t.Before(lo) {
			lo = h.t
		}
		if h.t.After(hi) {
			hi = h.t
		}
		probe = append(probe, indicators.Revision{Report: indicators.Report{Indicator: h.indicator}})
	}
	q = s.from(lo, hi.Add(time.Nanosecond), indicatorPredicate(probe)) + "  " + pivot + `
  |> group()
  |> filter(fn: (r) => exists r.idempotency_key and contains(value: r.idempotency_key, set: ` + fluxSet(keys) + `))`
	pts, err := s.points(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string]point{}
	for _, p := range pts {
		k := skey(p.Rev)
		if !want[k] {
			continue
		}
		if old, ok := out[k]; !ok || p.Rev.ReceivedAt.Before(old.Rev.ReceivedAt) {
			out[k] = p // two collectors raced on one key: the first received is the original
		}
	}
	return out, nil
}

// presentIDs returns which of pts' ids InfluxDB already holds, with the revision each
// was stored under.
func (s *Store) presentIDs(ctx context.Context, pts []point) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	revs := make([]indicators.Revision, len(pts))
	ids := make([]string, len(pts))
	byID := map[string]point{}
	for i, p := range pts {
		revs[i], ids[i], byID[p.ID] = p.Rev, p.ID, p
	}
	q := s.windows(revs, `r._field == "id" and contains(value: r._value, set: `+fluxSet(ids)+`)`) +
		`  |> group()
  |> keep(columns: ["_time", "_value"])`
	out := map[string]int{}
	err := s.query(ctx, q, func(vals map[string]any) error {
		id, _ := vals["_value"].(string)
		t, _ := vals["_time"].(time.Time)
		p, ok := byID[id]
		if !ok {
			return nil
		}
		off := t.UnixNano() - p.Rev.PeriodEnd.UnixNano() - formOffset(p.Rev.Period)
		out[id] = int(off / revisionOffset)
		return nil
	})
	return out, err
}
