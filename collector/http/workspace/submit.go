package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// postReport: POST /report. In this order: the session (none: sign in again), the
// form's size, its CSRF token and origin (403), the department and the indicators it
// names (another department's: 403), the period; then each row's fields are read
// (display units, stage, notes), empty and unchanged rows are skipped, and the rest
// goes to Submit as one batch, all or nothing. A refused form comes back with what was
// typed and a message beside each field at fault; nothing is stored. A stored batch
// leads to its receipt (303, so that reloading the receipt sends nothing again).
func (w *Workspace) postReport(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, w.cfg.MaxBodyBytes())
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			w.problem(rw, r, &u, http.StatusRequestEntityTooLarge, "提交的内容过大,没有保存任何数据:请分几次提交,或精简情况说明。")
			return
		}
		w.problem(rw, r, &u, http.StatusBadRequest, "表单无法读取,没有保存任何数据。")
		return
	}
	form := r.PostForm
	if !w.csrfOK(r, u, form.Get("csrf")) {
		w.cfg.Logger.Warn("workspace: a form without a valid CSRF token", "sender", u.id.Principal.Name(), "remote", w.cfg.ClientIP(r))
		w.forbidden(rw, r, &u, csrfMessage)
		return
	}
	if w, ok = w.planned(rw, r, &u, form.Get("plan")); !ok {
		return
	}
	dept, ok := w.department(rw, r, u, form.Get("department"))
	if !ok {
		return
	}
	cat := w.svc.Catalog()
	for id := range postedIDs(form) {
		if e, ok := cat.Lookup(id); !ok || e.Task.Lead != dept {
			w.cfg.Logger.Warn("workspace: a form naming an indicator of another department", "sender", u.id.Principal.Name(), "indicator", id, "department", dept)
			w.forbidden(rw, r, &u, foreignMessage)
			return
		}
	}
	per, ok := w.period(rw, r, u, form.Get("period"))
	if !ok {
		return
	}

	v := w.reportView(u, dept, per, form)
	b := w.readRows(v, form, per)
	if len(b.reports) == 0 && len(b.errs) == 0 {
		if b.unchanged > 0 {
			v.Notice = fmt.Sprintf("填写的内容与已报送的相同(%d项),没有新的修订。", b.unchanged)
			w.render(rw, http.StatusOK, "report", v)
			return
		}
		v.Summary = "没有填写任何数据:请在“本期数值”(节点类任务在“进度阶段”)中填写后再提交。"
		w.render(rw, http.StatusBadRequest, "report", v)
		return
	}
	p := u.id.Principal
	status := http.StatusBadRequest
	if len(b.errs) == 0 {
		receipts, err := w.svc.Submit(r.Context(), p, b.reports, w.cfg.ClientIP(r))
		if err == nil {
			w.receipt(rw, r, u, dept, "网页填报", b.reports, receipts)
			return
		}
		var ie *collector.InputError
		if !errors.As(err, &ie) {
			w.cfg.Logger.Error("workspace: store", "sender", p.Name(), "err", err)
			v.Summary = "暂时无法保存(存储不可用),没有保存任何数据。已填写的内容仍在下方,请稍后再提交。"
			w.render(rw, http.StatusServiceUnavailable, "report", v)
			return
		}
		status = kindStatus(ie.Kind)
		b.add(ie)
	}
	for _, ie := range w.svc.Check(p, b.reports) { // every field at fault, not only the first
		if ie != nil {
			b.add(ie)
		}
	}
	w.showErrors(v, b)
	w.render(rw, status, "report", v)
}

// batch is what the form's rows gave: the reports to send and the errors found.
type batch struct {
	reports   []indicators.Report
	unchanged int
	errs      []rowError
	targets   map[string]*indicators.Target
}

type rowError struct {
	id, field, msg string
}

func (b *batch) add(ie *collector.InputError) {
	id := ""
	if ie.Index >= 0 && ie.Index < len(b.reports) {
		id = b.reports[ie.Index].Indicator
	}
	var t *indicators.Target
	if id != "" {
		t = b.target(id)
	}
	field := ie.Field
	switch field {
	case fValue, fStage, fPercent, fNote, fReason, "period":
	default:
		field = "row"
	}
	for _, e := range b.errs {
		if e.id == id && e.field == field {
			return // one message per field
		}
	}
	b.errs = append(b.errs, rowError{id: id, field: field, msg: inputMessage(ie, t)})
}

func (b *batch) target(id string) *indicators.Target { return b.targets[id] }

// formKey is a nonce of one rendering of the form.
var formKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

