package influx

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Tag and field names of the "report" measurement.
const (
	tagIndicator  = "indicator"
	tagPlan       = "plan" // absent on points written before plans: the default plan's
	tagTask       = "task"
	tagDepartment = "department"
	tagUnit       = "unit"
	tagCollector  = "collector"

	fieldValue    = "value"
	fieldStage    = "stage"
	fieldPercent  = "percent"
	fieldRevision = "revision"
	fieldSender   = "sender"
	fieldNote     = "note"
	fieldEvidence = "evidence"
	fieldReason   = "reason"
	fieldRemote   = "remote"
	fieldReceived = "received_at"
	fieldKey      = "idempotency_key"
	fieldPeriod   = "period"
	fieldID       = "id"
	// the latest measurement: the point as JSON
	fieldPoint = "point"
	// the key measurement
	tagSender      = "sender"
	tagBucket      = "bucket"
	fieldIndicator = "indicator"
	fieldContent   = "content"
	maxRevision    = 1_000_000_000
	revisionOffset = int64(time.Microsecond)
)

// The time window every query reads; Append refuses period ends outside it.
var (
	rangeStart = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	rangeStop  = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// point is one revision as written: the revision plus what the store adds.
type point struct {
	Rev       indicators.Revision `json:"rev"`
	ID        string              `json:"id"`
	Task      string              `json:"task,omitempty"`
	Unit      string              `json:"unit,omitempty"`
	Collector string              `json:"collector"`
	// First is when the first revision of the point's (indicator, period) arrived (ns
	// since the epoch): the earliest ReceivedAt of its revisions up to this one; 0 when
	// unknown (points of the first schema). It answers FirstArrivals from memory.
	First int64 `json:"first,omitempty"`
	// KeyAt is the time of the point's entry in the key measurement (keyed revisions
	// only), 0 while it has none (a spooled report gets one when it is replayed).
	KeyAt int64 `json:"key_at,omitempty"`
}

// formOffset tells apart the period forms that can end at the same instant.
func formOffset(period string) int64 {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		return 0
	}
	switch p.Kind {
	case indicators.PeriodMonth:
		return 1
	case indicators.PeriodQuarter:
		return 2
	case indicators.PeriodDay:
		return 3
	}
	return 0
}

// timestamp is the point's time: period end + revision µs + form ns.
func timestamp(r indicators.Revision) time.Time {
	return time.Unix(0, r.PeriodEnd.UnixNano()+int64(r.Revision)*revisionOffset+formOffset(r.Period)).UTC()
}

// periodEnd recovers the period end from a point's time.
func periodEnd(t time.Time, revision int, period string) time.Time {
	return time.Unix(0, t.UnixNano()-int64(revision)*revisionOffset-formOffset(period))
}

func newID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// line renders the point in InfluxDB line protocol. Strings keep newlines and tabs as
// they are (legal inside a quoted field value); only '"' and the backslash are escaped.
func (p *point) line(measurement string) string {
	r := &p.Rev
	var b strings.Builder
	b.Grow(256 + len(r.Note) + len(r.Evidence))
	b.WriteString(lpEscape(measurement, false))
	tags := [...][2]string{ // sorted by key, as InfluxDB prefers
		{tagCollector, p.Collector}, {tagDepartment, r.Department}, {tagIndicator, r.Indicator},
		{tagPlan, r.Plan}, {tagTask, p.Task}, {tagUnit, p.Unit},
	}
	for _, t := range tags {
		if t[1] != "" {
			b.WriteByte(',')
			b.WriteString(t[0])
			b.WriteByte('=')
			b.WriteString(lpEscape(t[1], true))
		}
	}
	b.WriteByte(' ')
	b.WriteString(fieldRevision + "=" + strconv.FormatInt(int64(r.Revision), 10) + "i")
	b.WriteString("," + fieldReceived + "=" + strconv.FormatInt(r.ReceivedAt.UnixNano(), 10) + "i")
	if r.Value != nil {
		b.WriteString("," + fieldValue + "=" + strconv.FormatFloat(*r.Value, 'g', -1, 64))
	}
	if r.Percent != nil {
		b.WriteString("," + fieldPercent + "=" + strconv.FormatFloat(*r.Percent, 'g', -1, 64))
	}
	for _, f := range [...][2]string{
		{fieldPeriod, r.Period}, {fieldID, p.ID}, {fieldStage, string(r.Stage)}, {fieldSender, r.Sender},
		{fieldNote, r.Note}, {fieldEvidence, r.Evidence}, {fieldReason, r.Reason}, {fieldRemote, r.Remote},
		{fieldKey, r.IdempotencyKey},
	} {
		if f[1] != "" {
			b.WriteString("," + f[0] + "=\"")
			b.WriteString(fieldEscaper.Replace(f[1]))
			b.WriteByte('"')
		}
	}
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(timestamp(*r).UnixNano(), 10))
	return b.String()
}

