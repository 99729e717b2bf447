package collector

import (
	"context"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Store keeps every revision of every report. Implementations are safe for concurrent
// use by many goroutines.
type Store interface {
	// Append stores a batch atomically, all or nothing, and returns only once the batch
	// is durable (fsynced, or acknowledged by the remote store). Each element carries
	// Report, Department, Sender, ReceivedAt, Remote and PeriodEnd; the store assigns
	// Revision: 1 + the highest revision of the same (indicator, period), counting
	// earlier elements of the same batch. It returns one receipt per element, in order.
	// An element whose (Sender, IdempotencyKey) was stored before (non-empty key) is not
	// stored again: its receipt is the original one with Replayed set.
	// The caller must not modify batch during the call; the store does not keep it.
	Append(ctx context.Context, batch []indicators.Revision) ([]indicators.Receipt, error)
	// Latest returns, for every (indicator, period), its latest revision, in no
	// particular order. The caller owns the returned slice.
	Latest(ctx context.Context) ([]indicators.Revision, error)
	// History returns every revision of one indicator in indicators.CompareHistory
	// order (period end, period form, revision, received). The caller owns the
	// returned slice.
	History(ctx context.Context, indicator string) ([]indicators.Revision, error)
	// FirstArrivals returns, for every indicator with a report for one of the period
	// ends, when the first revision for that period end arrived (the earliest
	// ReceivedAt of its revisions, whatever the period's form), ordered by indicator
	// then period end. It reads in bulk (a few reads per period end, not one per
	// indicator): what completeness and bulletins need. The caller owns the slice.
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
	// Close releases the store; it waits for appends in flight.
	Close() error
}

// ChangeFeed may be implemented by a Store shared between replicas: Changes returns the
// revisions that became latest since the previous call (written through other
// replicas, or replayed from a spool), so a refresh touches what changed rather than
// every latest value.
type ChangeFeed interface {
	Changes(ctx context.Context) ([]indicators.Revision, error)
}
