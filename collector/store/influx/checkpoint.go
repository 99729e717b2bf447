package influx

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Checkpoints of the latest measurement. A round writes the report points, their key
// entries and the change points, not the latest values: those are written as a
// checkpoint, coalesced (one point per (indicator, period) whose latest value changed
// since the last checkpoint, whatever the number of revisions in between), every
// CheckpointEvery and before a lease is released, by the holder of the department's
// lease, followed by one marker point per department
//
//	report_checkpoint,department=D collector="C",n=…i   (stamped by InfluxDB)
//
// A reader of the latest measurement (a replica without a snapshot, or a catch-up of a
// department that changed more than it holds) reads the checkpoint and then, per
// department, the change points stamped after its last marker less markerSlack: the
// rounds the checkpoint may lack. A department without a marker is read from the
// checkpoint epoch on: the first point of report_schema's field "checkpoints", which
// every replica writes with its rounds until one has been acknowledged (so no round
// written by a replica that checkpoints is older than the epoch; what older replicas
// wrote, they wrote into the latest measurement with each round).
//
// Why a marker covers what precedes it: its writer holds the department's lease and has
// caught up since winning it, so its memory holds every revision stored for the
// department; a value whose latest changed since the last checkpoint is "unchecked"
// until a checkpoint holding it is acknowledged; and no checkpoint is written while
// anything is spooled (a write that timed out may have been stored; its round is then
// read after the last marker until the replay has merged it).

// markerSlack is how far before a marker a reader starts. A round the checkpoint lacks
// was sent after the checkpoint's request was answered (the holder writes one at a
// time), so InfluxDB stamped it after the marker; the slack allows for the clocks of
// a cluster's nodes.
const markerSlack = time.Second

// checkpointLines caps the lines of one checkpoint request.
const checkpointLines = 5000

func (s *Store) checkpointM() string { return s.cfg.Measurement + "_checkpoint" }

// epochLine is written with every round until one is acknowledged (write).
func (s *Store) epochLine() string { return lpEscape(s.schemaM(), false) + " checkpoints=1i" }

// checkpoint writes the unchecked latest values of the departments whose leases this
// replica holds, when CheckpointEvery has passed since the last one (or force).
func (s *Store) checkpoint(ctx context.Context, force bool) {
	s.hold()
	defer s.wmu.Unlock()
	if !force && time.Since(s.checked) < s.cfg.CheckpointEvery*9/10 { // the lease ticks jitter
		return
	}
	if err := s.checkpointLocked(ctx); err != nil {
		s.log.Debug("checkpoint of the latest values failed; retried at the next", "err", err)
	}
}

// checkpointLocked writes the checkpoint. Callers hold s.wmu.
func (s *Store) checkpointLocked(ctx context.Context) error {
	s.checked = time.Now()
	s.mu.Lock()
	if len(s.pending) > 0 || len(s.unchecked) == 0 {
		s.mu.Unlock()
		return nil
	}
	byDept := map[string][]point{}
	for k := range s.unchecked {
		p, ok := s.latest[k]
		if !ok {
			delete(s.unchecked, k)
			continue
		}
		byDept[p.Rev.Department] = append(byDept[p.Rev.Department], p)
	}
	s.mu.Unlock()
	depts := make([]string, 0, len(byDept))
	for d := range byDept {
		if s.leases.holding(leaseName(d)) {
			depts = append(depts, d)
		}
	}
	slices.Sort(depts)
	var lines []string
	var done []point
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		if err := s.writeLines(ctx, lines); err != nil {
			return err
		}
		s.mu.Lock()
		for _, p := range done {
			if cur, ok := s.latest[keyOf(p.Rev)]; ok && cur.ID == p.ID && cur.Rev.Revision == p.Rev.Revision {
				delete(s.unchecked, keyOf(p.Rev))
			}
		}
		s.mu.Unlock()
		lines, done = lines[:0], done[:0]
		return nil
	}
	for _, d := range depts {
		for _, p := range byDept[d] {
			l, err := p.latestLine(s.latestM())
			if err != nil {
				return err
			}
			lines = append(lines, l)
			done = append(done, p)
			if len(lines) >= checkpointLines {
				if err := s.flushHeld(d, flush); err != nil {
					return err
				}
			}
		}
		lines = append(lines, s.markerLine(d, len(byDept[d])))
		if len(lines) >= checkpointLines/2 {
			if err := s.flushHeld(d, flush); err != nil {
				return err
			}
		}
	}
	if len(depts) > 0 {
		return s.flushHeld(depts[len(depts)-1], flush)
	}
	return nil
}

// flushHeld runs flush while the lease of department d is still held (a checkpoint of
// earlier departments in the same request was checked when they were added).
func (s *Store) flushHeld(d string, flush func() error) error {
	if !s.leases.holding(leaseName(d)) {
		return fmt.Errorf("influx: lease of %q lost during a checkpoint", d)
	}
	return flush()
}

