package workspace

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// receiptView is what one submission stored: each report with its revision and the
// time it was received, and the warnings of the ones worth a second look.
type receiptView struct {
	layout
	Department, DepartmentName string
	Source                     string // 网页填报, or the uploaded file's name
	When                       string
	Accepted, Replayed         int
	Items                      []receiptItem
	Board                      string // the board filtered to the department
	Again                      string // the form again, in the same plan
	PlanID                     string // the plan it went to
}

type receiptItem struct {
	ID, Metric, Period, Value string
	Revision                  int
	Replayed                  bool // sent before (a double click, the same file again): nothing added
	Received                  string
	Warnings                  []string
}

// receipt keeps what Submit stored in the session and sends the browser to see it.
func (w *Workspace) receipt(rw http.ResponseWriter, r *http.Request, u user, dept, source string, reports []indicators.Report, receipts []collector.Receipt) {
	cat := w.svc.Catalog()
	loc := cat.Plan.Location()
	v := &receiptView{Department: dept, DepartmentName: w.departmentName(dept), Source: source,
		When: w.svc.Now().In(loc).Format("2006-01-02 15:04:05"), Board: "/?" + w.planQuery(url.Values{"department": {dept}}).Encode(),
		Again: "/report?" + w.planQuery(url.Values{}).Encode(), PlanID: cat.Plan.ID}
	for i, rc := range receipts {
		it := receiptItem{ID: rc.Indicator, Period: rc.Period, Revision: rc.Revision, Replayed: rc.Replayed}
		e, ok := cat.Lookup(rc.Indicator)
		if ok {
			it.Metric = e.Target.Metric
			if i < len(reports) {
				it.Value = revisionText(e.Target, indicators.Revision{Report: reports[i]})
			}
		}
		series := w.received(rc.Indicator)
		var stored *indicators.Revision
		for j := range series {
			if series[j].Period == rc.Period && series[j].Revision == rc.Revision {
				stored = &series[j]
				it.Received = stored.ReceivedAt.In(loc).Format("2006-01-02 15:04:05")
			}
		}
		for _, wn := range rc.Warnings {
			msg := hint(wn.Message)
			if msg == "" {
				msg = wn.Message
			}
			if wn.Code == collector.WarnCumulativeDecreased && ok && stored != nil {
				if prev, down := indicators.CumulativeDecrease(e.Target, series, *stored); down {
					msg = fmt.Sprintf("累计值低于上期:%s为%s,%s为%s。已保存,请核实;如有误请更正", stored.Period, present.Value(e.Target, *stored.Value), prev.Period, present.Value(e.Target, *prev.Value))
				}
			}
			it.Warnings = append(it.Warnings, msg)
		}
		if rc.Replayed {
			v.Replayed++
		}
		v.Accepted++
		v.Items = append(v.Items, it)
	}
	w.sessions.setReceipt(u.sess.ID, v)
	w.cfg.Logger.Info("workspace: reports stored", "sender", u.id.Principal.Name(), "department", dept, "reports", len(receipts), "source", source)
	http.Redirect(rw, r, "/report/receipt", http.StatusSeeOther)
}

// receiptPage: GET /report/receipt, the last submission's receipt of this session.
func (w *Workspace) receiptPage(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	v := w.sessions.receipt(u.sess.ID)
	if v == nil {
		http.Redirect(rw, r, home(u), http.StatusSeeOther)
		return
	}
	page := *v
	for _, s := range w.plans {
		if s.Catalog().Plan.ID == v.PlanID {
			w = w.in(s) // the header names the plan the reports went to
		}
	}
	page.layout = w.layoutFor(&u, "报送回执")
	w.render(rw, http.StatusOK, "receipt", &page)
}
