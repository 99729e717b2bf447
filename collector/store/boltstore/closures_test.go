package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
)

// TestAClosureWithAFlippedBitIsFoundAndNeverServed: Check counts the closures and
// verifies their checksums; a closure whose bytes changed on disk is listed by Check
// and Closures refuses it (ErrDamaged) rather than reading a plan open or closed wrongly.
func TestAClosureWithAFlippedBitIsFoundAndNeverServed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.SetClosure(ctx, collector.Closure{Plan: "changzhi-2026", Closed: true, By: "admin", At: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), Reason: "年度结束"}); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	path := filepath.Join(dir, boltstore.FileName)
	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	if err != nil || !rep.Healthy() || rep.Closures != 1 {
		t.Fatalf("Check of a healthy store: %+v %v", rep, err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("closures"))
		k, v := b.Cursor().First()
		v = append([]byte(nil), v...)
		v[len(v)/2] ^= 0x04
		return b.Put(append([]byte(nil), k...), v)
	}))
	must(t, db.Close())
	rep, err = boltstore.Check(ctx, boltstore.CheckConfig{Path: path})
	if err != nil || rep.Healthy() || !strings.Contains(strings.Join(rep.Problems, "\n"), "closure of plan changzhi-2026") {
		t.Errorf("Check of a flipped closure: %+v %v", rep, err)
	}
	s = open(t, dir)
	defer func() { must(t, s.Close()) }()
	if cs, err := s.Closures(ctx); !errors.Is(err, boltstore.ErrDamaged) {
		t.Errorf("Closures of a flipped closure: %+v %v, want ErrDamaged", cs, err)
	}
}
