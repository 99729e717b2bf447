package workspace

import (
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector"
)

// TestAClosedPlansRefusalReadsInChinese: the collector refuses a department's report to
// a closed plan with 409 plan_closed; the form and the upload show it as a sentence.
func TestAClosedPlansRefusalReadsInChinese(t *testing.T) {
	ie := collector.NewInputError(collector.KindConflict, collector.CodePlanClosed, 0, "plan", "plan %s is closed and takes no department reports", "changzhi-2026")
	if msg := inputMessage(ie, nil); !strings.Contains(msg, "该计划已关闭") {
		t.Errorf("plan_closed reads %q", msg)
	}
	if got := kindStatus(ie.Kind); got != http.StatusConflict {
		t.Errorf("plan_closed answers %d, want 409", got)
	}
}
