package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// Reviews (format 5) live in their own bucket, keyed so that the reviews of one
// indicator of a plan, of one period and of one revision are each a prefix:
//
//	reviews  plan 0x00 indicator 0x00 period 0x00 revision (4 bytes) review seq (8 bytes)
//	         (format 5, before plans: the same without "plan 0x00")
//	         → version byte (1), JSON {decision, comment, reviewer, reviewed_at,
//	           record}, CRC-32C of the key and those bytes (4 bytes, big endian)
//
// "record" is the sequence number of the revision judged, so Approved reads it
// without the history index. Reviews are human actions (a few per report at most):
// JSON costs nothing that matters here, and Latest reads the whole bucket at start.
// A review is written by its own transaction, which bbolt serializes with the
// writer's group commits, so the latest pointer it reads is the one appends number
// from.
const reviewV1 = 1

type reviewRecord struct {
	Decision   indicators.Decision `json:"decision"`
	Comment    string              `json:"comment,omitempty"`
	Reviewer   string              `json:"reviewer"`
	ReviewedAt time.Time           `json:"reviewed_at"`
	Record     uint64              `json:"record"`
}

func reviewPrefix(plan, indicator, period string) []byte {
	b := make([]byte, 0, len(plan)+len(indicator)+len(period)+3)
	b = append(b, plan...)
	b = append(b, 0)
	b = append(b, indicator...)
	b = append(b, 0)
	if period != "" {
		b = append(b, period...)
		b = append(b, 0)
	}
	return b
}

func reviewKey(plan, indicator, period string, revision int, seq uint64) []byte {
	b := reviewPrefix(plan, indicator, period)
	b = binary.BigEndian.AppendUint32(b, uint32(revision)) //nolint:gosec // G115: revisions are positive and far below 2^32 (collector.Number)
	return binary.BigEndian.AppendUint64(b, seq)
}

// splitReviewKey reads a review key of a store in format (5: without the plan).
func splitReviewKey(format int, k []byte) (plan, indicator, period string, revision int, ok bool) {
	if format >= 6 {
		p := bytes.IndexByte(k, 0)
		if p < 0 {
			return "", "", "", 0, false
		}
		plan, k = string(k[:p]), k[p+1:]
	}
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", "", "", 0, false
	}
	rest := k[i+1:]
	j := bytes.IndexByte(rest, 0)
	if j < 0 || len(rest)-j-1 != 12 {
		return "", "", "", 0, false
	}
	return plan, string(k[:i]), string(rest[:j]), int(binary.BigEndian.Uint32(rest[j+1:])), true
}

// resumReview is the stored review v under a new key: its body with the checksum of
// the new key (the migration to format 6 adds the plan to every key).
func resumReview(key, v []byte) []byte {
	return resealRecord(key, bytes.Clone(v[:len(v)-4]))
}

func encodeReview(key []byte, rec reviewRecord) []byte { return sealRecord(key, reviewV1, rec) }

// decodeReview verifies and decodes the review stored under key.
func decodeReview(key, v []byte) (indicators.Review, uint64, error) {
	return decodeReviewAs(formatCurrent, key, v)
}

// decodeReviewIn verifies the review stored under key in a store of format.
func decodeReviewIn(format int, key, v []byte) (indicators.Review, error) {
	rv, _, err := decodeReviewAs(format, key, v)
	return rv, err
}

func decodeReviewAs(format int, key, v []byte) (indicators.Review, uint64, error) {
	plan, ind, period, revision, ok := splitReviewKey(format, key)
	if !ok {
		return indicators.Review{}, 0, damaged("review key %q does not name a plan, indicator, period and revision", key)
	}
	fail := func(what string) error {
		if plan == "" {
			return damaged("the review of %s %s revision %d %s", ind, period, revision, what)
		}
		return damaged("the review of %s %s %s revision %d %s", plan, ind, period, revision, what)
	}
	var rec reviewRecord
	if problem := openRecord(key, v, reviewV1, &rec); problem != "" {
		return indicators.Review{}, 0, fail(problem)
	}
	return indicators.Review{
		Plan: plan, Indicator: ind, Period: period, Revision: revision,
		Decision: rec.Decision, Comment: rec.Comment, Reviewer: rec.Reviewer, ReviewedAt: rec.ReviewedAt,
	}, rec.Record, nil
}

type revKey struct {
	plan, indicator, period string
	revision                int
}

// reviewed is what the reviews bucket says of one revision: its reviews, oldest first,
// and the sequence number of its record.
type reviewed struct {
	reviews []indicators.Review
	record  uint64
}

// readReviews reads the reviews under prefix (nil: all). A damaged review is an error.
func readReviews(tx *bolt.Tx, prefix []byte) (map[revKey]*reviewed, error) {
	out := map[revKey]*reviewed{}
	b := tx.Bucket(bucketReviews)
	if b == nil {
		return out, nil
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		rv, rec, err := decodeReview(k, v)
		if err != nil {
			return nil, err
		}
		key := revKey{rv.Plan, rv.Indicator, rv.Period, rv.Revision}
		r := out[key]
		if r == nil {
			r = &reviewed{record: rec}
			out[key] = r
		}
		r.reviews = append(r.reviews, rv)
	}
	return out, nil
}

