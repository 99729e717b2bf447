package influx

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// refused says whether err is a refusal of the Store contract (nothing stored, the
// caller's batch is at fault), not an InfluxDB failure.
func refused(err error) bool {
	var ic *collector.IdempotencyConflict
	var nf *collector.NotFirstError
	return errors.As(err, &ic) || errors.As(err, &nf)
}

// request is one Append waiting for, or in, a round.
type request struct {
	batch    []indicators.Revision
	receipts []indicators.Receipt
	err      error
	done     chan struct{}
}

// maxRound caps the reports of one round (a single larger batch still goes whole).
const maxRound = 5000

// roundsInFlight caps the rounds numbered and not yet finished: while one is written to
// InfluxDB, the next is taken from the queue and numbered (flight), when it holds at
// least partMin reports (a write worth its own request). Measured with
// PARTS=writes ./bench/influx.sh (three runs each): batches of 100 at 55–64 % of the raw
// client with one round at a time, 71–75 % with two, 54–73 % with three; single reports
// lost a fifth with a second round of a few reports, hence the threshold.
const roundsInFlight = 2

// Append stores a batch: in InfluxDB when it answers, else in the spool. See the
// package documentation for numbering and idempotency.
//
// Appends are committed in rounds (group commit): a caller leads when fewer than
// roundsInFlight do, takes every batch queued meanwhile, and stores them with one
// write, numbering them in order as if they came one by one; while a round is written,
// other leaders number the next ones (flight).
// A batch canceled while queued is withdrawn (error, nothing stored); once its round
// has started it finishes (InfluxDB or spool) whatever ctx says, so no batch is ever
// half-known.
func (s *Store) Append(ctx context.Context, batch []indicators.Revision) ([]indicators.Receipt, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(batch) == 0 {
		return []indicators.Receipt{}, nil
	}
	for _, r := range batch {
		if err := checkPoint(r); err != nil {
			return nil, err
		}
	}
	req := &request{batch: batch, done: make(chan struct{})}
	s.qmu.Lock()
	if s.closed.Load() {
		s.qmu.Unlock()
		return nil, ErrClosed
	}
	s.queue = append(s.queue, req)
	s.queued += len(batch)
	lead := s.leaders == 0 || (s.leaders < roundsInFlight && s.queued >= partMin)
	if lead {
		s.leaders++
	}
	s.inflight.Add(1)
	s.qmu.Unlock()
	defer s.inflight.Done()
	if lead {
		s.lead()
	}
	select {
	case <-req.done:
	case <-ctx.Done():
		s.qmu.Lock()
		for i, q := range s.queue {
			if q == req {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				s.queued -= len(batch)
				s.qmu.Unlock()
				return nil, ctx.Err()
			}
		}
		s.qmu.Unlock()
		<-req.done // its round has started: it finishes
	}
	return req.receipts, req.err
}

// lead runs rounds until the queue is empty.
func (s *Store) lead() {
	for {
		s.qmu.Lock()
		if len(s.queue) == 0 {
			s.leaders--
			s.qmu.Unlock()
			return
		}
		n, size := 0, 0
		for n < len(s.queue) && (n == 0 || size+len(s.queue[n].batch) <= maxRound) {
			size += len(s.queue[n].batch)
			n++
		}
		round := append([]*request(nil), s.queue[:n]...)
		s.queue = append(s.queue[:0], s.queue[n:]...)
		s.queued -= size
		s.qmu.Unlock()
		s.commit(round)
		for _, r := range round {
			close(r.done)
		}
	}
}

// commit stores the batches of one round and fills their receipts or errors.
func (s *Store) commit(round []*request) {
	var all []indicators.Revision
	for _, r := range round {
		all = append(all, r.batch...)
	}
	receipts, err := s.commitAll(all)
	if err != nil && len(round) > 1 && ((!retryable(err) && !errors.Is(err, ErrLeaseBusy)) || refused(err)) {
		// InfluxDB refused the round (a 4xx), or the Store contract did (a key reused,
		// a report that must be first): find whose batch it was by retrying each, in
		// order, so that each batch is judged after the ones before it.
		for _, r := range round {
			s.commit([]*request{r})
		}
		return
	}
	off := 0
	for _, r := range round {
		if err != nil {
			r.err = err
			continue
		}
		r.receipts = receipts[off : off+len(r.batch) : off+len(r.batch)]
		off += len(r.batch)
	}
}

// errKeysMoved: the key index forgot a bucket between resolving a round's keys and
// numbering it (a catch-up skipped keyed revisions of other replicas); the round is
// resolved again.
var errKeysMoved = errors.New("influx: key index changed while numbering")

