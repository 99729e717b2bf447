package influx

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// Reviews are points of their own measurement, one per review, beside the revisions:
//
//	report_review,indicator=I,period=P,plan=PL revision=Ni,decision="approved"|"returned",
//	    comment="…",reviewer="admin" <reviewed at, ns>
//
// Reviews written before plans have no plan tag: they are the default plan's
// (Config.DefaultPlan), as the revisions of that time.
//
// The time is the review's own instant, so reviews of one (indicator, period) never
// share a point. A review is written at once, never spooled: the office presses a
// button and waits, and an outage answers an error with nothing stored (the revision
// it judges can be in the spool; the review names it by number). The replica reads
// the change feed first, so the revision judged is the latest any replica wrote.
// Reviews read back are kept in memory, so that Latest, Approved and History still
// attach them while InfluxDB is away. The write also puts, per department, a point on
// the change feed (n=0, its field reviews the reviews' JSON): other replicas read it on
// their next catch-up and hand the reviews to the service (ReviewChanges), so a review
// made through one replica reaches the others without a restart.

func (s *Store) reviewM() string { return s.cfg.Measurement + "_review" }

type revKey struct {
	plan, indicator, period string
	revision                int
}

func reviewLine(measurement string, rv indicators.Review) string {
	var b strings.Builder
	b.WriteString(lpEscape(measurement, false))
	b.WriteString("," + tagIndicator + "=" + lpEscape(rv.Indicator, true))
	b.WriteString(",period=" + lpEscape(rv.Period, true))
	if rv.Plan != "" { // a store without a default plan writes as the build before plans
		b.WriteString("," + tagPlan + "=" + lpEscape(rv.Plan, true))
	}
	b.WriteString(" revision=" + strconv.Itoa(rv.Revision) + "i")
	for _, f := range [...][2]string{{"decision", string(rv.Decision)}, {"comment", rv.Comment}, {"reviewer", rv.Reviewer}} {
		if f[1] != "" {
			b.WriteString("," + f[0] + "=\"" + fieldEscaper.Replace(f[1]) + "\"")
		}
	}
	b.WriteString(" " + strconv.FormatInt(rv.ReviewedAt.UnixNano(), 10))
	return b.String()
}

// queryReviews reads the reviews of one indicator of one plan ("": all), oldest first
// per revision.
func (s *Store) queryReviews(ctx context.Context, plan, indicator string) ([]indicators.Review, error) {
	stmt := "SELECT * FROM " + qlIdent(s.reviewM())
	if indicator != "" {
		stmt += " WHERE " + qlIdent(tagIndicator) + " = " + qlString(indicator) + " AND " + s.planCond(plan)
	}
	var out []indicators.Review
	err := s.ql.query(ctx, stmt, func(sr *qlSeries) error {
		cTime, cInd, cPer, cRev, cPlan := sr.col("time"), sr.col(tagIndicator), sr.col("period"), sr.col("revision"), sr.col(tagPlan)
		cDec, cCom, cWho := sr.col("decision"), sr.col("comment"), sr.col("reviewer")
		for _, row := range sr.Values {
			ns, ok := vInt(cell(row, cTime))
			rev, ok2 := vInt(cell(row, cRev))
			if !ok || !ok2 {
				return fmt.Errorf("influx: review row without time or revision: %v", row)
			}
			plan := vString(cell(row, cPlan))
			if plan == "" {
				plan = s.cfg.DefaultPlan // written before plans
			}
			out = append(out, indicators.Review{
				Plan: plan, Indicator: vString(cell(row, cInd)), Period: vString(cell(row, cPer)), Revision: int(rev),
				Decision: indicators.Decision(vString(cell(row, cDec))), Comment: vString(cell(row, cCom)),
				Reviewer: vString(cell(row, cWho)), ReviewedAt: time.Unix(0, ns).UTC(),
			})
		}
		return nil
	})
	if isMissingDatabase(err) {
		return nil, nil
	}
	slices.SortStableFunc(out, func(a, b indicators.Review) int { return a.ReviewedAt.Compare(b.ReviewedAt) })
	return out, err
}

