package influx

import (
	"context"
	"errors"
	"fmt"
	"sync"

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

// Append stores a batch: in InfluxDB when it answers, else in the spool. See the
// package documentation for numbering and idempotency.
//
// Appends are committed in rounds (group commit): the first caller leads, takes every
// batch queued meanwhile, and stores them with one idempotency lookup, one revision
// lookup and one write, numbering them in arrival order as if they came one by one.
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
	lead := !s.leading
	s.leading = true
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
			s.leading = false
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
	receipts, pts, direct, err := s.number(all)
	if err == nil && len(pts) > 0 {
		err = s.store(pts, direct)
	}
	if err != nil && len(round) > 1 && (!retryable(err) || refused(err)) {
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

// number resolves idempotency keys and assigns revisions to the elements of a round,
// in order. It returns one receipt per element, the points to store (replays excluded)
// and whether InfluxDB answered (false: only local knowledge was used; spool them).
func (s *Store) number(batch []indicators.Revision) ([]indicators.Receipt, []point, bool, error) {
	wctx := context.Background()
	receipts := make([]indicators.Receipt, len(batch))
	s.mu.Lock()
	direct := len(s.pending) == 0
	s.mu.Unlock()

	// Idempotency: which elements replay an earlier report (and with which content).
	replay := make([]bool, len(batch))
	content := make([]string, len(batch)) // of the original, for replays not of this round
	dupOf := make([]int, len(batch))      // an earlier element of this round with the same key, or -1
	first := map[string]int{}
	var ask []int
	s.mu.Lock()
	for i, r := range batch {
		dupOf[i] = -1
		if r.IdempotencyKey == "" {
			continue
		}
		k := skey(r)
		if j, ok := first[k]; ok {
			dupOf[i], replay[i] = j, true
			continue
		}
		first[k] = i
		if kd, ok := s.lru.get(k); ok {
			replay[i], receipts[i], content[i] = true, kd.rc, kd.content
		} else if kd, ok := s.spoolKeys[k]; ok {
			replay[i], receipts[i], content[i] = true, kd.rc, kd.content
		} else {
			ask = append(ask, i)
		}
	}
	s.mu.Unlock()
	// The revision lookup runs beside the key lookup, over every element not known
	// locally as a replay (one that InfluxDB then shows to be a replay is simply not
	// numbered).
	var (
		remote    map[pkey]int
		remoteErr error
		wg        sync.WaitGroup
	)
	var cand []int
	for i := range batch {
		if !replay[i] {
			cand = append(cand, i)
		}
	}
	if direct && len(cand) > 0 {
		wg.Go(func() { remote, remoteErr = s.maxRevisions(wctx, pick(batch, cand)) })
	}
	if direct && len(ask) > 0 {
		found, err := s.lookupKeys(wctx, pick(batch, ask))
		if err != nil {
			if !retryable(err) {
				wg.Wait()
				return nil, nil, false, err
			}
			s.unreachable(err)
			s.writeErrors.Add(1)
			s.log.Warn("InfluxDB idempotency lookup failed; spooling the batch", "err", err)
			direct = false
		}
		for _, i := range ask {
			if p, ok := found[skey(batch[i])]; ok {
				replay[i], receipts[i], content[i] = true, receiptOf(p.Rev), p.Rev.ContentKey()
			}
		}
	}

	// Numbering: 1 + the highest revision InfluxDB or this collector knows.
	var fresh []int
	for i := range batch {
		if !replay[i] {
			fresh = append(fresh, i)
		}
	}
	wg.Wait()
	if direct && len(fresh) > 0 {
		if err := remoteErr; err != nil {
			if !retryable(err) {
				return nil, nil, false, err
			}
			s.unreachable(err)
			s.writeErrors.Add(1)
			s.log.Warn("InfluxDB revision lookup failed; spooling the batch", "err", err)
			direct = false
		}
	}
	pts := make([]point, 0, len(fresh))
	s.mu.Lock()
	next := map[pkey]int{}
	for _, i := range fresh {
		k := keyOf(batch[i])
		n, ok := next[k]
		if !ok {
			n = max(remote[k], s.known[k])
		}
		n++
		if batch[i].MustBeFirst && n > 1 {
			s.mu.Unlock()
			return nil, nil, false, &collector.NotFirstError{Index: i, Indicator: k.indicator, Period: k.period, Revision: n}
		}
		if n > maxRevision {
			s.mu.Unlock()
			return nil, nil, false, fmt.Errorf("influx: %s %s: more than %d revisions", k.indicator, k.period, maxRevision)
		}
		next[k] = n
		p := point{Rev: clone(batch[i]), ID: newID(), Collector: s.cfg.CollectorID}
		p.Rev.Revision = n
		normalizeText(&p.Rev)
		if s.cfg.Lookup != nil {
			p.Task, p.Unit = s.cfg.Lookup(p.Rev.Indicator)
		}
		pts = append(pts, p)
		receipts[i] = receiptOf(p.Rev)
	}
	s.mu.Unlock()
	for i, j := range dupOf {
		if j >= 0 {
			receipts[i], content[i] = receipts[j], batch[j].ContentKey()
		}
	}
	for i := range batch {
		if replay[i] && content[i] != batch[i].ContentKey() {
			return nil, nil, false, &collector.IdempotencyConflict{Index: i, Key: batch[i].IdempotencyKey, Original: receipts[i]}
		}
	}
	for i := range receipts {
		if replay[i] {
			receipts[i].Replayed = true
		}
	}
	return receipts, pts, direct, nil
}

// store writes numbered points to InfluxDB, or to the spool when InfluxDB is away (or
// when anything is spooled already, to keep the order).
func (s *Store) store(pts []point, direct bool) error {
	if direct {
		// Reserve the numbers before InfluxDB may hold the points: a collector killed
		// after the write but before its 201 would otherwise, restarted during an
		// outage, give the next report a revision InfluxDB already has, and the replay
		// would renumber an acknowledged receipt. A reserved number whose write never
		// lands leaves a gap, never a clash.
		s.mu.Lock()
		err := s.journal.record(pts)
		s.mu.Unlock()
		if err != nil {
			return err
		}
		err = s.write(context.Background(), pts)
		if err == nil {
			s.mu.Lock()
			s.written(pts)
			s.mu.Unlock()
			return nil
		}
		s.writeErrors.Add(1)
		if !retryable(err) {
			return err
		}
		s.unreachable(err)
		s.log.Warn("InfluxDB write failed; spooling the batch", "reports", len(pts), "err", err)
	}
	return s.spoolBatch(pts)
}
