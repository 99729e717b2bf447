package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The value format is a hand-rolled binary record, because Latest decodes every
// stored (indicator, period) at start-up. Against encoding/json (BenchmarkCodec, a
// full milestone record): 176 bytes instead of 399, encode 89 ns instead of 1.5 µs,
// decode 0.33 µs instead of 4.2 µs.
//
//	byte    format version (1)
//	uvarint revision
//	byte    flags                   (bit 0: value set, bit 1: percent set)
//	[8]byte value bits, big endian  (only when set)
//	[8]byte percent bits            (only when set)
//	strings indicator, period, stage, note, evidence, idempotency key, reason,
//	        department, sender, remote (uvarint length + UTF-8 bytes each)
//	varint  received_at Unix seconds, uvarint its nanoseconds
//	varint  period_end Unix seconds, uvarint its nanoseconds
//
// Times come back in UTC: the instant is kept to the nanosecond, the zone is not.
const formatV1 = 1

const (
	flagValue   = 1 << 0
	flagPercent = 1 << 1
)

var errCorrupt = errors.New("boltstore: corrupt record")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// encodeRevision appends the record of r to b.
func encodeRevision(b []byte, r *indicators.Revision) []byte {
	b = append(b, formatV1)
	b = binary.AppendUvarint(b, uint64(r.Revision))
	var flags byte
	if r.Value != nil {
		flags |= flagValue
	}
	if r.Percent != nil {
		flags |= flagPercent
	}
	b = append(b, flags)
	if r.Value != nil {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(*r.Value))
	}
	if r.Percent != nil {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(*r.Percent))
	}
	b = appendString(b, r.Indicator)
	b = appendString(b, r.Period)
	b = appendString(b, string(r.Stage))
	b = appendString(b, r.Note)
	b = appendString(b, r.Evidence)
	b = appendString(b, r.IdempotencyKey)
	b = appendString(b, r.Reason)
	b = appendString(b, r.Department)
	b = appendString(b, r.Sender)
	b = appendString(b, r.Remote)
	b = appendTime(b, r.ReceivedAt)
	b = appendTime(b, r.PeriodEnd)
	return b
}

// decoder reads a record; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) float() *float64 {
	if len(d.b) < 8 {
		d.fail()
		return nil
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	return &f
}

// bytes does not copy: valid only as long as b is.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// string copies: bolt's bytes are valid only inside the transaction.
func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) revision() int {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.fail()
		return 0
	}
	return int(v)
}

// decodeRevision reads a record written by encodeRevision.
func decodeRevision(b []byte) (indicators.Revision, error) {
	d := decoder{b: b}
	var r indicators.Revision
	if v := d.byte(); v != formatV1 && d.err == nil {
		return r, fmt.Errorf("boltstore: unknown record format %d", v)
	}
	r.Revision = d.revision()
	flags := d.byte()
	if flags&flagValue != 0 {
		r.Value = d.float()
	}
	if flags&flagPercent != 0 {
		r.Percent = d.float()
	}
	r.Indicator = d.string()
	r.Period = d.string()
	r.Stage = indicators.Stage(d.string())
	r.Note = d.string()
	r.Evidence = d.string()
	r.IdempotencyKey = d.string()
	r.Reason = d.string()
	r.Department = d.string()
	r.Sender = d.string()
	r.Remote = d.string()
	r.ReceivedAt = d.time()
	r.PeriodEnd = d.time()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return indicators.Revision{}, d.err
	}
	return r, nil
}

// scanRecord reads only what the in-memory index needs; the bytes alias b.
func scanRecord(b []byte) (indicator, sender, key []byte, err error) {
	d := decoder{b: b}
	if v := d.byte(); v != formatV1 && d.err == nil {
		return nil, nil, nil, fmt.Errorf("boltstore: unknown record format %d", v)
	}
	d.revision()
	flags := d.byte()
	if flags&flagValue != 0 {
		d.float()
	}
	if flags&flagPercent != 0 {
		d.float()
	}
	indicator = d.bytes()
	d.bytes() // period
	d.bytes() // stage
	d.bytes() // note
	d.bytes() // evidence
	key = d.bytes()
	d.bytes() // reason
	d.bytes() // department
	sender = d.bytes()
	if d.err != nil {
		return nil, nil, nil, d.err
	}
	return indicator, sender, key, nil
}

// Keys and pointers. Indicator ids and senders never contain NUL (Append rejects
// them), so "indicator\x00period" and "sender\x00key" are unambiguous.
//
//	revisions: seq(8)                 → record
//	latest:    indicator \x00 period → uvarint revision, seq(8)
//	(memory)   sender \x00 idempotency key, hashed → seq
//
// seq is a store-wide counter (the revisions bucket's sequence), big endian, so records
// are appended at the end of the bucket: a commit dirties a few pages however many
// indicators it touches (page count is what an fsync costs).
func revisionKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

func latestKey(indicator, period string) []byte {
	k := make([]byte, 0, len(indicator)+len(period)+1)
	k = append(k, indicator...)
	k = append(k, 0)
	return append(k, period...)
}

// encodePointer is the latest value: the revision number and where its record is.
func encodePointer(revision int, seq uint64) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+8)
	b = binary.AppendUvarint(b, uint64(revision))
	return binary.BigEndian.AppendUint64(b, seq)
}

func decodePointer(b []byte) (revision int, seq uint64, err error) {
	d := decoder{b: b}
	revision = d.revision()
	if d.err != nil || len(d.b) != 8 {
		return 0, 0, errCorrupt
	}
	return revision, binary.BigEndian.Uint64(d.b), nil
}

func idemKey(sender, key string) []byte {
	k := make([]byte, 0, len(sender)+len(key)+1)
	k = append(k, sender...)
	k = append(k, 0)
	return append(k, key...)
}
