package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/collector/store/storetest"
	"github.com/duban-gov/duban/indicators"
)

func open(t testing.TB, dir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Config{
		Open: func(t *testing.T) collector.Store { return open(t, t.TempDir()) },
		Reopen: func(t *testing.T, closed collector.Store) collector.Store {
			return open(t, filepath.Dir(closed.(*boltstore.Store).Path()))
		},
	})
}

func TestOpenRefuses(t *testing.T) {
	held := t.TempDir()
	s := open(t, held)
	t.Cleanup(func() { _ = s.Close() })
	cases := map[string]struct {
		cfg  boltstore.Config
		want string
	}{
		"a config without a directory": {boltstore.Config{}, "Dir is required"},
		"a directory another store holds": {
			boltstore.Config{Dir: held, OpenTimeout: 50 * time.Millisecond}, "locked by another process",
		},
		"a directory that is a file": {boltstore.Config{Dir: s.Path()}, "data directory"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := boltstore.Open(context.Background(), c.cfg)
			if err == nil {
				_ = got.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestBatchesTheKeysCannotHoldAreRefusedWhole(t *testing.T) {
	s := open(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	good := benchRevision(1, 10)
	cases := map[string]func(r *indicators.Revision){
		"an empty indicator":             func(r *indicators.Revision) { r.Indicator = "" },
		"a NUL byte in the indicator":    func(r *indicators.Revision) { r.Indicator = "1\x002" },
		"an empty period":                func(r *indicators.Revision) { r.Period = "" },
		"a NUL byte in the sender":       func(r *indicators.Revision) { r.Sender = "fgw\x00" },
		"an idempotency key over 32 KiB": func(r *indicators.Revision) { r.IdempotencyKey = strings.Repeat("k", 40000) },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			bad := good
			change(&bad)
			if _, err := s.Append(context.Background(), []indicators.Revision{good, bad}); !errors.Is(err, boltstore.ErrInvalid) {
				t.Fatalf("Append = %v, want ErrInvalid", err)
			}
			latest, err := s.Latest(context.Background())
			if err != nil || len(latest) != 0 {
				t.Errorf("after a refused batch Latest = %d values, %v; want none", len(latest), err)
			}
		})
	}
}

func TestReadyUntilClosed(t *testing.T) {
	s := open(t, t.TempDir())
	if ok, detail := s.Ready(); !ok {
		t.Errorf("open store not ready: %s", detail)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Ready(); ok {
		t.Error("closed store says ready")
	}
	if _, err := s.Latest(context.Background()); !errors.Is(err, boltstore.ErrClosed) {
		t.Errorf("Latest after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
