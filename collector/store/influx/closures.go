package influx

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/duban-gov/duban/collector"
)

// Plan closures (collector.Store.SetClosure) are points of their own measurement, one
// per close or reopen:
//
//	report_closure,plan=PL closed=true|false,by="admin",reason="…" <at, ns>
//
// The time is the record's own instant; a second record of one plan at the same
// instant overwrites the first, so the later written wins a tie, as the contract says.
// Like a review, a closure is written at once, never spooled (the office waits for the
// answer; an outage answers an error with nothing stored). Every replica reads the
// whole measurement at each refresh (collector.Refresh): a handful of points. What was
// read last is kept, so that a refresh while InfluxDB is away keeps the closures in force.

func (s *Store) closureM() string { return s.cfg.Measurement + "_closure" }

func closureLine(measurement string, c collector.Closure) string {
	l := lpEscape(measurement, false) + "," + tagPlan + "=" + lpEscape(c.Plan, true) + " closed=" + strconv.FormatBool(c.Closed)
	// Every field is written, empty or not: a point overwriting another at the same
	// instant merges fields, and must not keep the reason of the one it replaces.
	for _, f := range [...][2]string{{"by", c.By}, {"reason", c.Reason}} {
		l += "," + f[0] + "=\"" + fieldEscaper.Replace(f[1]) + "\""
	}
	return l + " " + strconv.FormatInt(c.At.UnixNano(), 10)
}

// SetClosure implements collector.Store: one write request.
func (s *Store) SetClosure(ctx context.Context, c collector.Closure) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if c.Plan == "" {
		return fmt.Errorf("influx: a closure needs a plan")
	}
	c.At = c.At.UTC()
	if err := s.writeLines(ctx, []string{closureLine(s.closureM(), c)}); err != nil {
		return fmt.Errorf("influx: write the closure of plan %s: %w", c.Plan, err)
	}
	s.mu.Lock()
	s.closures = keepClosure(s.closures, c)
	s.mu.Unlock()
	return nil
}

// keepClosure puts c in force among cs (the later wins a tie, c being written last).
func keepClosure(cs []collector.Closure, c collector.Closure) []collector.Closure {
	out := make([]collector.Closure, 0, len(cs)+1)
	for _, o := range cs {
		if o.Plan == c.Plan {
			if o.At.After(c.At) {
				c = o
			}
			continue
		}
		out = append(out, o)
	}
	out = append(out, c)
	sort.Slice(out, func(i, j int) bool { return out[i].Plan < out[j].Plan })
	return out
}

// Closures implements collector.Store: one read of the whole measurement; while
// InfluxDB does not answer, the closures last read or written.
func (s *Store) Closures(ctx context.Context) ([]collector.Closure, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var read []collector.Closure
	err := s.ql.query(qctx, "SELECT * FROM "+qlIdent(s.closureM()), func(sr *qlSeries) error {
		cTime, cPlan, cClosed, cBy, cWhy := sr.col("time"), sr.col(tagPlan), sr.col("closed"), sr.col("by"), sr.col("reason")
		for _, row := range sr.Values {
			ns, ok := vInt(cell(row, cTime))
			closed, isBool := cell(row, cClosed).(bool)
			if !ok || !isBool || vString(cell(row, cPlan)) == "" {
				return fmt.Errorf("influx: closure row without time, plan or closed: %v", row)
			}
			read = append(read, collector.Closure{Plan: vString(cell(row, cPlan)), Closed: closed, By: vString(cell(row, cBy)),
				At: time.Unix(0, ns).UTC(), Reason: vString(cell(row, cWhy))})
		}
		return nil
	})
	if isMissingDatabase(err) {
		err = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		s.lastErr = err
		return append([]collector.Closure{}, s.closures...), nil
	}
	sort.SliceStable(read, func(i, j int) bool { return read[i].At.Before(read[j].At) })
	var cs []collector.Closure
	for _, c := range read {
		cs = keepClosure(cs, c)
	}
	s.closures = cs
	return append([]collector.Closure{}, cs...), nil
}
