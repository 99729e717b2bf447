package boltstore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	if !rep.Healthy() || rep.Format != 6 || rep.Records != 8 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	must(t, db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket([]byte("meta")).Get([]byte("header"))
		if !bytes.Contains(h, []byte(`"format":6`)) || !bytes.Contains(h, []byte(`"migrations":[{"from":3,"to":4,`)) ||
			!bytes.Contains(h, []byte(`{"from":4,"to":5,`)) || !bytes.Contains(h, []byte(`{"from":5,"to":6,`)) {
			t.Errorf("header %q does not record the migration", h)
		}
		return nil
	}))
}

// A store written by the build before reviews (format 4, testdata/format4) opens: the
// migration adds the reviews bucket, then assigns every revision to the default plan;
// every revision reads back as submitted, keys still replay, and the office can review
// at once.
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
	if !rep.Healthy() || rep.Format != 4 || rep.Records != 3 || !strings.Contains(strings.Join(rep.Notes, " "), "no reviews bucket yet; duban serve migrates the store to format 6") {
		t.Fatalf("Check of the format-4 store: %+v", rep)
	}

	s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, DefaultPlan: oldPlan})
	must(t, err)
	latest, err := s.Latest(ctx)
	must(t, err)
	if len(latest) != 2 {
		t.Fatalf("Latest after the migration: %d values, want 2", len(latest))
	}
	for _, r := range latest {
		if r.State() != indicators.Submitted || len(r.Reviews) != 0 || r.Plan != oldPlan {
			t.Errorf("%s %s revision %d after the migration: plan %q, state %s, reviews %v; want %s, submitted", r.Indicator, r.Period, r.Revision, r.Plan, r.State(), r.Reviews, oldPlan)
		}
	}
	keyStoredBeforeReplays(ctx, t, s)
	at := time.Date(2026, 11, 6, 2, 0, 0, 0, time.UTC)
	rvs, err := s.Review(ctx, []indicators.Review{{Plan: oldPlan, Indicator: "57.1", Period: "2026-10", Decision: indicators.Returned, Comment: "请附统计局更正函", Reviewer: "admin", ReviewedAt: at}})
	must(t, err)
	if rvs[0].Revision != 2 {
		t.Errorf("the review judged revision %d, want the latest, 2", rvs[0].Revision)
	}
	hist, err := s.History(ctx, oldPlan, "57.1")
	must(t, err)
	if len(hist) != 2 || hist[0].State() != indicators.Submitted || hist[1].State() != indicators.Returned || hist[1].Reviews[0].Comment != "请附统计局更正函" {
		t.Errorf("history after a review: %+v", hist)
	}
	must(t, s.Close())

	rep, err = boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 6 || rep.Records != 3 || rep.Reviews != 1 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	must(t, db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket([]byte("meta")).Get([]byte("header"))
		if !bytes.Contains(h, []byte(`"format":6`)) || !bytes.Contains(h, []byte(`"migrations":[{"from":4,"to":5,`)) || !bytes.Contains(h, []byte(`{"from":5,"to":6,`)) {
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
	err := refusedUnchanged(t, dir, path, oldPlan)
	if !errors.Is(err, boltstore.ErrDamaged) || !strings.Contains(err.Error(), "record 7 does not decode") {
		t.Errorf("error %q, want ErrDamaged naming record 7", err)
	}
}

// refusedUnchanged opens the store in dir with the default plan given and fails the
// test unless Open refuses it and leaves the file at path byte for byte as it was; it
// returns Open's error.
func refusedUnchanged(t *testing.T, dir, path, plan string) error {
	t.Helper()
	before, err := os.ReadFile(path)
	must(t, err)
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir, DefaultPlan: plan})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open accepted a store it must refuse")
	}
	after, rerr := os.ReadFile(path)
	must(t, rerr)
	if !bytes.Equal(before, after) {
		t.Error("the refused store was changed")
	}
	return err
}

// TestFormat4StoreIsMigratedToItsPlan: a store written by the build before plans
// (testdata/format4-history, see its README) opens with every revision assigned to the
// default plan, serves what it served, replays its idempotency keys, and numbers on;
// the same indicator id then starts afresh in another plan.
func TestFormat4StoreIsMigratedToItsPlan(t *testing.T) {
	dir, path := oldStore(t, "format4-history")
	ctx := context.Background()
	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 4 || rep.Records != 7 || !strings.Contains(strings.Join(rep.Notes, " "), "no reviews bucket yet") {
		t.Fatalf("Check of the format-4 store: %+v", rep)
	}

	s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, DefaultPlan: oldPlan})
	must(t, err)
	got := served(t, s)
	slices.SortFunc(got.Latest, indicators.CompareHistory) // as content.json was written
	sameContent(t, got, wantContent(t, "format4-history", oldPlan))
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
	if !rep.Healthy() || rep.Format != 6 || rep.Records != 9 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
}