// commitAll numbers and stores the elements of a round, in order. Straight to InfluxDB
// it needs the latest values loaded and the leases of the round's departments (and of
// the senders whose keys it checks); numbering and key checks are then local, but for
// key buckets not read yet. When InfluxDB is away (or anything is spooled already),
// the round is numbered from what this replica knows and spooled.
func (s *Store) commitAll(batch []indicators.Revision) ([]indicators.Receipt, error) {
	names := batchLeases(batch)
	for attempt := 0; ; attempt++ {
		slow := false // InfluxDB answers, too slowly to trust a lease claim
		s.mu.Lock()
		direct := len(s.pending) == 0
		loaded := s.loaded
		s.mu.Unlock()
		if direct && !loaded {
			// Started while InfluxDB was away: read the latest values first.
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
			_, _, err := s.refresh(ctx)
			cancel()
			if err != nil && !retryable(err) {
				return nil, err
			}
			if err != nil {
				s.noteFailure("InfluxDB unreadable; spooling the batch", err)
				direct = false
			}
		}
		if direct {
			fresh, err := s.leases.ensure(context.Background(), names)
			switch {
			case err == nil && fresh:
				// Newly acquired: learn what the previous holders wrote.
				ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
				_, err = s.catchUp(ctx)
				cancel()
				if err != nil && !retryable(err) {
					return nil, err
				}
				if err != nil {
					s.noteFailure("InfluxDB change feed unreadable; spooling the batch", err)
					direct = false
				}
			case err == nil:
			case retryable(err):
				s.noteFailure("InfluxDB lease unreachable; spooling the batch", err)
				direct, slow = false, errors.Is(err, errLeaseSlow)
			default:
				return nil, err
			}
		}
		s.wmu.Lock()
		s.waitForTakeOff(batch)
		if direct && !s.leases.holds(names) && attempt < 3 {
			s.wmu.Unlock() // released between ensure and now: ask again
			continue
		}
		receipts, pts, direct, err := s.number(batch, direct, slow)
		if errors.Is(err, errKeysMoved) {
			s.wmu.Unlock()
			if attempt < 5 {
				continue
			}
			s.wmu.Lock()
			s.waitForTakeOff(batch)
			receipts, pts, direct, err = s.number(batch, false, slow)
		}
		if err != nil || len(pts) == 0 {
			s.wmu.Unlock()
			return receipts, err
		}
		f, err := s.takeOff(pts, direct)
		s.wmu.Unlock()
		if err != nil {
			return nil, err
		}
		if err := s.fly(f); err != nil {
			return nil, err
		}
		return receipts, nil
	}
}

// flight is a numbered round on its way: written to InfluxDB (direct) or spooled. Rounds
// are written at once, each in its own time, and finish (their points taken into the
// latest values, or spooled) in the order they were numbered, so that the spool keeps
// that order. A round numbered after one still in flight may reach InfluxDB before it,
// and stay there if the earlier one is spooled: the replay then writes the earlier
// one's lower revisions as they are (replay: a revision of this collector above it is a
// later report, not a clash).
type flight struct {
	pts    []point
	direct bool
	prev   <-chan struct{} // closed when the round numbered before has finished
	done   chan struct{}
}

// waitForTakeOff waits until batch may be numbered: no hold (a replay, a checkpoint, a
// release) is waiting for the rounds in flight to land, and no round in flight carries
// one of its idempotency keys (a retry waits for the first attempt's outcome: stored,
// spooled or refused). Callers hold s.wmu.
func (s *Store) waitForTakeOff(batch []indicators.Revision) {
	for s.holding > 0 || s.keysFlying(batch) {
		s.landed.Wait()
	}
}

// keysFlying says whether a round in flight carries a key of batch.
func (s *Store) keysFlying(batch []indicators.Revision) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flightKeys) == 0 {
		return false
	}
	for _, r := range batch {
		if r.IdempotencyKey != "" && s.flightKeys[skey(r)] > 0 {
			return true
		}
	}
	return false
}

// hold takes s.wmu once no round is in flight; new rounds wait until it is released.
func (s *Store) hold() {
	s.wmu.Lock()
	s.holding++
	for s.flying > 0 {
		s.landed.Wait()
	}
	s.holding--
	s.landed.Broadcast() // rounds waiting for the hold wait for s.wmu now
}

// takeOff puts a numbered round in flight. Going straight to InfluxDB, its numbers are
// reserved in the journal first: a collector killed after the write but before its 201
// would otherwise, restarted during an outage, give the next report a revision InfluxDB
// already has, and the replay would renumber an acknowledged receipt. A reserved number
// whose write never lands leaves a gap, never a clash. Callers hold s.wmu.
func (s *Store) takeOff(pts []point, direct bool) (*flight, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if direct {
		if err := s.journal.record(pts); err != nil {
			return nil, err
		}
	}
	f := &flight{pts: pts, direct: direct, prev: s.lastFlight, done: make(chan struct{})}
	s.lastFlight = f.done
	s.flying++
	for _, p := range pts {
		if p.Rev.IdempotencyKey != "" {
			s.flightKeys[skey(p.Rev)]++
		}
	}
	return f, nil
}

