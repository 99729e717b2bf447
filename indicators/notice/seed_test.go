package notice_test

import (
	"os"
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/notice"
)

func parseSeed(t *testing.T) (*indicators.Catalog, []notice.Warning) {
	t.Helper()
	b, err := os.ReadFile("../source/changzhi-2026.txt")
	if err != nil {
		t.Fatal(err)
	}
	return notice.Parse(string(b), notice.Options{})
}

func TestSeedHasEveryTaskAndLead(t *testing.T) {
	c, warns := parseSeed(t)
	if got := len(c.Tasks); got != 177 {
		t.Errorf("tasks = %d, want 177", got)
	}
	if got := len(c.LeadDepartments()); got != 42 {
		t.Errorf("lead departments = %d, want 42", got)
	}
	for i, task := range c.Tasks {
		if task.Num != i+1 {
			t.Fatalf("task %d has number %d", i+1, task.Num)
		}
		if _, ok := c.Department(task.Lead); !ok {
			t.Errorf("task %d: lead %q is not a department", task.Num, task.Lead)
		}
	}
	if c.Plan.ID != "changzhi-2026" || c.Plan.Year != 2026 || c.Plan.Document != "长政办函〔2026〕1号" || c.Plan.Issuer != "长治市人民政府办公室" {
		t.Errorf("plan = %+v", c.Plan)
	}
	for _, w := range warns {
		if w.Line < 240 {
			t.Errorf("unexpected warning inside the list: %s", w)
		}
	}
}