// latestLine renders the point as the latest value of its (indicator, period) in the
// latest measurement: one point per (indicator, period), at period end + form ns,
// overwritten in place by each later revision. The point travels as one JSON field
// (as in the change feed) beside its revision: InfluxDB keeps every field as a series
// of its own, so two fields cost a write a fraction of what fifteen would, and an
// overwrite replaces the whole value (no field of an earlier revision survives).
func (p *point) latestLine(measurement string) (string, error) {
	js, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("influx: encode latest value: %w", err)
	}
	r := &p.Rev
	var b strings.Builder
	b.Grow(96 + len(js) + len(js)/8)
	b.WriteString(lpEscape(measurement, false))
	if r.Department != "" {
		b.WriteString("," + tagDepartment + "=")
		b.WriteString(lpEscape(r.Department, true))
	}
	b.WriteString("," + tagIndicator + "=")
	b.WriteString(lpEscape(r.Indicator, true))
	if r.Plan != "" { // the same indicator id of another plan is another series
		b.WriteString("," + tagPlan + "=")
		b.WriteString(lpEscape(r.Plan, true))
	}
	b.WriteString(" " + fieldRevision + "=" + strconv.FormatInt(int64(r.Revision), 10) + "i")
	b.WriteString("," + fieldPoint + "=\"")
	b.WriteString(fieldEscaper.Replace(string(js)))
	b.WriteString("\" ")
	b.WriteString(strconv.FormatInt(latestTime(*r), 10))
	return b.String(), nil
}

// latestTime is the time of an (indicator, period)'s point in the latest measurement.
func latestTime(r indicators.Revision) int64 {
	return r.PeriodEnd.UnixNano() + formOffset(r.Period)
}

// lpEscape escapes a measurement name or tag value for line protocol.
func lpEscape(s string, tag bool) string {
	if tag {
		return tagEscaper.Replace(s)
	}
	return measurementEscaper.Replace(s)
}

var (
	tagEscaper         = strings.NewReplacer(",", `\,`, " ", `\ `, "=", `\=`)
	measurementEscaper = strings.NewReplacer(",", `\,`, " ", `\ `)
	fieldEscaper       = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
)