// fly writes a round to InfluxDB (or spools it when InfluxDB is away), after the
// round before has finished takes it into the latest values or spools it, and lands.
func (s *Store) fly(f *flight) error {
	var err error
	if f.direct {
		if err = s.write(context.Background(), f.pts); err != nil {
			s.writeErrors.Add(1)
			if retryable(err) {
				s.unreachable(err)
				s.log.Warn("InfluxDB write failed; spooling the batch", "reports", len(f.pts), "err", err)
			}
		}
	}
	if f.prev != nil {
		<-f.prev
	}
	switch {
	case f.direct && err == nil:
		s.mu.Lock()
		s.written(f.pts)
		s.mu.Unlock()
	case !f.direct || retryable(err):
		err = s.spoolBatch(f.pts)
	}
	close(f.done)
	s.wmu.Lock()
	s.flying--
	s.mu.Lock()
	for _, p := range f.pts {
		if p.Rev.IdempotencyKey != "" {
			if s.flightKeys[skey(p.Rev)]--; s.flightKeys[skey(p.Rev)] <= 0 {
				delete(s.flightKeys, skey(p.Rev))
			}
		}
	}
	if s.flying == 0 {
		clear(s.flown)
	}
	s.mu.Unlock()
	s.landed.Broadcast()
	s.wmu.Unlock()
	return err
}

// batchLeases are the leases a batch needs: the departments of its indicators, and the
// senders of its keyed reports (a department's keys are its own; the admin's lease is
// named after it).
func batchLeases(batch []indicators.Revision) []string {
	set := map[string]bool{}
	for _, r := range batch {
		set[leaseName(r.Department)] = true
		if r.IdempotencyKey != "" {
			set[leaseName(r.Sender)] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// leaseName is the lease of a department or sender; reports without one (tools
// writing to the store directly) share the lease "-" (a tag value cannot be empty).
func leaseName(name string) string {
	if name == "" {
		return "-"
	}
	return name
}

func (s *Store) noteFailure(msg string, err error) {
	s.unreachable(err)
	s.writeErrors.Add(1)
	s.log.Warn(msg, "err", err)
}

// number numbers the elements of a round by the Store contract's rules
// (collector.Number) from what this replica knows (complete for the leases it holds),
// reading first the key buckets of keys it has not seen (resolveKeys). It returns one
// receipt per element and the points to store (replays excluded), keyed points stamped
// in the key measurement when they go straight to InfluxDB.
//
// A round spooled because InfluxDB answered a lease claim too slowly (slow) still reads
// the key buckets it lacks: InfluxDB answers, and a key stored by an earlier request (to
// another replica, or before a restart) must replay, or conflict, now. Numbered from an
// empty cache, it would be acknowledged as a new revision that the replay then drops as
// a key already stored. Only when InfluxDB does not answer is a keyed receipt
// provisional (package documentation). Callers hold s.wmu.
func (s *Store) number(batch []indicators.Revision, direct, slow bool) ([]indicators.Receipt, []point, bool, error) {
	if direct || slow {
		if _, err := s.resolveKeys(context.Background(), batch, false); err != nil {
			if !retryable(err) {
				return nil, nil, false, err
			}
			if direct {
				s.noteFailure("InfluxDB idempotency lookup failed; spooling the batch", err)
			}
			direct = false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	receipts, err := collector.Number(batch, prior{s})
	if err != nil {
		return nil, nil, false, err
	}
	pts := make([]point, 0, len(batch))
	for i := range batch {
		if receipts[i].Replayed {
			continue
		}
		if direct && batch[i].IdempotencyKey != "" && !s.answers(batch[i]) {
			// A catch-up forgot the bucket after resolveKeys read it: a key it lacks
			// may be stored; resolve again.
			return nil, nil, false, errKeysMoved
		}
		if n := receipts[i].Revision; n > maxRevision {
			return nil, nil, false, fmt.Errorf("influx: %s %s: more than %d revisions", batch[i].Indicator, batch[i].Period, maxRevision)
		}
		p := point{Rev: clone(batch[i]), ID: newID(), Collector: s.cfg.CollectorID}
		p.Rev.Revision = receipts[i].Revision
		normalizeText(&p.Rev)
		if s.cfg.Lookup != nil {
			p.Task, p.Unit = s.cfg.Lookup(p.Rev.Plan, p.Rev.Indicator)
		}
		pts = append(pts, p)
	}
	if direct {
		for i := range pts {
			if pts[i].Rev.IdempotencyKey != "" {
				s.stampKey(&pts[i])
			}
		}
	}
	// The numbers are reserved, and the first arrivals stamped, for the rounds
	// numbered while this one is in flight.
	s.stampFirst(pts)
	for _, p := range pts {
		s.learn(p)
		s.flown[keyOf(p.Rev)] = p.First // the last of a key is the earliest (stampFirst)
	}
	return receipts, pts, direct, nil
}

// prior answers collector.Number from what the replica knows: the key index (complete
// for the buckets resolveKeys read), the keys of spooled batches, the known revisions.
// Callers hold s.mu.
type prior struct{ s *Store }

func (p prior) Keyed(r indicators.Revision) (indicators.Receipt, bool, bool, error) {
	k := skey(r)
	e, ok := p.s.keys[k]
	if !ok {
		e, ok = p.s.spoolKeys[k]
	}
	if !ok {
		return indicators.Receipt{}, false, false, nil
	}
	return e.Receipt, e.Content == contentOf(r), true, nil
}

func (p prior) LastRevision(plan, indicator, period string) (int, error) {
	return p.s.known[pkey{plan, indicator, period}], nil
}
