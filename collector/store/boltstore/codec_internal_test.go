package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// White-box tests of the record format: it must round-trip every field and never
// panic on a damaged file.

func sampleRevision() indicators.Revision {
	v, p := 11800.25, 40.0
	return indicators.Revision{
		Report: indicators.Report{
			Plan: "changzhi-2026", Indicator: "57.1", Period: "2026-03", Value: &v, Stage: indicators.StageStarted, Percent: &p,
			Note: "进展情况：一季度完成11800万元", Evidence: "https://example.gov.cn/1.pdf",
			IdempotencyKey: "fgw-57.1-2026-03", Reason: "更正",
		},
		Revision: 3, Department: "fgw", Sender: "admin",
		ReceivedAt: time.Date(2026, 4, 1, 8, 0, 0, 123456789, time.UTC),
		Remote:     "127.0.0.1:40000",
		PeriodEnd:  time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	zero, negZero, nan := 0.0, math.Copysign(0, -1), math.NaN()
	cases := map[string]func(r *indicators.Revision){
		"every field is set":                     func(*indicators.Revision) {},
		"value zero is kept apart from no value": func(r *indicators.Revision) { r.Value = &zero; r.Percent = nil },
		"negative zero keeps its sign":           func(r *indicators.Revision) { r.Value = &negZero },
		"NaN bits survive":                       func(r *indicators.Revision) { r.Value = &nan },
		"no value and no percent":                func(r *indicators.Revision) { r.Value, r.Percent = nil, nil },
		"zero times stay zero":                   func(r *indicators.Revision) { r.ReceivedAt, r.PeriodEnd = time.Time{}, time.Time{} },
		"times before 1970 and after 2262": func(r *indicators.Revision) {
			r.ReceivedAt = time.Date(1900, 1, 1, 0, 0, 0, 5, time.UTC)
			r.PeriodEnd = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		},
		"empty strings everywhere": func(r *indicators.Revision) {
			r.Report = indicators.Report{Indicator: "1", Period: "2026-01"}
			r.Department, r.Sender, r.Remote = "", "", ""
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			want := sampleRevision()
			change(&want)
			got, err := decodeRevision(7, encodeRevision(nil, 7, &want))
			if err != nil {
				t.Fatal(err)
			}
			if !want.ReceivedAt.Equal(got.ReceivedAt) || !want.PeriodEnd.Equal(got.PeriodEnd) {
				t.Errorf("times: got %v %v, want %v %v", got.ReceivedAt, got.PeriodEnd, want.ReceivedAt, want.PeriodEnd)
			}
			if want.ReceivedAt.IsZero() != got.ReceivedAt.IsZero() {
				t.Errorf("zero time not kept")
			}
			for _, f := range []struct {
				name string
				w, g *float64
			}{{"value", want.Value, got.Value}, {"percent", want.Percent, got.Percent}} {
				if (f.w == nil) != (f.g == nil) || (f.w != nil && math.Float64bits(*f.w) != math.Float64bits(*f.g)) {
					t.Errorf("%s: got %v, want %v", f.name, f.g, f.w)
				}
			}
			want.ReceivedAt, want.PeriodEnd, got.ReceivedAt, got.PeriodEnd = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			want.Value, want.Percent, got.Value, got.Percent = nil, nil, nil, nil
			if !reflect.DeepEqual(want, got) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDamagedRecordsAreErrors(t *testing.T) {
	rec := sampleRevision()
	good := encodeRevision(nil, 42, &rec)
	for n := range len(good) {
		if _, err := decodeRevision(42, good[:n]); !errors.Is(err, ErrDamaged) {
			t.Errorf("record cut to %d of %d bytes: %v, want ErrDamaged", n, len(good), err)
		}
	}
	if _, err := decodeRevision(42, append(bytes.Clone(good), 0)); !errors.Is(err, ErrDamaged) {
		t.Errorf("record with a trailing byte: %v, want ErrDamaged", err)
	}
	bad := bytes.Clone(good)
	bad[0] = 99
	if _, err := decodeRevision(42, bad); !errors.Is(err, ErrDamaged) {
		t.Errorf("record of an unknown version: %v, want ErrDamaged", err)
	}
	if _, _, err := decodePointer([]byte{1, 2}); !errors.Is(err, ErrDamaged) {
		t.Errorf("short pointer: %v, want ErrDamaged", err)
	}
	if _, err := decodeRevision(43, good); !errors.Is(err, errChecksum) {
		t.Errorf("record read under another key: %v, want a checksum failure", err)
	}
}

// Every single flipped bit of a record is caught by its checksum: none decodes, and
// none decodes to another value, which is what a flipped bit did before format 4.
func TestEveryFlippedBitIsCaught(t *testing.T) {
	rec := sampleRevision()
	good := encodeRevision(nil, 42, &rec)
	for i := range len(good) * 8 {
		bad := bytes.Clone(good)
		bad[i/8] ^= 1 << (i % 8)
		if r, err := decodeRevision(42, bad); !errors.Is(err, ErrDamaged) {
			t.Fatalf("bit %d flipped: decoded %+v, err %v", i, r, err)
		}
		if _, _, _, _, err := scanRecord(42, bad); !errors.Is(err, ErrDamaged) {
			t.Fatalf("bit %d flipped: the index scan read it (%v)", i, err)
		}
	}
}

// A format-3 record (version 1, no checksum) decodes as such for the migration, and
// its re-encoding decodes to the same revision.
func TestVersion1RecordsMigrate(t *testing.T) {
	rec := sampleRevision()
	v1 := appendFields([]byte{recordV1}, &rec, false)
	r, err := decodeV1(v1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := decodeRevision(9, encodeRevision(nil, 9, &r))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(appendFields(nil, &r, true), appendFields(nil, &again, true)) {
		t.Fatalf("migrated record differs: %+v vs %+v", r, again)
	}
	if _, err := decodeRevision(9, v1); !errors.Is(err, ErrDamaged) {
		t.Errorf("a version-1 record in a format-6 store: %v, want ErrDamaged", err)
	}
}

// FuzzDecodeRevision: any bytes decode to a revision or an error, never a panic, and
// whatever decodes re-encodes to a record that decodes the same.
func FuzzDecodeRevision(f *testing.F) {
	rec := sampleRevision()
	f.Add(uint64(1), encodeRevision(nil, 1, &rec))
	rec.Value, rec.Percent = nil, nil
	f.Add(uint64(2), encodeRevision(nil, 2, &rec))
	f.Add(uint64(3), appendFields([]byte{recordV1}, &rec, false))
	f.Add(uint64(0), []byte{recordV2})
	f.Fuzz(func(t *testing.T, seq uint64, b []byte) {
		_, _ = decodeRevision(seq, b)
		_, _, _, _, _ = scanRecord(seq, b)
		_, _, _ = decodePointer(b)
		r, err := decodeUnchecked(b) // the fields, whatever the checksum says
		if err != nil {
			return
		}
		again, err := decodeRevision(seq, encodeRevision(nil, seq, &r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !bytes.Equal(encodeRevision(nil, seq, &r), encodeRevision(nil, seq, &again)) {
			t.Fatalf("record changes across a round trip: %+v vs %+v", r, again)
		}
	})
}

// BenchmarkCodec compares the record format with encoding/json, the obvious
// alternative: the format exists because start-up decodes every latest value.
func BenchmarkCodec(b *testing.B) {
	rec := sampleRevision()
	bin := encodeRevision(nil, 1, &rec)
	js, err := json.Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("binary/encode", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = encodeRevision(buf[:0], 1, &rec)
		}
		b.ReportMetric(float64(len(bin)), "bytes")
	})
	b.Run("binary/decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeRevision(1, bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary/checksum", func(b *testing.B) { // part of encode and decode
		b.SetBytes(int64(len(bin)))
		for b.Loop() {
			_ = recordSum(1, bin[:len(bin)-4])
		}
	})
	b.Run("json/encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(rec); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(js)), "bytes")
	})
	b.Run("json/decode", func(b *testing.B) {
		for b.Loop() {
			var r indicators.Revision
			if err := json.Unmarshal(js, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
