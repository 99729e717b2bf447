package boltstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The value format is a hand-rolled binary record, because Latest decodes every
// stored (indicator, period) at start-up. Against encoding/json (BenchmarkCodec, a
// full milestone record): 176 bytes instead of 399, encode 89 ns instead of 1.5 µs,
// decode 0.33 µs instead of 4.2 µs.
//
//	byte    record version (3; 2 in stores of formats 4 and 5, 1 in format 3, see format.go)
//	uvarint revision
//	byte    flags                   (bit 0: value set, bit 1: percent set)
//	[8]byte value bits, big endian  (only when set)
//	[8]byte percent bits            (only when set)
//	strings plan (version 3 only), indicator, period, stage, note, evidence, idempotency key, reason,
//	        department, sender, remote (uvarint length + UTF-8 bytes each)
//	varint  received_at Unix seconds, uvarint its nanoseconds
//	varint  period_end Unix seconds, uvarint its nanoseconds
//	[4]byte CRC-32C (Castagnoli), big endian, of the record's 8-byte key followed by
//	        every byte above (versions 2 and 3)
//
// bbolt checksums its meta pages but not the data pages, so without the trailer one
// flipped bit in a value page would silently change a stored value. The key is in the
// sum so that a record that lands under another sequence number (a flipped bit in a
// key) fails too. CRC-32C is computed with the CPU's instruction where there is one:
// 0.13–0.28 µs for the 180-byte sample record on the shared 2-core test machine under
// load (BenchmarkCodec/binary/checksum), small beside the decode, so every read
// verifies.
//
// Times come back in UTC: the instant is kept to the nanosecond, the zone is not.
const (
	recordV1 = 1 // format 3: no checksum (read only to migrate and check old stores)
	recordV2 = 2 // formats 4 and 5: CRC-32C trailer (read only to migrate and check old stores)
	recordV3 = 3 // format 6: the plan, then as version 2
)

const (
	flagValue   = 1 << 0
	flagPercent = 1 << 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Damage: errCorrupt for bytes that do not decode, errChecksum for a record whose
// trailer does not match. Both are ErrDamaged.
var (
	errCorrupt  error = &damage{"does not decode"}
	errChecksum error = &damage{"fails its checksum"}
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond())) //nolint:gosec // G115: 0..999999999
}

// encodeRevision appends the record of r, stored under sequence number seq, to b.
func encodeRevision(b []byte, seq uint64, r *indicators.Revision) []byte {
	start := len(b)
	b = append(b, recordV3)
	b = appendFields(b, r, true)
	return binary.BigEndian.AppendUint32(b, recordSum(seq, b[start:]))
}

// encodeRevisionV2 appends the record of r in version 2 (no plan), as a store of
// format 4 or 5 holds it: only for the migration from format 3, which passes through
// those formats.
func encodeRevisionV2(b []byte, seq uint64, r *indicators.Revision) []byte {
	start := len(b)
	b = append(b, recordV2)
	b = appendFields(b, r, false)
	return binary.BigEndian.AppendUint32(b, recordSum(seq, b[start:]))
}

// recordSum is the checksum of the record bytes stored under seq.
func recordSum(seq uint64, record []byte) uint32 {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return crc32.Update(crc32.Update(0, castagnoli, k[:]), castagnoli, record)
}

// checked verifies the version and checksum of a stored record and returns its fields.
func checked(seq uint64, b []byte) ([]byte, error) {
	return checkedAs(recordV3, seq, b)
}

// checkedAs is checked for a record of the given version (recordV2 to migrate).
func checkedAs(version byte, seq uint64, b []byte) ([]byte, error) {
	if len(b) < 1+4 {
		return nil, errCorrupt
	}
	if b[0] != version {
		return nil, &damage{fmt.Sprintf("has record version %d where this store holds version %d", b[0], version)}
	}
	body := b[:len(b)-4]
	if recordSum(seq, body) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return nil, errChecksum
	}
	return body[1:], nil
}

