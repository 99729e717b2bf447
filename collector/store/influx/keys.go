package influx

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The idempotency key index. Every keyed revision also writes one point of
// <measurement>_key, in the series (sender, bucket) where bucket is one of 256 hashes
// of the key: a key is found by reading one series of its sender, 1/256 of the
// sender's keys, never by scanning stored fields.
//
// In memory, keys caches entries, and a bucket is "full" once it was read whole
// (every key of that series is then in the cache, so a key it lacks is new: no read).
// A replica reads a bucket the first time one of its keys is asked (a few buckets per
// round; further keys of a round are looked up by key within their series), so a
// restarted or new replica reads only the buckets its pushes touch, never the whole
// index; a replica that holds a sender's lease keeps its buckets full from its own
// writes and the change feed.
//
// The points of one series need distinct timestamps: the holder of the sender's lease
// (the only writer of its keys) stamps each new entry above the highest time of the
// bucket (kmark, read with the bucket or with last()), reserving it before the write.

// keyBuckets is the number of series per sender. Changing it moves every key.
const keyBuckets = 256

// loadPerQuery caps the buckets one read loads: a round that touches more reads them
// in several, each within Timeout. (Looking keys up one by one, a field condition per
// key ORed across buckets, took InfluxDB 1.8 longer than Timeout for a batch of 1,000
// new keys on an empty database: the planner, not the data.)
const loadPerQuery = 32

// kbucket is one series of the key measurement: a sender (as in the revision) and a
// bucket of its keys.
type kbucket struct{ sender, bucket string }

func keyBucket(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("%02x", h.Sum32()%keyBuckets)
}

func bucketOf(r indicators.Revision) kbucket {
	return kbucket{r.Sender, keyBucket(r.IdempotencyKey)}
}

// senderTag is the sender tag of a key entry (a tag value cannot be empty).
func senderTag(sender string) string {
	if sender == "" {
		return "-"
	}
	return sender
}

func senderOfTag(tag string) string {
	if tag == "-" {
		return ""
	}
	return tag
}

func (s *Store) keysM() string { return s.cfg.Measurement + "_key" }

// keyEntry is what the key index keeps per (sender, key).
type keyEntry struct {
	indicators.Receipt
	ReceivedAt time.Time
	ID         string
	Content    uint64 // hash of what the key stands for (indicators.Report.ContentKey)
	At         int64  // time of its point in the key measurement; 0 when unknown
}

func keyEntryOf(p point) keyEntry {
	return keyEntry{Receipt: receiptOf(p.Rev), ReceivedAt: p.Rev.ReceivedAt, ID: p.ID, Content: contentOf(p.Rev), At: p.KeyAt}
}

// keyLine renders a key entry in line protocol: the receipt and content hash the key
// stands for, in the series of its sender and bucket, at e.At.
func keyLine(measurement, sender, key string, e keyEntry) string {
	var b strings.Builder
	b.Grow(160 + len(key) + len(e.Indicator))
	b.WriteString(lpEscape(measurement, false))
	b.WriteString("," + tagBucket + "=" + keyBucket(key))
	b.WriteString("," + tagSender + "=")
	b.WriteString(lpEscape(senderTag(sender), true))
	for i, f := range [...][2]string{{fieldKey, key}, {fieldIndicator, e.Indicator}, {fieldPeriod, e.Period}, {fieldID, e.ID}} {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(f[0] + "=\"")
		b.WriteString(fieldEscaper.Replace(f[1]))
		b.WriteByte('"')
	}
	b.WriteString("," + fieldRevision + "=" + strconv.Itoa(e.Revision) + "i")
	b.WriteString("," + fieldReceived + "=" + strconv.FormatInt(e.ReceivedAt.UnixNano(), 10) + "i")
	b.WriteString("," + fieldContent + "=" + strconv.FormatInt(int64(e.Content), 10) + "i") //nolint:gosec // G115: the hash's 64 bits as InfluxDB's signed integer (read back by rowKeys); the wrap is the encoding
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(e.At, 10))
	return b.String()
}

// remember puts an entry in the key index (the first received wins, as the original)
// and raises its bucket's mark. Callers hold s.mu.
func (s *Store) remember(sender, key string, e keyEntry) {
	sk := sender + "\x00" + key
	if old, ok := s.keys[sk]; !ok || old.ReceivedAt.After(e.ReceivedAt) || (old.ID == e.ID && old.At == 0) {
		s.keys[sk] = e
	}
	kb := kbucket{sender, keyBucket(key)}
	if e.At == 0 {
		// Stored without an entry in the key measurement (by the first schema): the
		// bucket's highest time is read again before the next entry is stamped.
		delete(s.kmark, kb)
		return
	}
	if m, ok := s.kmark[kb]; ok && e.At > m {
		s.kmark[kb] = e.At
	}
	s.trimKeys()
}

// answers says whether the key index answers for r's key without a read: the key is
// cached, or its bucket is full and its mark known (so a miss means a new key that can
// be stamped). Callers hold s.mu.
func (s *Store) answers(r indicators.Revision) bool {
	if _, ok := s.keys[skey(r)]; ok {
		return true
	}
	kb := bucketOf(r)
	if !s.keysAll && !s.kfull[kb] {
		return false
	}
	_, ok := s.kmark[kb]
	return ok
}

