package influx_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/collector/store/storetest"
	"github.com/duban-gov/duban/internal/testenv"
)

// storage is what a store was opened on: a database of the shared influxd and a spool.
type storage struct{ bucket, spool string }

func openStore(t *testing.T, db *testenv.Influxd, st storage) *influx.Store {
	t.Helper()
	s, err := influx.Open(context.Background(), influx.Config{
		URL: db.URL, Org: db.Org, Bucket: st.bucket, SpoolDir: st.spool,
		Timeout: 5 * time.Second, RetryMin: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond,
		LeaseTTL: 8 * time.Second, LeaseSettle: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("influx.Open: %v", err)
	}
	return s
}

// freshStorage creates a new, empty database on db.
func freshStorage(t testing.TB, db *testenv.Influxd) storage {
	t.Helper()
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	if err := db.Query("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	return storage{bucket: name + "/autogen", spool: t.TempDir()}
}

var dbSeq atomic.Int64

func TestConformanceAgainstRealInfluxDB(t *testing.T) {
	db := testenv.StartInfluxd(t)
	var (
		mu    sync.Mutex
		where = map[collector.Store]storage{}
	)
	storetest.Run(t, storetest.Config{
		Open: func(t *testing.T) collector.Store {
			st := freshStorage(t, db)
			s := openStore(t, db, st)
			mu.Lock()
			where[s] = st
			mu.Unlock()
			return s
		},
		Reopen: func(t *testing.T, closed collector.Store) collector.Store {
			mu.Lock()
			st := where[closed]
			mu.Unlock()
			s := openStore(t, db, st)
			mu.Lock()
			where[s] = st
			mu.Unlock()
			return s
		},
	})
}
