package boltstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// report is one stored report of the damage tests: a unique note marks its record in
// the file.
type report struct {
	indicator, period string
	value             float64
}

var damageReports = []report{
	{"57.1", "2026-01", 3900},
	{"57.1", "2026-02", 7600},
	{"57.1", "2026-02", 7650}, // revision 2
	{"11.1", "2026-Q1", 4.1},
}

func note(i int) string { return fmt.Sprintf("mark-%02d-%s", i, strings.Repeat("x", 12)) }

// healthyStore writes damageReports, one batch each, and closes the store.
func healthyStore(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	s := open(t, dir)
	for i, r := range damageReports {
		v := r.value
		_, err := s.Append(context.Background(), []indicators.Revision{{
			Report:     indicators.Report{Indicator: r.indicator, Period: r.period, Value: &v, Note: note(i), IdempotencyKey: fmt.Sprintf("key-%d", i)},
			Department: "rsj", Sender: "rsj", ReceivedAt: time.Now().UTC(),
			PeriodEnd: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	path = s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// boltInfo is the page size and the bytes the last transaction uses.
func boltInfo(t *testing.T, path string) (pageSize int, used int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return db.Info().PageSize, used
}

// recordBytes returns the stored bytes of damageReports[i]'s record.
func recordBytes(t *testing.T, path string, i int) []byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rec []byte
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("revisions")).ForEach(func(_, v []byte) error {
			if bytes.Contains(v, []byte(note(i))) {
				rec = bytes.Clone(v)
			}
			return nil
		})
	})
	if err != nil || rec == nil {
		t.Fatalf("record %d not found: %v", i, err)
	}
	return rec
}

// flipInFile flips bit `bit` of byte `at` of every copy of rec in the file (bbolt
// leaves stale copies in free pages; the live one is among them).
func flipInFile(t *testing.T, path string, rec []byte, at int, bit uint) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], rec)
		if i < 0 {
			break
		}
		b[off+i+at] ^= 1 << bit
		off += i + len(rec)
		n++
	}
	if n == 0 {
		t.Fatal("record not found in the file")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, at int64, bit uint) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1 << bit
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func update(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// headerValue is a store header as format.go writes it: JSON and its CRC-32C.
func headerValue(json string) []byte {
	return binary.BigEndian.AppendUint32([]byte(json), crc32.Checksum([]byte(json), crc32.MakeTable(crc32.Castagnoli)))
}

// Open refuses every damaged file and every file that is not a store it can use, says
// why, and leaves the file byte for byte as it was.
func TestOpenRefusesDamagedFilesAndLeavesThemAlone(t *testing.T) {
	cases := map[string]struct {
		damage func(t *testing.T, path string)
		is     error
		want   string
	}{
		"an empty file": {
			func(t *testing.T, path string) { must(t, os.Truncate(path, 0)) },
			boltstore.ErrDamaged, "the file is empty (0 bytes)",
		},
		"a file cut inside meta page 0": {
			func(t *testing.T, path string) { must(t, os.Truncate(path, 40)) },
			boltstore.ErrDamaged, "cut short",
		},
		"a file cut inside meta page 1": {
			func(t *testing.T, path string) {
				ps, _ := boltInfo(t, path)
				must(t, os.Truncate(path, int64(ps)+40))
			},
			boltstore.ErrDamaged, "meta page 1 missing",
		},
		"a file cut in the middle of its data": {
			func(t *testing.T, path string) {
				_, used := boltInfo(t, path)
				must(t, os.Truncate(path, used/2))
			},
			boltstore.ErrDamaged, "cut short",
		},
		"a file one page short": {
			func(t *testing.T, path string) {
				ps, used := boltInfo(t, path)
				must(t, os.Truncate(path, used-int64(ps)))
			},
			boltstore.ErrDamaged, "cut short",
		},
		"a flipped bit in meta page 0": {
			func(t *testing.T, path string) { flipByte(t, path, 16+44, 3) }, // page count
			boltstore.ErrDamaged, "meta page 0 fails its checksum",
		},
		"a flipped bit in meta page 1": {
			func(t *testing.T, path string) {
				ps, _ := boltInfo(t, path)
				flipByte(t, path, int64(ps)+16+50, 0) // txid
			},
			boltstore.ErrDamaged, "meta page 1 fails its checksum",
		},
		"a bbolt file of another program": {
			func(t *testing.T, path string) {
				must(t, os.Remove(path))
				update(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("members")); return err })
			},
			boltstore.ErrNotStore, `buckets "members"`,
		},
		"a text file": {
			func(t *testing.T, path string) {
				must(t, os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 1000), 0o600))
			},
			boltstore.ErrNotStore, "not even a bbolt database",
		},
		"a store written by a newer duban": {
			func(t *testing.T, path string) {
				update(t, path, func(tx *bolt.Tx) error {
					meta := tx.Bucket([]byte("meta"))
					must(t, meta.Put([]byte("format"), []byte("7")))
					return meta.Put([]byte("header"), headerValue(`{"store":"duban","format":7,"created_at":"2027-01-01T00:00:00Z"}`))
				})
			},
			boltstore.ErrFormat, "the store is in format 7, written by a newer duban; this build reads formats 3 to 6",
		},
		"a flipped bit in the store header": {
			func(t *testing.T, path string) {
				update(t, path, func(tx *bolt.Tx) error {
					meta := tx.Bucket([]byte("meta"))
					h := bytes.Clone(meta.Get([]byte("header")))
					h[bytes.Index(h, []byte(`"format":5`))+9] ^= 3 // 5 → 6
					return meta.Put([]byte("header"), h)
				})
			},
			boltstore.ErrDamaged, "the store header fails its checksum",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir, path := healthyStore(t)
			c.damage(t, path)
			before, err := os.ReadFile(path)
			must(t, err)
			s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
			if err == nil {
				_ = s.Close()
				t.Fatal("Open accepted the file")
			}
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant %v saying %q", err, c.is, c.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			after, err := os.ReadFile(path)
			must(t, err)
			if !bytes.Equal(before, after) {
				t.Error("the refused file was changed")
			}
			rep, err := boltstore.Check(context.Background(), boltstore.CheckConfig{Path: path})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if rep.Healthy() {
				t.Errorf("Check finds the file healthy: %+v", rep)
			}
		})
	}
}

