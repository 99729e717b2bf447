package influx

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// The snapshot (latest.json): the latest values and the change feed's mark, so that a
// restarted replica reads only the feed since then (or, for a department that changed
// more than it holds, its latest values), and serves the values while InfluxDB is away.

const snapshotFile = "latest.json"

type snapshot struct {
	// Schema is 2 when the values were read under the second schema (latest and key
	// measurements complete); a snapshot of another schema only serves while InfluxDB
	// is away, and the values are read whole again.
	Schema int     `json:"schema,omitempty"`
	Mark   int64   `json:"mark"`
	Points []point `json:"points"`
	// Unchecked lists the values not yet in a checkpoint (plan, indicator, period), when
	// Checkpoints; a snapshot without it (an earlier version) counts every value as
	// unchecked, so the next checkpoint rewrites them.
	Checkpoints bool        `json:"checkpoints,omitempty"`
	Unchecked   [][3]string `json:"unchecked,omitempty"`
}

// loadSnapshot reads latest.json and says whether it can stand for the latest values
// (schema 2, with a mark). Other snapshots (none, unreadable, or of the first schema,
// whose values lack their first arrivals) at most serve while InfluxDB is away.
func (s *Store) loadSnapshot() bool {
	b, err := os.ReadFile(filepath.Join(s.cfg.SpoolDir, snapshotFile))
	if err != nil {
		return false
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		var old []point // the format before the change feed: values without a mark
		if json.Unmarshal(b, &old) == nil {
			snap.Points = old
		} else {
			s.log.Warn("ignoring unreadable latest-values snapshot", "err", err)
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.ownPlan(snap.Points) {
		s.merge(p)
	}
	if snap.Checkpoints {
		clear(s.unchecked)
		for _, k := range snap.Unchecked {
			s.uncheck(pkey{k[0], k[1], k[2]})
		}
	}
	if snap.Schema != schemaVersion || snap.Mark <= 0 {
		return false
	}
	s.mark = snap.Mark
	s.v2 = true
	s.dirty = false
	return true
}

// saveSnapshot writes latest.json when something changed and the last save is older
// than SnapshotEvery (or force). Encoding happens outside the lock.
func (s *Store) saveSnapshot(force bool) {
	s.mu.Lock()
	if !s.dirty || (!force && time.Since(s.saved) < s.cfg.SnapshotEvery) {
		s.mu.Unlock()
		return
	}
	snap := snapshot{Mark: s.mark, Points: make([]point, 0, len(s.latest))}
	if s.v2 && s.loaded {
		snap.Schema = schemaVersion
	}
	for _, p := range s.latest {
		snap.Points = append(snap.Points, p)
	}
	snap.Checkpoints = true
	for k := range s.unchecked {
		snap.Unchecked = append(snap.Unchecked, [3]string{k.plan, k.indicator, k.period})
	}
	s.dirty = false
	s.saved = time.Now()
	s.mu.Unlock()
	b, err := json.Marshal(snap)
	if err == nil {
		path := filepath.Join(s.cfg.SpoolDir, snapshotFile)
		if err = os.WriteFile(path+".new", b, 0o600); err == nil {
			err = os.Rename(path+".new", path)
		}
	}
	if err != nil {
		s.log.Warn("cannot save latest-values snapshot", "err", err)
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
	}
}