// readRows turns the page's rows (already showing what was typed) into reports. A row
// with nothing typed is skipped, and so is a row holding exactly what is stored for the
// period (the form shows reported values, and sending the page again must not add
// revisions). Each report gets an idempotency key from the form's nonce and its
// content, so the same form sent twice (a double click) replays.
func (w *Workspace) readRows(v *reportView, form url.Values, per indicators.Period) *batch {
	b := &batch{targets: map[string]*indicators.Target{}}
	cat := w.svc.Catalog()
	key := form.Get("form")
	if !formKey.MatchString(key) {
		key = ""
	}
	for _, g := range v.Groups {
		for _, row := range g.Rows {
			if !row.Posted || row.In.empty() { // a row the form did not send is not reported
				continue
			}
			e, _ := cat.Lookup(row.ID)
			t := e.Target
			b.targets[row.ID] = t
			rep := indicators.Report{Indicator: row.ID, Period: per.String(), Reason: strings.TrimSpace(row.In.Reason)}
			bad := false
			if s := strings.TrimSpace(row.In.Value); s != "" {
				x, err := indicators.ParseScaled(s, present.Scale(t))
				if err != nil {
					b.errs = append(b.errs, rowError{row.ID, fValue, parseMessage(s, err, present.Unit(t))})
					bad = true
				} else {
					rep.Value = &x
				}
			}
			if s := strings.TrimSpace(row.In.Stage); s != "" {
				st, ok := present.ParseStage(s)
				if !ok {
					b.errs = append(b.errs, rowError{row.ID, fStage, "请从列表中选择进度阶段"})
					bad = true
				}
				rep.Stage = st
			}
			if s := strings.TrimSpace(row.In.Percent); s != "" {
				x, err := indicators.ParseScaled(s, 1)
				if err != nil {
					b.errs = append(b.errs, rowError{row.ID, fPercent, parseMessage(s, err, "%")})
					bad = true
				} else {
					rep.Percent = &x
				}
			}
			rep.Note = indicators.Notes{Progress: row.In.Progress, Problems: row.In.Problems, Plans: row.In.Plans}.Note()
			if bad {
				continue
			}
			if key != "" {
				rep.IdempotencyKey = "form:" + key + ":" + row.ID + ":" + contentHash(rep)
			}
			if w.unchanged(rep, per) {
				b.unchanged++
				continue
			}
			b.reports = append(b.reports, rep)
		}
	}
	return b
}

// unchanged reports whether rep says what the form showed as reported for the period
// (the latest revision of a period ending with it: figures, note, no new reason),
// unless that revision came from this very form: then rep goes on to replay it, and
// the clerk sees the receipt again.
func (w *Workspace) unchanged(rep indicators.Report, per indicators.Period) bool {
	r, ok := revisionOf(w.received(rep.Indicator), per, w.svc.Catalog().Plan.Location())
	if !ok {
		return false
	}
	figures := indicators.Report{Plan: r.Plan, Indicator: rep.Indicator, Period: r.Period, Value: rep.Value, Stage: rep.Stage, Percent: rep.Percent}
	same := r.SameContent(figures) && indicators.ParseNotes(r.Note).Note() == rep.Note && rep.Reason == ""
	return same && (rep.IdempotencyKey == "" || r.IdempotencyKey != rep.IdempotencyKey)
}

// contentHash stands for everything a form row sends, the note and reason included:
// another text under the same form is another report (a new key), not a replay.
func contentHash(r indicators.Report) string {
	h := sha256.Sum256([]byte(r.ContentKey() + "\x00" + r.Note + "\x00" + r.Reason))
	return hex.EncodeToString(h[:8])
}

// showErrors puts each error beside its field and lists them all above the form.
func (w *Workspace) showErrors(v *reportView, b *batch) {
	byRow := map[string]*row{}
	for gi := range v.Groups {
		for ri := range v.Groups[gi].Rows {
			rr := &v.Groups[gi].Rows[ri]
			byRow[rr.ID] = rr
		}
	}
	seen := map[string]bool{} // a message about the whole batch or its period, listed once
	for _, e := range b.errs {
		rr := byRow[e.id]
		if rr == nil || e.field == "period" {
			if rr != nil {
				rr.Err["row"] = e.msg
			}
			if !seen[e.msg] {
				v.Errors = append(v.Errors, fieldError{Message: e.msg})
				seen[e.msg] = true
			}
			continue
		}
		field := e.field
		if rr.Milestone && field == fValue || !rr.Milestone && (field == fStage || field == fPercent) {
			field = "row" // the field is not on the form: say it on the row
		}
		rr.Err[field] = e.msg
		anchor := field + "." + rr.ID
		if field == "row" {
			anchor = "row-" + rr.ID
		}
		v.Errors = append(v.Errors, fieldError{Anchor: anchor, Label: rr.ID + " " + rr.Metric, Message: e.msg})
	}
	v.Summary = fmt.Sprintf("有%d处需要修改,本次提交没有保存任何数据。已填写的内容都保留在下方,修改后再提交。", len(v.Errors))
}