// validTag says whether a tag value survives line protocol unchanged.
func validTag(v string) bool {
	return !strings.ContainsAny(v, "\n\r") && !strings.HasSuffix(v, `\`)
}

// checkPoint refuses what InfluxDB cannot hold faithfully.
func checkPoint(r indicators.Revision) error {
	if r.Indicator == "" {
		return fmt.Errorf("influx: empty indicator")
	}
	if !validTag(r.Indicator) || !validTag(r.Department) || !validTag(r.Plan) {
		return fmt.Errorf("influx: plan %q, indicator %q or department %q holds a line break or ends with a backslash", r.Plan, r.Indicator, r.Department)
	}
	if r.PeriodEnd.Before(rangeStart) || !r.PeriodEnd.Before(rangeStop.Add(-time.Hour)) {
		return fmt.Errorf("influx: period end %s outside %s..%s", r.PeriodEnd, rangeStart, rangeStop)
	}
	for _, v := range []string{r.IdempotencyKey, r.Sender, r.Period, r.Remote, string(r.Stage)} {
		if strings.ContainsRune(v, '\r') {
			return fmt.Errorf("influx: %s %s: a carriage return in %q cannot be stored", r.Indicator, r.Period, v)
		}
	}
	for _, f := range []*float64{r.Value, r.Percent} {
		if f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
			return fmt.Errorf("influx: %s %s: value %v cannot be stored", r.Indicator, r.Period, *f)
		}
	}
	return nil
}

// rowPoints decodes the rows of an InfluxQL answer over the report measurement
// (SELECT * or a subset holding at least time and revision) into points. A point
// without a plan tag (written before plans) is defPlan's.
func rowPoints(s *qlSeries, defPlan string, fn func(point) error) error {
	idx := func(name string) int { return s.col(name) }
	var (
		cTime, cRev, cInd, cPer     = idx("time"), idx(fieldRevision), idx(tagIndicator), idx(fieldPeriod)
		cVal, cStage, cPct, cNote   = idx(fieldValue), idx(fieldStage), idx(fieldPercent), idx(fieldNote)
		cEvid, cKey, cReason, cDept = idx(fieldEvidence), idx(fieldKey), idx(fieldReason), idx(tagDepartment)
		cSender, cRecv, cRemote     = idx(fieldSender), idx(fieldReceived), idx(fieldRemote)
		cID, cTask, cUnit, cColl    = idx(fieldID), idx(tagTask), idx(tagUnit), idx(tagCollector)
		cPlan                       = idx(tagPlan)
	)
	if cTime < 0 || cRev < 0 {
		return fmt.Errorf("influx: answer without time or revision: columns %v", s.Columns)
	}
	str := func(row []any, i int, tag string) string {
		if v := vString(cell(row, i)); v != "" || tag == "" {
			return v
		}
		return s.Tags[tag] // a GROUP BY tag is not a column
	}
	for _, row := range s.Values {
		var p point
		ns, ok := vInt(cell(row, cTime))
		if !ok {
			return fmt.Errorf("influx: row without time: %v", row)
		}
		rev, ok := vInt(cell(row, cRev))
		if !ok {
			continue // a point of another shape sharing the measurement
		}
		r := &p.Rev
		if r.Plan = str(row, cPlan, tagPlan); r.Plan == "" {
			r.Plan = defPlan
		}
		r.Indicator = str(row, cInd, tagIndicator)
		r.Period = vString(cell(row, cPer))
		r.Value = vFloat(cell(row, cVal))
		r.Stage = indicators.Stage(vString(cell(row, cStage)))
		r.Percent = vFloat(cell(row, cPct))
		r.Note = vString(cell(row, cNote))
		r.Evidence = vString(cell(row, cEvid))
		r.IdempotencyKey = vString(cell(row, cKey))
		r.Reason = vString(cell(row, cReason))
		r.Revision = int(rev)
		r.Department = str(row, cDept, tagDepartment)
		r.Sender = vString(cell(row, cSender))
		if recv, ok := vInt(cell(row, cRecv)); ok {
			r.ReceivedAt = time.Unix(0, recv)
		}
		r.Remote = vString(cell(row, cRemote))
		r.PeriodEnd = periodEnd(time.Unix(0, ns), r.Revision, r.Period)
		p.ID = vString(cell(row, cID))
		p.Task = str(row, cTask, tagTask)
		p.Unit = str(row, cUnit, tagUnit)
		p.Collector = str(row, cColl, tagCollector)
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// ownPlan gives the points of a file or change point written before plans (no plan)
// to the default plan, in place, and returns them.
func (s *Store) ownPlan(pts []point) []point {
	for i := range pts {
		if pts[i].Rev.Plan == "" {
			pts[i].Rev.Plan = s.cfg.DefaultPlan
		}
	}
	return pts
}

// rowLatest decodes rows of the latest measurement (SELECT *) into points; a value
// written before plans is defPlan's.
func rowLatest(s *qlSeries, defPlan string, fn func(point) error) error {
	cP := s.col(fieldPoint)
	if cP < 0 {
		return fmt.Errorf("influx: latest answer without %s: columns %v", fieldPoint, s.Columns)
	}
	for _, row := range s.Values {
		js := vString(cell(row, cP))
		if js == "" {
			continue
		}
		var p point
		if err := json.Unmarshal([]byte(js), &p); err != nil {
			return fmt.Errorf("influx: latest value: %w", err)
		}
		if p.Rev.Plan == "" {
			p.Rev.Plan = defPlan // written before plans
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// cell is column i of a row, nil when absent.
func cell(row []any, i int) any {
	if i < 0 || i >= len(row) {
		return nil
	}
	return row[i]
}

// keyRow is one entry of the key measurement as read.
type keyRow struct {
	sender, key string // sender as tagged ("-" for none)
	entry       keyEntry
	t           int64
}

// rowKeys decodes rows of the key measurement.
func rowKeys(s *qlSeries, fn func(keyRow)) error {
	idx := s.col
	var (
		cTime, cSender, cKey, cInd, cPer = idx("time"), idx(tagSender), idx(fieldKey), idx(fieldIndicator), idx(fieldPeriod)
		cID, cRev, cRecv, cContent       = idx(fieldID), idx(fieldRevision), idx(fieldReceived), idx(fieldContent)
	)
	if cTime < 0 || cKey < 0 || cRev < 0 {
		return fmt.Errorf("influx: key answer without time, key or revision: columns %v", s.Columns)
	}
	for _, row := range s.Values {
		t, ok := vInt(cell(row, cTime))
		rev, ok2 := vInt(cell(row, cRev))
		if !ok || !ok2 {
			continue
		}
		kr := keyRow{key: vString(cell(row, cKey)), t: t, sender: s.Tags[tagSender]}
		if v := vString(cell(row, cSender)); v != "" {
			kr.sender = v
		}
		e := &kr.entry
		e.Indicator = vString(cell(row, cInd))
		e.Period = vString(cell(row, cPer))
		e.Revision = int(rev)
		e.ID = vString(cell(row, cID))
		if recv, ok := vInt(cell(row, cRecv)); ok {
			e.ReceivedAt = time.Unix(0, recv)
		}
		if c, ok := vInt(cell(row, cContent)); ok {
			e.Content = uint64(c) //nolint:gosec // G115: the hash's 64 bits back from InfluxDB's signed integer (keyLine); the wrap is the encoding
		}
		e.At = t
		fn(kr)
	}
	return nil
}

// clone copies a revision so that callers never share the store's pointers.
func clone(r indicators.Revision) indicators.Revision {
	if r.Value != nil {
		v := *r.Value
		r.Value = &v
	}
	if r.Percent != nil {
		v := *r.Percent
		r.Percent = &v
	}
	return r
}

// pkey is the (plan, indicator, period) a revision number counts in.
type pkey struct{ plan, indicator, period string }

func keyOf(r indicators.Revision) pkey { return pkey{r.Plan, r.Indicator, r.Period} }

// normalizeText turns CR LF and lone CR in free text into LF, as the store has always
// kept them (the Flux API it read through before answered in CSV, which drops carriage
// returns), so a report reads back the same whichever version stored it.
func normalizeText(r *indicators.Revision) {
	for _, f := range []*string{&r.Note, &r.Evidence, &r.Reason} {
		if strings.ContainsRune(*f, '\r') {
			*f = strings.ReplaceAll(strings.ReplaceAll(*f, "\r\n", "\n"), "\r", "\n")
		}
	}
}
