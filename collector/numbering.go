package collector

import "github.com/duban-gov/duban/indicators"

// Prior is what a store knows, inside the critical section of an Append, of what was
// stored before a batch. Number asks it: bbolt from its files in the write
// transaction, InfluxDB from what a replica holds under its leases.
type Prior interface {
	// Keyed says what the idempotency key of r (its Sender and IdempotencyKey) was
	// first used for: that receipt, and whether r says the same
	// (indicators.Report.SameContent). found is false for a key never used.
	Keyed(r indicators.Revision) (original indicators.Receipt, same, found bool, err error)
	// LastRevision is the highest revision stored of (plan, indicator, period), 0 for
	// none.
	LastRevision(plan, indicator, period string) (int, error)
}

// Number applies the Store contract's numbering and idempotency rules to a batch, in
// order, the same in every backend:
//   - an element with a non-empty key used before (stored, or by an earlier element of
//     the batch) adds nothing: it gets the original receipt with Replayed set when it
//     says the same (indicators.Report.SameContent), and refuses the whole batch with an
//     *IdempotencyConflict naming it when it does not;
//   - any other element gets revision 1 + the highest of its (plan, indicator, period),
//     stored or given to an earlier element of the batch, and refuses the whole batch
//     with a *NotFirstError naming it when it MustBeFirst and that is not 1.
//
// It returns one receipt per element; an element whose receipt is not Replayed is to
// be stored as that receipt's Revision. The first refusal in batch order is the error.
func Number(batch []indicators.Revision, prior Prior) ([]indicators.Receipt, error) {
	type keyed struct {
		rc      indicators.Receipt
		content string
	}
	receipts := make([]indicators.Receipt, len(batch))
	var (
		given map[[3]string]int // (plan, indicator, period) → last revision given in the batch
		seen  map[[2]string]keyed
	)
	if len(batch) > 1 {
		given = make(map[[3]string]int, len(batch))
	}
	for i := range batch {
		r := &batch[i]
		if r.IdempotencyKey != "" {
			k := [2]string{r.Sender, r.IdempotencyKey}
			if e, ok := seen[k]; ok {
				if e.content != r.ContentKey() {
					return nil, &IdempotencyConflict{Index: i, Key: r.IdempotencyKey, Original: e.rc}
				}
				receipts[i] = e.rc
				receipts[i].Replayed = true
				continue
			}
			rc, same, found, err := prior.Keyed(*r)
			if err != nil {
				return nil, err
			}
			if found {
				if !same {
					return nil, &IdempotencyConflict{Index: i, Key: r.IdempotencyKey, Original: rc}
				}
				rc.Replayed = true
				receipts[i] = rc
				continue
			}
		}
		pk := [3]string{r.Plan, r.Indicator, r.Period}
		last, ok := given[pk]
		if !ok {
			var err error
			if last, err = prior.LastRevision(r.Plan, r.Indicator, r.Period); err != nil {
				return nil, err
			}
		}
		if r.MustBeFirst && last > 0 {
			return nil, &NotFirstError{Index: i, Indicator: r.Indicator, Period: r.Period, Revision: last + 1}
		}
		rc := indicators.Receipt{Indicator: r.Indicator, Period: r.Period, Revision: last + 1}
		receipts[i] = rc
		if given != nil {
			given[pk] = rc.Revision
		}
		if r.IdempotencyKey != "" {
			if seen == nil {
				seen = map[[2]string]keyed{}
			}
			seen[[2]string{r.Sender, r.IdempotencyKey}] = keyed{rc, r.ContentKey()}
		}
	}
	return receipts, nil
}
