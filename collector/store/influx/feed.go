package influx

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// The change feed's encodings. A change point carries its revisions as JSON, in one of
// two fields:
//
//   - points: the JSON as it is (line-protocol escaped); every version reads it.
//   - pz: the same JSON compressed (DEFLATE, fastest level) and in base64: 52 bytes a
//     report in a change point of 100 reports like the bench's, against 448 as escaped
//     JSON (a change point of one report barely shrinks: 364 against 447). With
//     points, the change feed more than doubled what InfluxDB was asked per report (a
//     report point is about 273 bytes); it was most of the gap between the collector
//     and the raw client (bench/influx.sh: batches of 100 at 69–79 % of the raw client
//     without the feed's bytes, 47–49 % with them).
//
// Every replica of this version reads both. A replica of an earlier version reads only
// points: it would skip the others' pz points, and, taking a department's lease over,
// number revisions without them. So a replica writes pz only when the database says
// that every replica reads it (the schema measurement's field feed ≥ feedCompact): a
// database this version created, or one whose operator set store.influxdb.feed:
// compact once every replica runs this version (Config.Feed). The setting is read at
// every catch-up, so all replicas follow the first one that sees it.
const (
	fieldPoints  = "points"
	fieldPZ      = "pz"
	fieldFeed    = "feed"
	feedCompact  = 2
	maxChangeRaw = 256 << 20 // the largest JSON a pz field may inflate to
)

// FeedCompact is Config.Feed asking for the compact change feed.
const FeedCompact = "compact"

// feedQuery is the statement reading the feed's encoding from the schema measurement.
func (s *Store) feedQuery() string {
	return "SELECT max(" + qlIdent(fieldFeed) + ") FROM " + qlIdent(s.schemaM())
}

// noteFeed takes the feed's encoding read from the schema measurement: the compact
// feed once the database says so, or once Config.Feed asks for it (then written, so
// that the other replicas follow).
func (s *Store) noteFeed(ctx context.Context, feed int64) {
	switch {
	case feed >= feedCompact:
		s.compact.Store(true)
	case s.cfg.Feed == FeedCompact && !s.compact.Load():
		line := lpEscape(s.schemaM(), false) + fmt.Sprintf(" %s=%di", fieldFeed, feedCompact)
		if err := s.writeLines(ctx, []string{line}); err != nil {
			s.log.Warn("could not switch the change feed to the compact encoding; retried at the next read", "err", err)
			return
		}
		s.log.Info("change feed switched to the compact encoding (store.influxdb.feed: compact)")
		s.compact.Store(true)
	}
}

var flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level never fails
	return w
}}

// encodePZ compresses the JSON of a change point for the pz field.
func encodePZ(raw []byte) string {
	var z bytes.Buffer
	z.Grow(len(raw)/4 + 64)
	w := flaters.Get().(*flate.Writer)
	w.Reset(&z)
	_, _ = w.Write(raw) // a bytes.Buffer never fails
	_ = w.Close()
	flaters.Put(w)
	return base64.StdEncoding.EncodeToString(z.Bytes())
}

// changeRevisions decodes the revisions of a change point from its points or pz field.
func changeRevisions(points, pz string) ([]point, error) {
	raw := []byte(points)
	if pz != "" {
		z, err := base64.StdEncoding.DecodeString(pz)
		if err != nil {
			return nil, fmt.Errorf("influx: change point: %w", err)
		}
		r := flate.NewReader(bytes.NewReader(z))
		raw, err = io.ReadAll(io.LimitReader(r, maxChangeRaw+1))
		if err != nil {
			return nil, fmt.Errorf("influx: change point: %w", err)
		}
		if len(raw) > maxChangeRaw {
			return nil, fmt.Errorf("influx: change point inflates beyond %d bytes", maxChangeRaw)
		}
	}
	var pts []point
	if err := json.Unmarshal(raw, &pts); err != nil {
		return nil, fmt.Errorf("influx: change point: %w", err)
	}
	return pts, nil
}