// A store written before plans is not opened without the plan its reports belong to:
// Open says so and leaves the file as it was.
func TestAStoreBeforePlansNeedsItsPlan(t *testing.T) {
	dir, path := oldStore(t, "format4-history")
	if err := refusedUnchanged(t, dir, path, ""); !errors.Is(err, boltstore.ErrNeedsPlan) {
		t.Errorf("error %q, want ErrNeedsPlan", err)
	}
}

// A store written by the build with reviews but before plans (format 5,
// testdata/format5) opens: the step to format 6 assigns every revision and every review
// to the default plan; the reviews, the approved values and the key read back as before,
// and the office reviews on.
func TestFormat5StoreIsMigrated(t *testing.T) {
	dir, path := oldStore(t, "format5")
	ctx := context.Background()
	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 5 || rep.Records != 3 || rep.Reviews != 3 ||
		!strings.Contains(strings.Join(rep.Notes, " "), "records and reviews have no plan yet; duban serve migrates the store to format 6") {
		t.Fatalf("Check of the format-5 store: %+v", rep)
	}

	s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, DefaultPlan: oldPlan})
	must(t, err)
	hist, err := s.History(ctx, oldPlan, "57.1")
	must(t, err)
	if len(hist) != 2 || hist[0].State() != indicators.Approved || hist[1].State() != indicators.Returned ||
		hist[1].Reviews[0].Comment != "请附统计局更正函" || hist[1].Reviews[0].Plan != oldPlan || hist[0].Reviews[0].Plan != oldPlan {
		t.Errorf("history of 57.1 after the migration: %+v", hist)
	}
	approved, err := s.Approved(ctx)
	must(t, err)
	got := map[string]int{}
	for _, r := range approved {
		if r.Plan != oldPlan {
			t.Errorf("approved %s %s is in plan %q, want %s", r.Indicator, r.Period, r.Plan, oldPlan)
		}
		got[r.Indicator+" "+r.Period] = r.Revision
	}
	if want := map[string]int{"57.1 2026-10": 1, "11.1 2026-Q3": 1}; !maps.Equal(got, want) {
		t.Errorf("Approved after the migration = %v, want %v", got, want)
	}
	keyStoredBeforeReplays(ctx, t, s)
	at := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	rvs, err := s.Review(ctx, []indicators.Review{{Plan: oldPlan, Indicator: "11.1", Period: "2026-Q3", Decision: indicators.Returned, Comment: "阶段描述不清", Reviewer: "admin", ReviewedAt: at}})
	must(t, err)
	if rvs[0].Revision != 1 {
		t.Errorf("the review judged revision %d, want 1", rvs[0].Revision)
	}
	if _, err := s.Review(ctx, []indicators.Review{{Plan: "minsheng-2026", Indicator: "11.1", Period: "2026-Q3", Decision: indicators.Approved, Reviewer: "admin", ReviewedAt: at}}); err == nil {
		t.Error("a review of another plan found the migrated report")
	}
	must(t, s.Close())

	rep, err = boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	must(t, err)
	if !rep.Healthy() || rep.Format != 6 || rep.Records != 3 || rep.Reviews != 4 || len(rep.Notes) != 0 {
		t.Errorf("Check after the migration: %+v", rep)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	must(t, db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket([]byte("meta")).Get([]byte("header"))
		if !bytes.Contains(h, []byte(`"format":6`)) || !bytes.Contains(h, []byte(`"migrations":[{"from":5,"to":6,`)) {
			t.Errorf("header %q does not record the migration", h)
		}
		return nil
	}))
}

// keyStoredBeforeReplays: the key rsj sent with 57.1 for 2026-10 in the committed
// store still replays its revision 1 after the migration.
func keyStoredBeforeReplays(ctx context.Context, t *testing.T, s *boltstore.Store) {
	t.Helper()
	v := 11800.0
	rc, err := s.Append(ctx, []indicators.Revision{{
		Report: indicators.Report{Plan: oldPlan, Indicator: "57.1", Period: "2026-10", Value: &v, IdempotencyKey: "rsj-57.1-2026-10"},
		Sender: "rsj",
	}})
	must(t, err)
	if want := (indicators.Receipt{Indicator: "57.1", Period: "2026-10", Revision: 1, Replayed: true}); rc[0] != want {
		t.Errorf("a key stored before the migration: %+v, want the replay %+v", rc[0], want)
	}
}
