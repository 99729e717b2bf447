package influx

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"
)

// journal remembers the highest revision this collector wrote per (indicator, period),
// so that a collector restarted while InfluxDB is away numbers spooled reports above
// what it wrote before. It is a hint, not the data: an append-only file written without
// fsync (it survives a killed process, not a power cut; a lost line only means a
// renumbering on replay), compacted from the in-memory map when it grows.
type journal struct {
	path  string
	f     *os.File
	lines int
}

type journalLine struct {
	L string `json:"l,omitempty"` // plan; absent in lines written before plans: the default plan
	I string `json:"i"`
	P string `json:"p"`
	R int    `json:"r"`
}

const journalFile = "revisions.jsonl"

func openJournal(dir, defPlan string, known map[pkey]int) (*journal, error) {
	j := &journal{path: filepath.Join(dir, journalFile)}
	if f, err := os.Open(j.path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			var l journalLine
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue // a line torn by a crash
			}
			j.lines++
			if l.L == "" {
				l.L = defPlan
			}
			if k := (pkey{l.L, l.I, l.P}); l.R > known[k] {
				known[k] = l.R
			}
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("influx: read revision journal: %w", err)
		}
	}
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("influx: open revision journal: %w", err)
	}
	j.f = f
	return j, nil
}

// record appends the revisions of pts, in one write: the JSON of a journalLine each,
// written without reflection (a round records every report it writes).
func (j *journal) record(pts []point) error {
	buf := make([]byte, 0, 64*len(pts))
	for _, p := range pts {
		buf = append(buf, `{"l":`...)
		buf = appendJSONString(buf, p.Rev.Plan)
		buf = append(buf, `,"i":`...)
		buf = appendJSONString(buf, p.Rev.Indicator)
		buf = append(buf, `,"p":`...)
		buf = appendJSONString(buf, p.Rev.Period)
		buf = append(buf, `,"r":`...)
		buf = strconv.AppendInt(buf, int64(p.Rev.Revision), 10)
		buf = append(buf, "}\n"...)
	}
	if _, err := j.f.Write(buf); err != nil {
		return fmt.Errorf("influx: revision journal: %w", err)
	}
	j.lines += len(pts)
	return nil
}

// compact rewrites the journal from known when it holds many superseded lines.
func (j *journal) compact(known map[pkey]int) error {
	if j.lines < 4096 || j.lines < 2*len(known) {
		return nil
	}
	tmp := j.path + ".new"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("influx: compact revision journal: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for k, r := range known {
		_ = enc.Encode(journalLine{L: k.plan, I: k.indicator, P: k.period, R: r}) // a bufio.Writer keeps its first error for Flush
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("influx: compact revision journal: %w", errors.Join(err, f.Close()))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("influx: compact revision journal: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fmt.Errorf("influx: compact revision journal: %w", err)
	}
	nf, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("influx: reopen revision journal: %w", err)
	}
	_ = j.f.Close() // the replaced file's handle: its lines are all in the new file
	j.f, j.lines = nf, len(known)
	return nil
}

func (j *journal) close() error { return j.f.Close() }

// appendJSONString appends s as a JSON string: as it is when nothing in it needs
// escaping (ids and periods), else as encoding/json writes it.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			b, _ := json.Marshal(s) // a string always encodes
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