// A flipped bit in a record is caught by its checksum: the record is never served,
// the store says it is damaged and takes no writes, History names the record, the
// metric counts it and Check lists it.
func TestADamagedRecordIsReportedAndNeverServed(t *testing.T) {
	cases := map[string]struct {
		record    int // index in damageReports
		at        int // byte of the record to flip
		served    []string
		damaged   string // indicator and period named
		historyOK []string
	}{
		"the latest revision's value": {
			record: 2, at: 4, // a high byte of the value: 7650 becomes something else
			served:  []string{"57.1 2026-01 #1", "11.1 2026-Q1 #1"},
			damaged: "indicator 57.1, period 2026-02", historyOK: []string{"11.1"},
		},
		"an older revision's value": {
			record: 1, at: 10, // the value's last byte: 7600 changes in its 13th digit
			served:  []string{"57.1 2026-01 #1", "57.1 2026-02 #2", "11.1 2026-Q1 #1"},
			damaged: "indicator 57.1, period 2026-02", historyOK: []string{"11.1"},
		},
		"the indicator id inside the record": {
			record: 3, at: 12, // "11.1" becomes "!1.1": the record no longer names its indicator
			served:  []string{"57.1 2026-01 #1", "57.1 2026-02 #2"},
			damaged: "indicator 11.1, period 2026-Q1", historyOK: []string{"57.1"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir, path := healthyStore(t)
			flipInFile(t, path, recordBytes(t, path, c.record), c.at, 4)
			ctx := context.Background()

			s := open(t, dir) // records are verified when read, not at Open
			defer s.Close()
			latest, err := s.Latest(ctx)
			must(t, err)
			var got []string
			for _, r := range latest {
				got = append(got, fmt.Sprintf("%s %s #%d", r.Indicator, r.Period, r.Revision))
				if r.Note == note(c.record) {
					t.Errorf("the damaged record is served: %+v", r)
				}
			}
			slices.Sort(got)
			slices.Sort(c.served)
			if !slices.Equal(got, c.served) {
				t.Errorf("Latest serves %v, want %v", got, c.served)
			}

			arrivals, err := s.FirstArrivals(ctx, []time.Time{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
			must(t, err)
			for _, a := range arrivals {
				if "indicator "+a.Indicator+", period "+a.Period == c.damaged {
					t.Errorf("FirstArrivals serves the damaged period: %+v", a)
				}
			}

			ind := strings.Fields(strings.TrimPrefix(c.damaged, "indicator "))[0]
			ind = strings.TrimSuffix(ind, ",")
			_, err = s.History(ctx, "", ind)
			if !errors.Is(err, boltstore.ErrDamaged) || !strings.Contains(err.Error(), c.damaged) {
				t.Errorf("History(%s) = %v, want ErrDamaged naming %q", ind, err, c.damaged)
			}
			for _, id := range c.historyOK {
				if _, err := s.History(ctx, "", id); err != nil {
					t.Errorf("History(%s), not damaged: %v", id, err)
				}
			}

			waitFor(t, func() bool { ok, _ := s.Ready(t.Context()); return !ok })
			if _, detail := s.Ready(t.Context()); !strings.Contains(detail, "damaged") || !strings.Contains(detail, "duban store check") {
				t.Errorf("Ready detail %q does not say the store is damaged and what to do", detail)
			}
			v := 1.0
			_, err = s.Append(ctx, []indicators.Revision{{Report: indicators.Report{Indicator: "11.1", Period: "2026-04", Value: &v}, Sender: "fgw"}})
			if !errors.Is(err, boltstore.ErrDamaged) {
				t.Errorf("Append to a damaged store = %v, want ErrDamaged", err)
			}
			if n := testutil.ToFloat64(onlyMetric(s, "duban_store_damaged_records")); n < 1 {
				t.Errorf("duban_store_damaged_records = %v, want at least 1", n)
			}
			must(t, s.Close())

			rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
			must(t, err)
			if rep.Healthy() || !strings.Contains(strings.Join(rep.Problems, "\n"), c.damaged) {
				t.Errorf("Check problems %q do not name %q", rep.Problems, c.damaged)
			}
		})
	}
}

func TestCheckPassesAHealthyStore(t *testing.T) {
	_, path := healthyStore(t)
	rep, err := boltstore.Check(context.Background(), boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Records != len(damageReports) || rep.Latest != 3 || rep.Format != 6 || rep.CreatedAt == "" {
		t.Errorf("Check = %+v, want healthy, 4 records, 3 latest values, format 6 with its creation time", rep)
	}
}

func TestCheckSaysAServingStoreIsInUse(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	_, err := boltstore.Check(context.Background(), boltstore.CheckConfig{Path: s.Path(), Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), "backup") {
		t.Errorf("Check of a store in use = %v, want it locked, pointing to a backup", err)
	}
}

// A 0-byte file is damage, but a missing file is a new store, created with its header.
func TestAMissingFileIsANewStore(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	must(t, s.Close())
	rep, err := boltstore.Check(context.Background(), boltstore.CheckConfig{Path: filepath.Join(dir, boltstore.FileName)})
	must(t, err)
	if !rep.Healthy() || rep.Format != 6 || rep.Records != 0 {
		t.Errorf("new store: %+v", rep)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, boltstore.FileName+".new-*"))
	if len(leftovers) != 0 {
		t.Errorf("creation left %v behind", leftovers)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onlyMetric is the one metric called name among the store's.
func onlyMetric(s *boltstore.Store, name string) prometheus.Collector {
	return filtered{s.Metrics(), name}
}

type filtered struct {
	c    prometheus.Collector
	name string
}

func (f filtered) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(f, ch) }

func (f filtered) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}
