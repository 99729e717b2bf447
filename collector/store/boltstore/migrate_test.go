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
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// format3Store copies testdata/format3/duban.db.gz (a store written by the code before
// checksums, see its README) into a new data directory.
func format3Store(t *testing.T) (dir, path string) { return oldStore(t, "format3") }

// oldStore copies testdata/NAME/duban.db.gz into a new data directory.
func oldStore(t *testing.T, name string) (dir, path string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name, "duban.db.gz"))
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

// oldPlan is the plan the old stores' reports are assigned to when they migrate.
const oldPlan = "changzhi-2026"

// served reads what s serves of the old stores' indicators, of plan oldPlan.
func served(t *testing.T, s *boltstore.Store) storeContent {
	t.Helper()
	ctx := context.Background()
	var got storeContent
	var err error
	got.Latest, err = s.Latest(ctx)
	must(t, err)
	got.History = map[string][]indicators.Revision{}
	for _, id := range []string{"57.1", "11.1", "3.2"} {
		got.History[id], err = s.History(ctx, oldPlan, id)
		must(t, err)
	}
	return got
}

// wantContent is testdata/NAME/content.json, what the old build served, with every
// revision assigned to plan.
func wantContent(t *testing.T, name, plan string) storeContent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name, "content.json"))
	must(t, err)
	var c storeContent
	must(t, json.Unmarshal(b, &c))
	for i := range c.Latest {
		if c.Latest[i].Plan != "" {
			t.Fatalf("%s/content.json already has plans", name)
		}
		c.Latest[i].Plan = plan
	}
	for _, h := range c.History {
		for i := range h {
			h[i].Plan = plan
		}
	}
	return c
}

func sameContent(t *testing.T, got, want storeContent) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(g, w) {
		t.Errorf("after the migration the store serves\n%s\nwant (what the old build served, in plan %s)\n%s", g, oldPlan, w)
	}
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

	s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, DefaultPlan: oldPlan})
	must(t, err)
	sameContent(t, served(t, s), wantContent(t, "format3", oldPlan))

	v := 11800.0
	rc, err := s.Append(ctx, []indicators.Revision{{
		Report: indicators.Report{Plan: oldPlan, Indicator: "57.1", Period: "2026-03", Value: &v, IdempotencyKey: "rsj-57.1-2026-03"},
		Sender: "rsj",
	}})
	must(t, err)
	if want := (indicators.Receipt{Indicator: "57.1", Period: "2026-03", Revision: 1, Replayed: true}); rc[0] != want {
		t.Errorf("a key stored before the migration: %+v, want the replay %+v", rc[0], want)
	}
	rc, err = s.Append(ctx, []indicators.Revision{{Report: indicators.Report{Plan: oldPlan, Indicator: "57.1", Period: "2026-03", Value: &v}, Sender: "admin"}})
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
		if !bytes.Contains(h, []byte(`"format":5`)) || !bytes.Contains(h, []byte(`"migrations":[{"from":3,"to":5,`)) {
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
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir, DefaultPlan: oldPlan})
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

// TestFormat4StoreIsMigratedToItsPlan: a store written by the build before plans
// (testdata/format4, see its README) opens with every revision assigned to the
// default plan, serves what it served, replays its idempotency keys, and numbers on;
// the same indicator id then starts afresh in another plan.
func TestFormat4StoreIsMigratedToItsPlan(t *testing.T) {
	dir, path := oldStore(t, "format4")
	ctx := context.Background()
	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 4 || rep.Records != 7 || !strings.Contains(strings.Join(rep.Notes, " "), "no plan yet") {
		t.Fatalf("Check of the format-4 store: %+v", rep)
	}

	s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, DefaultPlan: oldPlan})
	must(t, err)
	got := served(t, s)
	slices.SortFunc(got.Latest, indicators.CompareHistory) // as content.json was written
	sameContent(t, got, wantContent(t, "format4", oldPlan))
	for _, r := range got.Latest {
		if r.Plan != oldPlan {
			t.Errorf("latest %s %s is in plan %q, want %s", r.Indicator, r.Period, r.Plan, oldPlan)
		}
	}

	v := 11800.0
	rc, err := s.Append(ctx, []indicators.Revision{
		{Report: indicators.Report{Plan: oldPlan, Indicator: "57.1", Period: "2026-03", Value: &v, IdempotencyKey: "rsj-57.1-2026-03"}, Sender: "rsj"},
		{Report: indicators.Report{Plan: oldPlan, Indicator: "57.1", Period: "2026-03", Value: &v}, Sender: "admin"},
		{Report: indicators.Report{Plan: "minsheng-2026", Indicator: "57.1", Period: "2026-03", Value: &v}, Sender: "rsj"},
	})
	must(t, err)
	want := []indicators.Receipt{
		{Indicator: "57.1", Period: "2026-03", Revision: 1, Replayed: true},
		{Indicator: "57.1", Period: "2026-03", Revision: 2},
		{Indicator: "57.1", Period: "2026-03", Revision: 1},
	}
	if !slices.Equal(rc, want) {
		t.Errorf("receipts after the migration %+v, want %+v", rc, want)
	}
	must(t, s.Close())

	rep, err = boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 5 || rep.Records != 9 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
}

// A store written before plans is not opened without the plan its reports belong to:
// Open says so and leaves the file as it was.
func TestAStoreBeforePlansNeedsItsPlan(t *testing.T) {
	dir, path := oldStore(t, "format4")
	before, err := os.ReadFile(path)
	must(t, err)
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open migrated a store before plans without a plan")
	}
	if !errors.Is(err, boltstore.ErrNeedsPlan) {
		t.Errorf("error %q, want ErrNeedsPlan", err)
	}
	after, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Error("the refused store was changed")
	}
}
