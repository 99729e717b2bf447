package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/collector/store/storetest"
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