// reviewsFor reads the reviews of one indicator of one plan ("": all) and keeps them;
// while InfluxDB does not answer it serves those it kept.
func (s *Store) reviewsFor(ctx context.Context, plan, indicator string) (map[revKey][]indicators.Review, error) {
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	rvs, err := s.queryReviews(qctx, plan, indicator)
	mine := func(k revKey) bool { return indicator == "" || (k.plan == plan && k.indicator == indicator) }
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		s.lastErr = err
	} else {
		if s.reviews == nil {
			s.reviews = map[revKey][]indicators.Review{}
		}
		for k := range s.reviews {
			if mine(k) {
				delete(s.reviews, k)
			}
		}
		for _, rv := range rvs {
			k := revKey{rv.Plan, rv.Indicator, rv.Period, rv.Revision}
			s.reviews[k] = append(s.reviews[k], rv)
		}
	}
	out := map[revKey][]indicators.Review{}
	for k, v := range s.reviews {
		if mine(k) {
			out[k] = slices.Clone(v)
		}
	}
	return out, nil
}

func attach(revs []indicators.Revision, m map[revKey][]indicators.Review) {
	for i := range revs {
		if v := m[revKey{revs[i].Plan, revs[i].Indicator, revs[i].Period, revs[i].Revision}]; len(v) > 0 {
			revs[i].Reviews = slices.Clone(v)
		}
	}
}

// Review implements collector.Store: the batch is one write request.
func (s *Store) Review(ctx context.Context, batch []indicators.Review) ([]indicators.Review, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	for i, rv := range batch {
		if rv.Plan != s.cfg.DefaultPlan && rv.Plan == "" || rv.Indicator == "" || rv.Period == "" || (rv.Decision != indicators.Approved && rv.Decision != indicators.Returned) {
			return nil, fmt.Errorf("influx: review %d needs a plan, an indicator, a period and a decision (approved or returned)", i)
		}
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if _, _, err := s.refresh(qctx); err != nil {
		return nil, fmt.Errorf("influx: read the change feed before a review: %w", err)
	}
	out := make([]indicators.Review, len(batch))
	lines := make([]string, len(batch), len(batch)+1)
	depts := make([]string, len(batch))
	s.mu.Lock()
	for i, rv := range batch {
		k := pkey{rv.Plan, rv.Indicator, rv.Period}
		rev := 0
		if p, ok := s.latest[k]; ok {
			rev = p.Rev.Revision
		}
		for _, b := range s.pending {
			for _, p := range b.points {
				if keyOf(p.Rev) == k && p.Rev.Revision > rev {
					rev = p.Rev.Revision
				}
			}
		}
		if rev == 0 {
			s.mu.Unlock()
			return nil, &collector.NoReportError{Index: i, Plan: rv.Plan, Indicator: rv.Indicator, Period: rv.Period}
		}
		rv.Revision = rev
		// Reviews of one (plan, indicator, period) in one batch get distinct instants.
		rv.ReviewedAt = rv.ReviewedAt.UTC().Add(time.Duration(i))
		out[i] = rv
		lines[i] = reviewLine(s.reviewM(), rv)
		depts[i] = s.departmentOf(k)
	}
	s.mu.Unlock()
	feed, err := s.reviewChangeLines(out, depts)
	if err != nil {
		return nil, err
	}
	lines = append(lines, feed...)
	if err := s.writeLines(ctx, lines); err != nil {
		return nil, fmt.Errorf("influx: write %d reviews: %w", len(lines), err)
	}
	s.mu.Lock()
	if s.reviews == nil {
		s.reviews = map[revKey][]indicators.Review{}
	}
	for _, rv := range out {
		s.keepReview(rv)
	}
	s.mu.Unlock()
	return out, nil
}

// departmentOf is the department of the latest revision of k, spooled or stored.
// Callers hold s.mu.
func (s *Store) departmentOf(k pkey) string {
	for _, b := range s.pending {
		for _, p := range b.points {
			if keyOf(p.Rev) == k {
				return p.Rev.Department
			}
		}
	}
	return s.latest[k].Rev.Department
}

// reviewChangeLines renders the change points of reviews, one per department.
func (s *Store) reviewChangeLines(rvs []indicators.Review, depts []string) ([]string, error) {
	byDept := map[string][]indicators.Review{}
	for i, rv := range rvs {
		byDept[depts[i]] = append(byDept[depts[i]], rv)
	}
	lines := make([]string, 0, len(byDept))
	for d, v := range byDept {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("influx: encode review change point: %w", err)
		}
		l := lpEscape(s.changesM(), false) + "," + tagCollector + "=" + lpEscape(s.cfg.CollectorID, true)
		if d != "" {
			l += "," + tagDepartment + "=" + lpEscape(d, true)
		}
		lines = append(lines, l+` n=0i,keyed=0i,points="[]",reviews="`+fieldEscaper.Replace(string(b))+`"`)
	}
	sort.Strings(lines)
	return lines, nil
}

