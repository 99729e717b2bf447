package boltstore

import (
	"context"
	"hash/maphash"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Two idempotency keys whose hashes collide stay two keys: the index only names
// candidates, the record decides.
func TestIdempotencyKeysWithCollidingHashesStayApart(t *testing.T) {
	s, err := Open(context.Background(), Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rev := func(key string, v float64) []indicators.Revision {
		return []indicators.Revision{{
			Report:    indicators.Report{Indicator: "1.1", Period: "2026-03", Value: &v, IdempotencyKey: key},
			Sender:    "fgw",
			PeriodEnd: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		}}
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, rev("a", 1)); err != nil {
		t.Fatal(err)
	}
	// Make "b" collide with "a": its hash now names a's record first.
	s.index.mu.Lock()
	s.index.addKey(maphash.String(s.index.seed, string(idemKey("fgw", "b"))), 1)
	s.index.mu.Unlock()

	rc, err := s.Append(ctx, rev("b", 2))
	if err != nil {
		t.Fatal(err)
	}
	if want := (indicators.Receipt{Indicator: "1.1", Period: "2026-03", Revision: 2}); rc[0] != want {
		t.Fatalf("first b = %+v, want %+v (stored, not a replay of a)", rc[0], want)
	}
	rc, err = s.Append(ctx, rev("b", 2)) // the same content: a replay
	if err != nil {
		t.Fatal(err)
	}
	if want := (indicators.Receipt{Indicator: "1.1", Period: "2026-03", Revision: 2, Replayed: true}); rc[0] != want {
		t.Fatalf("second b = %+v, want %+v", rc[0], want)
	}
	rc, err = s.Append(ctx, rev("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	if want := (indicators.Receipt{Indicator: "1.1", Period: "2026-03", Revision: 1, Replayed: true}); rc[0] != want {
		t.Fatalf("second a = %+v, want %+v", rc[0], want)
	}
}