func attachReviews(revs []indicators.Revision, m map[revKey]*reviewed) {
	for i := range revs {
		if r := m[revKey{revs[i].Plan, revs[i].Indicator, revs[i].Period, revs[i].Revision}]; r != nil {
			revs[i].Reviews = append([]indicators.Review(nil), r.reviews...)
		}
	}
}

// Review implements collector.Store: the batch is one transaction of its own.
func (s *Store) Review(ctx context.Context, batch []indicators.Review) ([]indicators.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, rv := range batch {
		switch {
		case rv.Plan == "" || rv.Indicator == "" || rv.Period == "":
			return nil, fmt.Errorf("%w: review %d: a review needs a plan, an indicator and a period", ErrInvalid, i)
		case strings.IndexByte(rv.Plan, 0) >= 0 || strings.IndexByte(rv.Indicator, 0) >= 0 || strings.IndexByte(rv.Period, 0) >= 0:
			return nil, fmt.Errorf("%w: review %d: NUL byte in the plan, indicator or period", ErrInvalid, i)
		case len(rv.Plan)+len(rv.Indicator)+len(rv.Period)+15 > bolt.MaxKeySize:
			return nil, fmt.Errorf("%w: review %d: key longer than %d bytes", ErrInvalid, i, bolt.MaxKeySize)
		case rv.Decision != indicators.Approved && rv.Decision != indicators.Returned:
			return nil, fmt.Errorf("%w: review %d: decision %q", ErrInvalid, i, rv.Decision)
		}
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.inflight.Done()
	if err := s.damage.err(); err != nil {
		return nil, err
	}
	out := make([]indicators.Review, len(batch))
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReviews)
		for i, rv := range batch {
			v := tx.Bucket(bucketLatest).Get(latestKey(seriesKey(rv.Plan, rv.Indicator), rv.Period))
			if v == nil {
				return &collector.NoReportError{Index: i, Plan: rv.Plan, Indicator: rv.Indicator, Period: rv.Period}
			}
			rev, seq, err := decodePointer(v)
			if err != nil {
				return &RecordError{Plan: rv.Plan, Indicator: rv.Indicator, Period: rv.Period, Err: err}
			}
			rv.Revision = rev
			rv.ReviewedAt = rv.ReviewedAt.UTC()
			n, err := b.NextSequence()
			if err != nil {
				return err
			}
			key := reviewKey(rv.Plan, rv.Indicator, rv.Period, rev, n)
			if err := b.Put(key, encodeReview(key, reviewRecord{
				Decision: rv.Decision, Comment: rv.Comment, Reviewer: rv.Reviewer, ReviewedAt: rv.ReviewedAt, Record: seq,
			})); err != nil {
				return err
			}
			out[i] = rv
		}
		return nil
	})
	if err != nil {
		var nr *collector.NoReportError
		var re *RecordError
		switch {
		case errors.As(err, &nr):
			return nil, err
		case errors.As(err, &re):
			return nil, s.damaged(re)
		}
		return nil, fmt.Errorf("boltstore: store reviews: %w", err)
	}
	return out, nil
}

// Approved implements collector.Store: one walk of the reviews bucket finds, per
// (plan, indicator, period), the highest revision whose latest review approves it, and its
// record is read by the sequence number the review keeps.
func (s *Store) Approved(ctx context.Context) ([]indicators.Revision, error) {
	out := []indicators.Revision{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		all, err := readReviews(tx, nil)
		if err != nil {
			s.damage.report("reviews", err)
			return err
		}
		type pk struct{ plan, indicator, period string }
		best := map[pk]revKey{}
		for k, r := range all {
			if r.reviews[len(r.reviews)-1].Decision != indicators.Approved {
				continue
			}
			p := pk{k.plan, k.indicator, k.period}
			if b, ok := best[p]; !ok || b.revision < k.revision {
				best[p] = k
			}
		}
		revs := tx.Bucket(bucketRevisions)
		for _, k := range best {
			r := all[k]
			rec := revs.Get(revisionKey(r.record))
			if rec == nil {
				return s.damaged(&RecordError{Seq: r.record, Plan: k.plan, Indicator: k.indicator, Period: k.period, Err: damaged("is named by a review but missing")})
			}
			rev, err := decodeRevision(r.record, rec)
			if err != nil {
				return s.damaged(recordError(r.record, rec, k.plan, k.indicator, k.period, err))
			}
			if rev.Plan != k.plan || rev.Indicator != k.indicator || rev.Period != k.period || rev.Revision != k.revision {
				return s.damaged(&RecordError{Seq: r.record, Plan: k.plan, Indicator: k.indicator, Period: k.period,
					Err: damaged("holds %s %s revision %d where its review expects revision %d", rev.Indicator, rev.Period, rev.Revision, k.revision)})
			}
			rev.Reviews = append([]indicators.Review(nil), r.reviews...)
			out = append(out, rev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
