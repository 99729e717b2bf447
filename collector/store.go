package collector

import (
	"context"
	"fmt"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Store keeps every revision of every report. Implementations are safe for concurrent
// use by many goroutines.
type Store interface {
	// Append stores a batch atomically, all or nothing, and returns only once the batch
	// is durable (fsynced, or acknowledged by the remote store). Each element carries
	// Plan, Report, Department, Sender, ReceivedAt, Remote and PeriodEnd; the store
	// assigns Revision: 1 + the highest revision of the same (plan, indicator, period),
	// counting earlier elements of the same batch. Plans are the unit of data: the same
	// indicator id in two plans is two series. It returns one receipt per element, in
	// order.
	//
	// Idempotency: an element whose (Sender, IdempotencyKey) (non-empty key) was stored
	// before, or belongs to an earlier element of the same batch, is not stored again.
	// When both say the same thing (indicators.Report.SameContent: indicator, period,
	// value, stage, percent) its receipt is the original one with Replayed set. When
	// they differ, Append stores nothing of the batch and returns an
	// *IdempotencyConflict naming the element.
	//
	// Preconditions: an element with MustBeFirst must become revision 1 of its
	// (indicator, period); when a revision is stored already, or an earlier element of
	// the batch takes revision 1, Append stores nothing and returns a *NotFirstError
	// naming the element. An element that replays a key is not checked (it adds
	// nothing). Both checks happen in the same critical section as the numbering, so
	// two concurrent batches cannot both pass them. Every backend applies these rules
	// through Number (numbering.go), so they cannot drift apart; History's order is
	// indicators.CompareHistory in every backend.
	//
	// The caller must not modify batch during the call; the store does not keep it.
	Append(ctx context.Context, batch []indicators.Revision) ([]indicators.Receipt, error)
	// Latest returns, for every (plan, indicator, period), its latest revision with its
	// reviews, in no particular order. The caller owns the returned slice.
	Latest(ctx context.Context) ([]indicators.Revision, error)
	// History returns every revision of one indicator of one plan, each with its
	// reviews, in indicators.CompareHistory order (period end, period form, revision,
	// received). The caller owns the returned slice.
	History(ctx context.Context, plan, indicator string) ([]indicators.Revision, error)
	// FirstArrivals returns, for every (plan, indicator) with a report for one of the
	// period ends, when the first revision for that period end arrived (the earliest
	// ReceivedAt of its revisions, whatever the period's form), ordered by plan,
	// indicator, then period end. It reads in bulk (a few reads per period end, not one per
	// indicator): what completeness and bulletins need. The caller owns the slice.
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
	// Review stores a batch of reviews atomically, all or nothing, durably (like
	// Append). Each judges the latest revision of its (Plan, Indicator, Period): the store
	// sets Revision to that revision in the same critical section as the numbering of
	// appends (a review never judges a revision it did not see) and returns the
	// reviews as stored, in order. Reviews are only added, never changed. When an
	// element's indicator has no revision for its period, Review stores nothing and
	// returns a *NoReportError naming the element.
	Review(ctx context.Context, reviews []indicators.Review) ([]indicators.Review, error)
	// Approved returns, for every (plan, indicator, period) with an approved revision, the
	// highest revision whose state (indicators.Revision.State) is approved, with its
	// reviews, in no particular order: what counts when reviews are required. The
	// caller owns the returned slice.
	Approved(ctx context.Context) ([]indicators.Revision, error)
	// SetClosure stores, durably (like Append), that a plan was closed or reopened: a
	// record of its own, with who, when and why, never changed later. The store does not
	// check the plan (the service does) nor refuse reports of a closed plan (the service
	// does, before Append).
	SetClosure(ctx context.Context, c Closure) error
	// Closures returns, for every plan with a closure record, the one in force: the
	// latest by At, the later written on a tie, ordered by plan. A plan whose latest
	// record reopens it is listed with Closed false. The caller owns the slice.
	Closures(ctx context.Context) ([]Closure, error)
	// Ready says whether the store takes writes now, with a short detail for /-/ready:
	// "ok"; "degraded: …" when it takes them in a lesser way (a shared store spooling
	// while its server is away: still ready); otherwise why not (closed, a damaged file,
	// a failing disk). It reads only what the store keeps in memory: cheap enough for
	// every probe.
	Ready(ctx context.Context) (ready bool, detail string)
	// Close releases the store; it waits for appends in flight.
	Close() error
}

// Closure says that a plan was closed (its year is over, its final bulletin out: no
// department reports any more) or reopened (a mistake), by whom, when and why.
type Closure struct {
	Plan   string    `json:"plan"`
	Closed bool      `json:"closed"` // false: reopened
	By     string    `json:"by"`     // who: "admin"
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// ChangeFeed may be implemented by a Store shared between replicas: Changes returns the
// revisions that became latest since the previous call (written through other
// replicas, or replayed from a spool), so a refresh touches what changed rather than
// every latest value.
type ChangeFeed interface {
	Changes(ctx context.Context) ([]indicators.Revision, error)
}

// ReviewFeed may be implemented by a ChangeFeed: ReviewChanges returns the reviews its
// Changes brought since the previous call (made through other replicas), so that a
// refresh carries the office's reviews too.
type ReviewFeed interface {
	ReviewChanges() []indicators.Review
}

// IdempotencyConflict is the error of Append when an element reuses an idempotency key
// of its sender for other content. Nothing of the batch was stored.
type IdempotencyConflict struct {
	Index    int                // the element of the batch
	Key      string             // its idempotency key
	Original indicators.Receipt // what the key was first used for
}

func (e *IdempotencyConflict) Error() string {
	return fmt.Sprintf("element %d: idempotency key %q was already used for other content (%s %s, revision %d)",
		e.Index, e.Key, e.Original.Indicator, e.Original.Period, e.Original.Revision)
}

// NotFirstError is the error of Append when an element with MustBeFirst would not be
// revision 1 of its (indicator, period). Nothing of the batch was stored.
type NotFirstError struct {
	Index     int
	Indicator string
	Period    string
	Revision  int // the revision the element would have had
}

func (e *NotFirstError) Error() string {
	return fmt.Sprintf("element %d: %s %s already has a revision (this one would be revision %d)", e.Index, e.Indicator, e.Period, e.Revision)
}

// NoReportError is the error of Review when the indicator has no report for the period:
// there is nothing to review. Nothing was stored.
type NoReportError struct {
	Index     int // the element of the batch
	Plan      string
	Indicator string
	Period    string
}

func (e *NoReportError) Error() string {
	return fmt.Sprintf("%s %s has no report to review", e.Indicator, e.Period)
}