// forgetKeys drops what the key index knows to be complete (the cache stays: a stored
// key stays stored), after a catch-up skipped keyed revisions of other replicas.
// Callers hold s.mu.
func (s *Store) forgetKeys() {
	s.keysAll = false
	clear(s.kfull)
	clear(s.kmark)
}

// trimKeys keeps the cache under Config.KeyCache entries, dropping entries (and the
// fullness of their buckets) in map order. Callers hold s.mu.
func (s *Store) trimKeys() {
	if len(s.keys) <= s.cfg.KeyCache {
		return
	}
	target := s.cfg.KeyCache * 3 / 4
	s.keysAll = false
	for sk := range s.keys {
		if len(s.keys) <= target {
			break
		}
		sender, key, _ := strings.Cut(sk, "\x00")
		delete(s.kfull, kbucket{sender, keyBucket(key)})
		delete(s.keys, sk)
	}
	s.log.Info("idempotency key cache trimmed", "keys", len(s.keys), "cap", s.cfg.KeyCache)
}

// resolveKeys makes the key index answer for every keyed element of revs: it reads
// the buckets of their cold keys whole (loadPerQuery at a time). Afterwards a key the
// index lacks is new. Keys of this replica's spool count as known, unless withSpooled (a
// replay asks InfluxDB about them, and needs the mark of every bucket it stamps in).
// Callers hold s.wmu and the leases of the senders (no other replica writes their keys
// meanwhile).
func (s *Store) resolveKeys(ctx context.Context, revs []indicators.Revision, withSpooled bool) (answered map[string]bool, err error) {
	cold := map[kbucket][]string{}
	var order []kbucket
	s.mu.Lock()
	for _, r := range revs {
		if r.IdempotencyKey == "" {
			continue
		}
		if s.answers(r) {
			// A replay stamps even keys the cache holds (a point stored by an earlier
			// attempt without its entry): it needs the bucket's mark too.
			if _, ok := s.kmark[bucketOf(r)]; ok || !withSpooled {
				continue
			}
		}
		if _, ok := s.spoolKeys[skey(r)]; ok && !withSpooled {
			continue
		}
		kb := bucketOf(r)
		if _, ok := cold[kb]; !ok {
			order = append(order, kb)
		}
		cold[kb] = append(cold[kb], r.IdempotencyKey)
	}
	s.mu.Unlock()
	answered = map[string]bool{}
	for len(order) > 0 {
		chunk := order[:min(len(order), loadPerQuery)]
		order = order[len(chunk):]
		qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err := s.loadBuckets(qctx, chunk)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	for kb, keys := range cold {
		for _, k := range keys {
			answered[kb.sender+"\x00"+k] = true
		}
	}
	return answered, nil
}

// bucketCond renders the condition selecting the series of buckets: tags only, one
// clause per sender.
func bucketCond(buckets []kbucket) string {
	per := map[string][]string{}
	var senders []string
	for _, kb := range buckets {
		t := senderTag(kb.sender)
		if _, ok := per[t]; !ok {
			senders = append(senders, t)
		}
		per[t] = append(per[t], kb.bucket)
	}
	slices.Sort(senders)
	var b strings.Builder
	for i, t := range senders {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(" + qlIdent(tagSender) + " = " + qlString(t) + " AND " + qlAnyOf(tagBucket, per[t]) + ")")
	}
	return b.String()
}

// loadBuckets reads buckets whole: afterwards they are full and their marks known.
func (s *Store) loadBuckets(ctx context.Context, buckets []kbucket) error {
	if len(buckets) == 0 {
		return nil
	}
	marks := make(map[kbucket]int64, len(buckets))
	var rows []keyRow
	q := "SELECT * FROM " + qlIdent(s.keysM()) + " WHERE " + bucketCond(buckets)
	err := s.ql.query(ctx, q, func(sr *qlSeries) error {
		return rowKeys(sr, func(kr keyRow) {
			kb := kbucket{senderOfTag(kr.sender), keyBucket(kr.key)}
			marks[kb] = max(marks[kb], kr.t)
			rows = append(rows, kr)
		})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kr := range rows {
		s.remember(senderOfTag(kr.sender), kr.key, kr.entry)
	}
	for _, kb := range buckets {
		s.kmark[kb] = max(s.kmark[kb], marks[kb])
		if s.v2 {
			s.kfull[kb] = true // before schema 2 the key measurement lacks the older keys
		}
	}
	return nil
}

// stampKey gives a new keyed point its time in the key measurement: above the
// highest of its bucket, reserved at once (a write that fails may still have landed).
// Callers hold s.mu, and the bucket's mark is known (resolveKeys).
func (s *Store) stampKey(p *point) {
	kb := bucketOf(p.Rev)
	t := max(s.kmark[kb]+1, s.cfg.Now().UnixNano())
	s.kmark[kb] = t
	p.KeyAt = t
}