func appendFields(b []byte, r *indicators.Revision, withPlan bool) []byte {
	b = binary.AppendUvarint(b, uint64(r.Revision)) //nolint:gosec // G115: revisions count from 1 (collector.Number)
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
	if withPlan {
		b = appendString(b, r.Plan)
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

// decodeRevision reads the record stored under seq, verifying its checksum.
func decodeRevision(seq uint64, b []byte) (indicators.Revision, error) {
	body, err := checked(seq, b)
	if err != nil {
		return indicators.Revision{}, err
	}
	return decodeFields(body, true)
}

// decodeV2 reads a record of a format-4 store (version 2, no plan), verifying its
// checksum.
func decodeV2(seq uint64, b []byte) (indicators.Revision, error) {
	body, err := checkedAs(recordV2, seq, b)
	if err != nil {
		return indicators.Revision{}, err
	}
	return decodeFields(body, false)
}

// decodeV1 reads a record of a format-3 store (version 1, no checksum).
func decodeV1(b []byte) (indicators.Revision, error) {
	if len(b) < 1 || b[0] != recordV1 {
		return indicators.Revision{}, errCorrupt
	}
	return decodeFields(b[1:], false)
}

// decodeUnchecked decodes a record whatever its checksum says: only to name a damaged
// record in an error, never to serve it.
func decodeUnchecked(b []byte) (indicators.Revision, error) {
	switch {
	case len(b) >= 5 && b[0] == recordV3:
		return decodeFields(b[1:len(b)-4], true)
	case len(b) >= 5 && b[0] == recordV2:
		return decodeFields(b[1:len(b)-4], false)
	case len(b) >= 1 && b[0] == recordV1:
		return decodeFields(b[1:], false)
	}
	return indicators.Revision{}, errCorrupt
}

func decodeFields(b []byte, withPlan bool) (indicators.Revision, error) {
	d := decoder{b: b}
	var r indicators.Revision
	r.Revision = d.revision()
	flags := d.byte()
	if flags&flagValue != 0 {
		r.Value = d.float()
	}
	if flags&flagPercent != 0 {
		r.Percent = d.float()
	}
	if withPlan {
		r.Plan = d.string()
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

// scanRecord verifies the record stored under seq and reads only what the in-memory
// index needs; the bytes alias b.
func scanRecord(seq uint64, b []byte) (plan, indicator, sender, key []byte, err error) {
	body, err := checked(seq, b)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	d := decoder{b: body}
	d.revision()
	flags := d.byte()
	if flags&flagValue != 0 {
		d.float()
	}
	if flags&flagPercent != 0 {
		d.float()
	}
	plan = d.bytes()
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
		return nil, nil, nil, nil, d.err
	}
	return plan, indicator, sender, key, nil
}

// Keys and pointers. Plan and indicator ids and senders never contain NUL (Append
// rejects them), so "plan\x00indicator\x00period" and "sender\x00key" are unambiguous.
// A series is one indicator of one plan, "plan\x00indicator" (seriesKey): what the
// latest pointers and the in-memory history index are keyed by.
//
//	revisions: seq(8)                           → record
//	latest:    plan \x00 indicator \x00 period → uvarint revision, seq(8)
//	(memory)   sender \x00 idempotency key, hashed → seq
//
// seq is a store-wide counter (the revisions bucket's sequence), big endian, so records
// are appended at the end of the bucket: a commit dirties a few pages however many
// indicators it touches (page count is what an fsync costs).
func revisionKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// seriesKey is one indicator of one plan.
func seriesKey(plan, indicator string) string { return plan + "\x00" + indicator }

// latestKey is the latest pointer's key of a series (seriesKey) and period.
func latestKey(series, period string) []byte {
	k := make([]byte, 0, len(series)+len(period)+1)
	k = append(k, series...)
	k = append(k, 0)
	return append(k, period...)
}

// encodePointer is the latest value: the revision number and where its record is.
func encodePointer(revision int, seq uint64) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+8)
	b = binary.AppendUvarint(b, uint64(revision)) //nolint:gosec // G115: revisions count from 1 (collector.Number)
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
