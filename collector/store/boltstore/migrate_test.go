package boltstore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// format3Store copies testdata/format3/duban.db.gz (a store written by the code before
// checksums, see its README) into a new data directory.
func format3Store(t *testing.T) (dir, path string) {
	t.Helper()
	f, err := os.Open("testdata/format3/duban.db.gz")
	must(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must(t, err)
	dir = t.TempDir()
	path = filepath.Join(dir, boltstore.FileName)
	out, err := os.Create(path)
	must(t, err)
	_, err = io.Copy(out, zr)
	must(t, err)
	must(t, out.Close())
	return dir, path
}

type storeContent struct {
	Latest  []indicators.Revision            `json:"latest"`
	History map[string][]indicators.Revision `json:"history"`
}

// A store written before records had checksums opens: every record is rewritten with
// its checksum in one transaction, and the store serves exactly what the old build
// served, idempotency keys included.
func TestFormat3StoreIsMigrated(t *testing.T) {
	dir, path := format3Store(t)
	ctx := context.Background()

	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 3 || rep.Records != 7 || !strings.Contains(strings.Join(rep.Notes, " "), "migrates") {
		t.Fatalf("Check of the format-3 store: %+v", rep)
	}

	s := open(t, dir)
	var got storeContent
	got.Latest, err = s.Latest(ctx)
	must(t, err)
	got.History = map[string][]indicators.Revision{}
	for _, id := range []string{"57.1", "11.1", "3.2"} {
		got.History[id], err = s.History(ctx, id)
		must(t, err)
	}
	gotJSON, _ := json.MarshalIndent(got, "", "  ")
	wantJSON, err := os.ReadFile("testdata/format3/content.json")
	must(t, err)
	if !bytes.Equal(append(gotJSON, '\n'), wantJSON) {
		t.Errorf("after the migration the store serves\n%s\nwant (what the format-3 build served)\n%s", gotJSON, wantJSON)
	}

	v := 11800.0
	rc, err := s.Append(ctx, []indicators.Revision{{
		Report: indicators.Report{Indicator: "57.1", Period: "2026-03", Value: &v, IdempotencyKey: "rsj-57.1-2026-03"},
		Sender: "rsj",
	}})
	must(t, err)
	if want := (indicators.Receipt{Indicator: "57.1", Period: "2026-03", Revision: 1, Replayed: true}); rc[0] != want {
		t.Errorf("a key stored before the migration: %+v, want the replay %+v", rc[0], want)
	}
	rc, err = s.Append(ctx, []indicators.Revision{{Report: indicators.Report{Indicator: "57.1", Period: "2026-03", Value: &v}, Sender: "admin"}})
	must(t, err)
	if rc[0].Revision != 2 {
		t.Errorf("a new revision after the migration: %+v, want revision 2", rc[0])
	}
	must(t, s.Close())

	rep, err = boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 5 || rep.Records != 8 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	must(t, db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket([]byte("meta")).Get([]byte("header"))
		if !bytes.Contains(h, []byte(`"format":5`)) || !bytes.Contains(h, []byte(`"migrations":[{"from":3,"to":4,`)) || !bytes.Contains(h, []byte(`{"from":4,"to":5,`)) {
			t.Errorf("header %q does not record the migration", h)
		}
		return nil
	}))
}

// A store written by the build before reviews (format 4, testdata/format4) opens: the
// migration adds the reviews bucket and rewrites nothing, every revision reads back as
// submitted, keys still replay, and the office can review at once.
func TestFormat4StoreIsMigrated(t *testing.T) {
	f, err := os.Open("testdata/format4/duban.db.gz")
	must(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, boltstore.FileName)
	out, err := os.Create(path)
	must(t, err)
	_, err = io.Copy(out, zr)
	must(t, err)
	must(t, out.Close())
	ctx := context.Background()

	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 4 || rep.Records != 3 || !strings.Contains(strings.Join(rep.Notes, " "), "migrates the store to format 5") {
		t.Fatalf("Check of the format-4 store: %+v", rep)
	}

	s := open(t, dir)
	latest, err := s.Latest(ctx)
	must(t, err)
	if len(latest) != 2 {
		t.Fatalf("Latest after the migration: %d values, want 2", len(latest))
	}
	for _, r := range latest {
		if r.State() != indicators.Submitted || len(r.Reviews) != 0 {
			t.Errorf("%s %s revision %d after the migration: state %s, reviews %v; want submitted", r.Indicator, r.Period, r.Revision, r.State(), r.Reviews)
		}
	}
	v := 11800.0
	rc, err := s.Append(ctx, []indicators.Revision{{
		Report: indicators.Report{Indicator: "57.1", Period: "2026-10", Value: &v, IdempotencyKey: "rsj-57.1-2026-10"},
		Sender: "rsj",
	}})
	must(t, err)
	if want := (indicators.Receipt{Indicator: "57.1", Period: "2026-10", Revision: 1, Replayed: true}); rc[0] != want {
		t.Errorf("a key stored before the migration: %+v, want the replay %+v", rc[0], want)
	}
	at := time.Date(2026, 11, 6, 2, 0, 0, 0, time.UTC)
	rvs, err := s.Review(ctx, []indicators.Review{{Indicator: "57.1", Period: "2026-10", Decision: indicators.Returned, Comment: "请附统计局更正函", Reviewer: "admin", ReviewedAt: at}})
	must(t, err)
	if rvs[0].Revision != 2 {
		t.Errorf("the review judged revision %d, want the latest, 2", rvs[0].Revision)
	}
	hist, err := s.History(ctx, "57.1")
	must(t, err)
	if len(hist) != 2 || hist[0].State() != indicators.Submitted || hist[1].State() != indicators.Returned || hist[1].Reviews[0].Comment != "请附统计局更正函" {
		t.Errorf("history after a review: %+v", hist)
	}
	must(t, s.Close())

	rep, err = boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 5 || rep.Records != 3 || rep.Reviews != 1 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	must(t, db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket([]byte("meta")).Get([]byte("header"))
		if !bytes.Contains(h, []byte(`"format":5`)) || !bytes.Contains(h, []byte(`"migrations":[{"from":4,"to":5,`)) {
			t.Errorf("header %q does not record the migration", h)
		}
		return nil
	}))
}

// A format-3 record that does not decode stops the migration: Open refuses the store
// as damaged and nothing of the file is rewritten.
func TestAFormat3StoreWithADamagedRecordIsNotMigrated(t *testing.T) {
	dir, path := format3Store(t)
	update(t, path, func(tx *bolt.Tx) error {
		revs := tx.Bucket([]byte("revisions"))
		k, v := revs.Cursor().Last()
		bad := bytes.Clone(v)
		bad[0] = 7 // no such record version
		return revs.Put(bytes.Clone(k), bad)
	})
	before, err := os.ReadFile(path)
	must(t, err)
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open migrated a store with a damaged record")
	}
	if !errors.Is(err, boltstore.ErrDamaged) || !strings.Contains(err.Error(), "record 7 does not decode") {
		t.Errorf("error %q, want ErrDamaged naming record 7", err)
	}
	after, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Error("the refused store was changed")
	}
}
