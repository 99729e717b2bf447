package indicators

import "time"

// Decision is the review state of a revision: what the supervision office said of it.
type Decision string

// A revision is Submitted until the office reviews it; its state is then the decision
// of its latest review. A new revision starts Submitted again (so a department's
// revision after a return goes back into review).
const (
	Submitted Decision = "submitted"
	Approved  Decision = "approved"
	Returned  Decision = "returned"
)

// Review is one judgement of the office on one revision, kept beside it in the store as
// part of the audit trail: reviews are only added, never changed.
type Review struct {
	Plan       string    `json:"plan,omitempty"` // the plan of the revision judged
	Indicator  string    `json:"indicator"`
	Period     string    `json:"period"`
	Revision   int       `json:"revision"`          // the revision judged
	Decision   Decision  `json:"decision"`          // Approved or Returned
	Comment    string    `json:"comment,omitempty"` // required to return
	Reviewer   string    `json:"reviewer"`          // who reviewed ("admin")
	ReviewedAt time.Time `json:"reviewed_at"`
}

// State is the review state of r: the decision of its latest review, Submitted when
// it has none.
func (r Revision) State() Decision {
	if len(r.Reviews) == 0 {
		return Submitted
	}
	return r.Reviews[len(r.Reviews)-1].Decision
}

// LastApproved returns the highest revision of hist whose state is Approved for each
// (indicator, period) of hist, in hist's order.
func LastApproved(hist []Revision) []Revision {
	type key struct{ indicator, period string }
	best := map[key]int{}
	for i, r := range hist {
		if r.State() != Approved {
			continue
		}
		k := key{r.Indicator, r.Period}
		if j, ok := best[k]; !ok || hist[j].Revision < r.Revision {
			best[k] = i
		}
	}
	out := make([]Revision, 0, len(best))
	for i, r := range hist {
		if best[key{r.Indicator, r.Period}] == i && r.State() == Approved {
			out = append(out, r)
		}
	}
	return out
}
