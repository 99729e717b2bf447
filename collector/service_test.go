package collector_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

func newService(t *testing.T, health func() (bool, string)) (*collector.Service, *boltstore.Store) {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(context.Background(), boltstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := collector.NewService(context.Background(), collector.ServiceConfig{
		Catalog: cat, Store: st, Health: health,
		Now: func() time.Time { return time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func TestReady(t *testing.T) {
	t.Run("the store's readiness counts when no hook is set", func(t *testing.T) {
		svc, st := newService(t, nil)
		if ok, _ := svc.Ready(); !ok {
			t.Fatal("not ready with the store open")
		}
		st.Close()
		if ok, detail := svc.Ready(); ok {
			t.Fatalf("ready after the store closed (%s)", detail)
		}
	})
	t.Run("a health hook overrides the store", func(t *testing.T) {
		svc, _ := newService(t, func() (bool, string) { return true, "degraded: spooling" })
		if ok, detail := svc.Ready(); !ok || detail != "degraded: spooling" {
			t.Fatalf("Ready = %v %q", ok, detail)
		}
	})
}

func TestSubmitReturnsTypedInputErrors(t *testing.T) {
	svc, _ := newService(t, nil)
	v := 5.0
	_, err := svc.Submit(context.Background(), collector.Principal{Department: "rsj"},
		[]indicators.Report{{Indicator: "57.1", Period: "2026-05", Value: &v}, {Indicator: "4.1", Period: "2026-Q1", Value: &v}}, "")
	var ie *collector.InputError
	if !errors.As(err, &ie) || ie.Code != collector.CodeForbiddenIndicator || ie.Index != 1 || ie.Status != 403 {
		t.Fatalf("err %v: want a 403 forbidden_indicator InputError at index 1", err)
	}
	if len(svc.Series("57.1")) != 0 {
		t.Fatal("a report of a rejected batch reached the snapshot")
	}
	rc, err := svc.Submit(context.Background(), collector.Principal{Department: "rsj"},
		[]indicators.Report{{Indicator: "57.1", Period: "2026-05", Value: &v}}, "10.0.0.1")
	if err != nil || len(rc) != 1 || rc[0].Revision != 1 {
		t.Fatalf("Submit = %+v, %v", rc, err)
	}
	if s := svc.Series("57.1"); len(s) != 1 || s[0].Remote != "10.0.0.1" || s[0].Revision != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}