// keepReview adds rv to the reviews in memory unless it is there already (the change
// feed may bring a review again), and says whether it was new. Callers hold s.mu.
func (s *Store) keepReview(rv indicators.Review) bool {
	if s.reviews == nil {
		s.reviews = map[revKey][]indicators.Review{}
	}
	rk := revKey{rv.Plan, rv.Indicator, rv.Period, rv.Revision}
	if slices.ContainsFunc(s.reviews[rk], func(o indicators.Review) bool { return o.ReviewedAt.Equal(rv.ReviewedAt) }) {
		return false
	}
	s.reviews[rk] = append(s.reviews[rk], rv)
	slices.SortStableFunc(s.reviews[rk], func(a, b indicators.Review) int { return a.ReviewedAt.Compare(b.ReviewedAt) })
	return true
}

// ReviewChanges implements collector.ReviewFeed: the reviews the change feed brought
// since the previous call (made through other replicas), oldest first.
func (s *Store) ReviewChanges() []indicators.Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.fedReviews
	s.fedReviews = nil
	slices.SortStableFunc(out, func(a, b indicators.Review) int { return a.ReviewedAt.Compare(b.ReviewedAt) })
	return out
}

// Approved implements collector.Store: one read of every review; the revision approved
// is the latest one in memory in the common case, else its indicator's history is read.
func (s *Store) Approved(ctx context.Context) ([]indicators.Revision, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	all, err := s.reviewsFor(ctx, "", "")
	if err != nil {
		return nil, err
	}
	best := map[pkey]int{}
	for k, v := range all {
		if pk := (pkey{k.plan, k.indicator, k.period}); v[len(v)-1].Decision == indicators.Approved && k.revision > best[pk] {
			best[pk] = k.revision
		}
	}
	out := []indicators.Revision{}
	type series struct{ plan, indicator string }
	older := map[series]bool{}
	done := map[pkey]bool{}
	s.mu.Lock()
	for k, rev := range best {
		if p, ok := s.latest[k]; ok && p.Rev.Revision == rev {
			out = append(out, clone(p.Rev))
			done[k] = true
		} else {
			older[series{k.plan, k.indicator}] = true
		}
	}
	s.mu.Unlock()
	for id := range older {
		hist, err := s.History(ctx, id.plan, id.indicator)
		if err != nil {
			return nil, err
		}
		for _, r := range hist {
			k := keyOf(r)
			if b, ok := best[k]; ok && b == r.Revision && !done[k] {
				r.Reviews = nil // attached below with the others
				out = append(out, r)
				done[k] = true
			}
		}
	}
	attach(out, all)
	return out, nil
}

// isMissingDatabase: a read of a database (bucket) not created yet, which holds no
// reviews rather than failing.
func isMissingDatabase(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "database not found") || strings.Contains(err.Error(), "no database") ||
		strings.Contains(err.Error(), "bucket not found"))
}
