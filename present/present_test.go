package present_test

import (
	"slices"
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