func (s *Store) markerLine(dept string, n int) string {
	l := lpEscape(s.checkpointM(), false)
	if dept != "" {
		l += "," + tagDepartment + "=" + lpEscape(dept, true)
	}
	return l + " " + tagCollector + "=\"" + fieldEscaper.Replace(s.cfg.CollectorID) + "\",n=" + strconv.Itoa(n) + "i"
}

// uncheck marks the latest value of k as not yet in a checkpoint. Callers hold s.mu.
func (s *Store) uncheck(k pkey) { s.unchecked[k] = struct{}{} }

// readState reads the latest values of the departments in depts (all when nil): the
// checkpoint, then the change points since each department's last marker. fed holds
// the values taken from change points (which the checkpoint lacks).
func (s *Store) readState(ctx context.Context, depts []string) (pts []point, fed map[pkey]bool, err error) {
	where := ""
	if depts != nil {
		where = " WHERE " + qlAnyOf(tagDepartment, depts)
	}
	latest := map[pkey]point{}
	fed = map[pkey]bool{}
	feeding := false
	take := func(p point) error {
		k := keyOf(p.Rev)
		if old, ok := latest[k]; !ok || newer(p, old) {
			latest[k] = p // an indicator moved to another department leaves its old series behind
			fed[k] = feeding
		}
		return nil
	}
	err = s.ql.query(ctx, "SELECT * FROM "+qlIdent(s.latestM())+where, func(sr *qlSeries) error {
		return rowLatest(sr, s.cfg.DefaultPlan, take)
	})
	if err != nil {
		return nil, nil, err
	}
	since, err := s.markers(ctx, depts, where)
	if err != nil {
		return nil, nil, err
	}
	feeding = true
	if err := s.roundsSince(ctx, since, take); err != nil {
		return nil, nil, err
	}
	pts = make([]point, 0, len(latest))
	for k, p := range latest {
		pts = append(pts, p)
		if !fed[k] {
			delete(fed, k)
		}
	}
	return pts, fed, nil
}

// markers returns, per department of depts (all when nil) that may have rounds the
// checkpoint lacks, the time from which to read its change points.
func (s *Store) markers(ctx context.Context, depts []string, where string) (map[string]int64, error) {
	epoch := int64(0)
	err := s.ql.query(ctx, "SELECT first(checkpoints) FROM "+qlIdent(s.schemaM()), func(sr *qlSeries) error {
		c := sr.col("time")
		for _, row := range sr.Values {
			if t, ok := vInt(cell(row, c)); ok {
				epoch = t
			}
		}
		return nil
	})
	if err != nil || epoch == 0 {
		return nil, err // no round written by a replica that checkpoints: the latest measurement is whole
	}
	marks := map[string]int64{}
	err = s.ql.query(ctx, "SELECT last(n) FROM "+qlIdent(s.checkpointM())+where+" GROUP BY "+qlIdent(tagDepartment), func(sr *qlSeries) error {
		c := sr.col("time")
		for _, row := range sr.Values {
			if t, ok := vInt(cell(row, c)); ok {
				marks[sr.Tags[tagDepartment]] = t
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if depts == nil {
		depts = []string{""}
		err = s.ql.query(ctx, "SHOW TAG VALUES FROM "+qlIdent(s.changesM())+" WITH KEY = "+qlIdent(tagDepartment), func(sr *qlSeries) error {
			c := sr.col("value")
			for _, row := range sr.Values {
				depts = append(depts, vString(cell(row, c)))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	since := make(map[string]int64, len(depts))
	for _, d := range depts {
		m, ok := marks[d]
		if !ok {
			m = epoch
		}
		since[d] = m - int64(markerSlack)
	}
	return since, nil
}

// roundsPerRequest is how many departments' change points one request reads (one
// InfluxQL statement each).
const roundsPerRequest = 64

// roundsSince reads the revisions of the change points of each department stamped after
// its time in since, one statement per department, several per request.
func (s *Store) roundsSince(ctx context.Context, since map[string]int64, fn func(point) error) error {
	depts := make([]string, 0, len(since))
	for d := range since {
		depts = append(depts, d)
	}
	slices.Sort(depts)
	for len(depts) > 0 {
		chunk := depts[:min(len(depts), roundsPerRequest)]
		depts = depts[len(chunk):]
		stmts := make([]string, len(chunk))
		for i, d := range chunk {
			stmts[i] = fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s = %s AND time > %d AND n > 0",
				fieldPoints, fieldPZ, qlIdent(s.changesM()), qlIdent(tagDepartment), qlString(d), since[d])
		}
		err := s.ql.query(ctx, strings.Join(stmts, "; "), func(sr *qlSeries) error {
			cP, cZ := sr.col(fieldPoints), sr.col(fieldPZ)
			for _, row := range sr.Values {
				pts, err := changeRevisions(vString(cell(row, cP)), vString(cell(row, cZ)))
				if err != nil {
					s.log.Warn("unreadable change point; skipped", "err", err)
					continue
				}
				for _, p := range s.ownPlan(pts) {
					if err := fn(p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
