package present_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

func TestEveryStatusHasItsOwnWordColourAndRank(t *testing.T) {
	words, colours, ranks := map[string]bool{}, map[string]bool{}, map[int]bool{}
	vs := present.Views()
	if len(vs) != len(evaluate.Statuses) {
		t.Fatalf("%d views for %d statuses", len(vs), len(evaluate.Statuses))
	}
	for i, v := range vs {
		if v.Status != evaluate.Statuses[i] {
			t.Errorf("view %d is %s, want %s (evaluate.Statuses order)", i, v.Status, evaluate.Statuses[i])
		}
		if v.Word == "" || v.Word == string(v.Status) || words[v.Word] {
			t.Errorf("%s: word %q missing or shared", v.Status, v.Word)
		}
		if len(v.Color) != 7 || v.Color[0] != '#' || colours[v.Color] {
			t.Errorf("%s: colour %q not a distinct hex colour", v.Status, v.Color)
		}
		if v.Rank < 1 || ranks[v.Rank] {
			t.Errorf("%s: rank %d not positive or shared", v.Status, v.Rank)
		}
		if v.Rule == "" {
			t.Errorf("%s: no rule", v.Status)
		}
		words[v.Word], colours[v.Color], ranks[v.Rank] = true, true, true
	}
}

func TestRanksOrderGoodToBad(t *testing.T) {
	order := []evaluate.Status{evaluate.Achieved, evaluate.OnTrack, evaluate.NoData, evaluate.AtRisk, evaluate.Lagging, evaluate.AchievedLate, evaluate.Missed}
	for i := 1; i < len(order); i++ {
		if !present.Worse(order[i], order[i-1]) {
			t.Errorf("%s should be worse than %s", order[i], order[i-1])
		}
	}
	if present.StatusRank("nonsense") != 0 || present.StatusWord("nonsense") != "nonsense" {
		t.Error("an unknown status should read as itself with rank 0")
	}
}

func TestOnlyStatusesNeedingActionAlert(t *testing.T) {
	var alerting []evaluate.Status
	for _, v := range present.Views() {
		if v.Alert != present.NoAlert {
			alerting = append(alerting, v.Status)
		}
	}
	want := []evaluate.Status{evaluate.AtRisk, evaluate.Lagging, evaluate.Missed}
	if !slices.Equal(alerting, want) {
		t.Errorf("alerting statuses %v, want %v", alerting, want)
	}
}

func TestStatusTextNamesTheReason(t *testing.T) {
	cases := map[string]struct {
		s    evaluate.Status
		r    evaluate.Reason
		want string
	}{
		"a status without a reason is its word":     {evaluate.OnTrack, "", "正常推进"},
		"stale data says 数据未更新":                     {evaluate.AtRisk, evaluate.ReasonStale, "存在风险(数据未更新)"},
		"nothing reported after the deadline":       {evaluate.Missed, evaluate.ReasonUnreported, "未完成(逾期未报)"},
		"a blocked milestone":                       {evaluate.Lagging, evaluate.ReasonBlocked, "进度滞后(受阻)"},
		"a milestone without a percent":             {evaluate.AtRisk, evaluate.ReasonNoPercent, "存在风险(未报完成比例)"},
		"a relative target without the same period": {evaluate.AtRisk, evaluate.ReasonReferenceStale, "存在风险(参照指标未报同期数)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := present.StatusText(c.s, c.r); got != c.want {
				t.Errorf("StatusText = %q, want %q", got, c.want)
			}
		})
	}
	for _, r := range evaluate.Reasons {
		if present.ReasonWord(r) == string(r) {
			t.Errorf("reason %s has no word", r)
		}
	}
}

func TestEveryReportStateHasItsOwnWordsAndColour(t *testing.T) {
	vs := present.ReportViews()
	if len(vs) != len(evaluate.ReportStatuses) {
		t.Fatalf("%d report views for %d report states", len(vs), len(evaluate.ReportStatuses))
	}
	seen := map[string]bool{}
	for i, v := range vs {
		if v.Status != evaluate.ReportStatuses[i] {
			t.Errorf("report view %d is %s, want %s (evaluate.ReportStatuses order)", i, v.Status, evaluate.ReportStatuses[i])
		}
		for _, s := range []string{v.Word, v.Short, v.Color} {
			if s == "" || seen[s] {
				t.Errorf("%s: %q missing or shared", v.Status, s)
			}
			seen[s] = true
		}
	}
	d := evaluate.DepartmentCompleteness{OnTime: 1, Late: 2, Missing: 3, NotDue: 4}
	if got := present.ReportCounts(d); !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Errorf("ReportCounts = %v, want the counts in ReportStatuses order", got)
	}
	if v := present.Report(evaluate.Missing); v.Word != "未报送" {
		t.Errorf("a missing report reads %q", v.Word)
	}
}

func TestTallyCountsInStatusOrder(t *testing.T) {
	tally := present.Tally{}
	for _, s := range []evaluate.Status{evaluate.Missed, evaluate.OnTrack, evaluate.Missed, evaluate.NoData} {
		tally.Add(s)
	}
	if tally.Total() != 4 {
		t.Errorf("total %d, want 4", tally.Total())
	}
	var got []string
	for _, c := range tally.Counts(false) {
		got = append(got, c.Word+strconv.Itoa(c.N))
	}
	if want := []string{"正常推进1", "未完成2", "暂无数据1"}; !slices.Equal(got, want) {
		t.Errorf("non-zero counts %v, want %v (evaluate.Statuses order)", got, want)
	}
	if all := tally.Counts(true); len(all) != len(evaluate.Statuses) || all[0].N != 0 || all[0].Color == "" {
		t.Errorf("every count: %+v", all)
	}
}

// TestWordsAndColoursLiveOnlyHere keeps the vocabulary in one place: no source file
// outside present (tests, test data, comments and the notice readers aside, which read
// the words people write) spells a status word or a status or report colour.
func TestWordsAndColoursLiveOnlyHere(t *testing.T) {
	var needles []string
	for _, v := range append(present.Views(), present.Unquantified) {
		needles = append(needles, v.Color)
	}
	for _, v := range present.ReportViews() {
		needles = append(needles, v.Color)
	}
	needles = append(needles, present.Neutral, present.OverdueWord, "有风险")
	for _, s := range []evaluate.Status{evaluate.OnTrack, evaluate.AtRisk, evaluate.Lagging, evaluate.AchievedLate, evaluate.NoData} {
		needles = append(needles, present.StatusWord(s)) // 已完成 and 未完成 are stage and sentence words too
	}
	root := filepath.Join("..")
	skip := map[string]bool{"present": true, ".git": true, ".cache": true, "testdata": true, "notice": true, "document": true, "node_modules": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if strings.HasSuffix(path, "_test.go") || (ext != ".go" && ext != ".html" && ext != ".css") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); ext == ".go" {
				line = code
			}
			for _, n := range needles {
				if strings.Contains(strings.ToLower(line), strings.ToLower(n)) {
					t.Errorf("%s:%d spells %q: take it from package present", path, i+1, n)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
