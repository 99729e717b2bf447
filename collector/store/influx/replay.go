package influx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// replayLoop sends spooled batches to InfluxDB, oldest first, backing off while it fails.
func (s *Store) replayLoop() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	backoff := s.cfg.RetryMin
	// limit adapts the round to what InfluxDB answers within the timeout: halved after a
	// round that timed out (a lookup over many ids can be slow on a loaded server, and
	// retrying the same round would never finish), doubled back after a success.
	limit := s.cfg.ReplayPoints
	for {
		// The oldest batches, up to limit reports (at least one batch), go together:
		// one lookup and one write for many spooled batches drains a long outage fast.
		s.mu.Lock()
		var head []spooled
		size := 0
		for _, b := range s.pending {
			if len(head) > 0 && size+len(b.points) > limit {
				break
			}
			head = append(head, b)
			size += len(b.points)
		}
		s.mu.Unlock()
		if len(head) == 0 {
			select {
			case <-s.stop:
				return
			case <-s.wake:
				continue
			}
		}
		err := s.replay(ctx, head)
		if err == nil {
			backoff = s.cfg.RetryMin
			limit = min(2*limit, s.cfg.ReplayPoints)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) && len(head) > 1 {
			limit = max(1, size/2)
		}
		s.unreachable(err)
		s.writeErrors.Add(1)
		s.log.Warn("replay to InfluxDB failed; retrying", "batches", len(head), "next_round_reports", limit, "in", backoff, "err", err)
		select {
		case <-s.stop:
			return
		case <-time.After(backoff):
		case <-s.back:
		}
		backoff = min(2*backoff, s.cfg.RetryMax)
	}
}

// dropStoredKeys resolves the idempotency keys of a round's points (todo, still to
// write, and done, stored by an earlier attempt) and drops from todo the reports whose
// key is stored meanwhile under another report (a retry that reached InfluxDB by
// another way). The rest of todo is stamped afresh into its key bucket (it may have
// grown since the report was spooled); the points of done that lack a key entry are
// stamped in place, and their entries returned as lines to write with the round.
func (s *Store) dropStoredKeys(ctx context.Context, todo, done []point) (kept []point, extra []string, err error) {
	var keyed []indicators.Revision
	for _, pts := range [][]point{todo, done} {
		for _, p := range pts {
			if p.Rev.IdempotencyKey != "" {
				keyed = append(keyed, p.Rev)
			}
		}
	}
	if len(keyed) == 0 {
		return todo, nil, nil
	}
	if _, err := s.resolveKeys(ctx, keyed, true); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range keyed {
		// The buckets resolved must still be known: a catch-up in between forgets
		// them (errKeysMoved), and the round is retried.
		if _, ok := s.kmark[bucketOf(r)]; !ok {
			return nil, nil, errKeysMoved
		}
	}
	kept = todo[:0:0]
	for _, p := range todo {
		if p.Rev.IdempotencyKey != "" {
			if e, ok := s.keys[skey(p.Rev)]; ok && e.ID != p.ID {
				s.log.Info("spooled report was stored meanwhile under the same idempotency key; dropped",
					"indicator", p.Rev.Indicator, "period", p.Rev.Period, "sender", p.Rev.Sender)
				continue
			}
			s.stampKey(&p) // afresh: the bucket may have grown since it was spooled
		}
		kept = append(kept, p)
	}
	for i := range done {
		p := &done[i]
		if p.Rev.IdempotencyKey == "" {
			continue
		}
		if _, ok := s.keys[skey(p.Rev)]; !ok {
			s.stampKey(p)
			extra = append(extra, keyLine(s.keysM(), p.Rev.Sender, p.Rev.IdempotencyKey, keyEntryOf(*p)))
		}
	}
	return kept, extra, nil
}

// replay writes the oldest spooled batches, in order, safely after any crash: points
// InfluxDB already holds (found by id) are not written again; points whose (sender, key)
// reached InfluxDB by another way are dropped; the rest are renumbered above what
// InfluxDB holds if their numbers clash with revisions stored meanwhile (stored.clashes),
// keeping their order. It holds the
// leases of the batches' departments (and keyed senders) while it does, as any write
// of revisions. The spool files are removed only after the write succeeded.
func (s *Store) replay(ctx context.Context, batches []spooled) error {
	b := spooled{seq: batches[0].seq}
	for _, x := range batches {
		b.points = append(b.points, x.points...)
	}
	revs := make([]indicators.Revision, len(b.points))
	for i, p := range b.points {
		revs[i] = p.Rev
	}
	fresh, err := s.leases.ensure(ctx, batchLeases(revs))
	if err != nil {
		return fmt.Errorf("influx: replay %d: %w", b.seq, err)
	}
	if fresh {
		if _, err := s.catchUp(ctx); err != nil {
			return fmt.Errorf("influx: replay %d: %w", b.seq, err)
		}
	}
	s.hold()
	defer s.wmu.Unlock()
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	have, err := s.queryStored(qctx, revs)
	cancel()
	if err != nil {
		return fmt.Errorf("influx: replay %d: %w", b.seq, err)
	}
	var todo []point
	done := make([]point, 0, len(b.points))
	for _, p := range b.points {
		if rev, ok := have.ids[p.ID]; ok {
			p.Rev.Revision = rev
			done = append(done, p)
		} else {
			todo = append(todo, p)
		}
	}
	var extra []string // key entries of points stored by an earlier attempt that lack one
	if todo, extra, err = s.dropStoredKeys(ctx, todo, done); err != nil {
		return fmt.Errorf("influx: replay %d: %w", b.seq, err)
	}
	if len(todo) > 0 {
		s.renumber(todo, have)
		s.mu.Lock()
		s.stampFirst(todo)
		err := s.journal.record(todo) // as a round's (takeOff), before InfluxDB may hold them
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("influx: replay %d: %w", b.seq, err)
		}
		if err := s.write(ctx, todo, extra...); err != nil {
			return fmt.Errorf("influx: replay %d: %w", b.seq, err)
		}
	} else if len(extra) > 0 {
		if err := s.writeLines(ctx, extra); err != nil {
			return fmt.Errorf("influx: replay %d: %w", b.seq, err)
		}
	}
	seqs := make([]uint64, len(batches))
	for i, x := range batches {
		seqs[i] = x.seq
	}
	if err := s.spool.Remove(seqs...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range batches {
		if len(s.pending) > 0 && s.pending[0].seq == x.seq {
			s.pending = s.pending[1:]
		}
	}
	for _, p := range b.points {
		if p.Rev.IdempotencyKey != "" {
			delete(s.spoolKeys, skey(p.Rev))
		}
	}
	s.written(append(done, todo...))
	return nil
}

// renumber gives the spooled points of a replay whose numbers clash with what InfluxDB
// holds (stored.clashes) the next numbers above it, keeping the order of the points of
// each (indicator, period).
func (s *Store) renumber(todo []point, have stored) {
	given := map[pkey]int{} // the highest number given to a renumbered point
	for i := range todo {
		k := keyOf(todo[i].Rev)
		if rev := todo[i].Rev.Revision; have.clashes(k, rev) || rev <= given[k] {
			n := max(have.max[k], given[k]) + 1
			s.log.Info("renumbering a spooled report above revisions stored meanwhile",
				"indicator", k.indicator, "period", k.period, "spooled", rev, "now", n)
			todo[i].Rev.Revision = n
			given[k] = n
		}
	}
}
