package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
	"github.com/duban-gov/duban/present"
)

// stack is what TestDashboardsReadTheSameWithTwoCollectors runs: two real `duban serve`
// replicas on one real InfluxDB (the README's Scaling out), a Prometheus scraping both
// with the shipped rules (both), and one scraping only the first without any rule (one).
type stack struct {
	a, b          *testenv.Serve
	both, one     *testenv.Server
	lagging       indicators.Entry
	missed        indicators.Entry
	people        indicators.Entry // 60.1 新增技能人才, 人 shown in 万人 (scale 10000)
	subst         func(string) string
	targets, task int    // published targets and task follow-ups of the catalog
	plan          string // the shipped plan's id, the default plan and $plan
}

// TestDashboardsReadTheSameWithTwoCollectors runs every PromQL expression of the
// generated dashboards and Grafana alert rules against a real Prometheus scraping two
// real collectors that share one InfluxDB, and against one scraping a single collector
// with no recording rule loaded: none errors, each returns the same series and values
// in both (counts, tables and alert queries do not double with a second replica, and
// nothing leans on the recording rules), the indicators with reports have data, the
// tables carry exactly their columns, and values read in the display unit (12000 人 of
// 60.1 at display scale 10000 read 1.2). Then both collectors are killed: every status
// stat of the overview is empty (无数据, never 0), 采集状态 reads 中断, and the
// collector-down alert fires.
func TestDashboardsReadTheSameWithTwoCollectors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts influxd, two collectors and two Prometheus")
	}
	st := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	files := generate(t)
	total := 0
	for _, n := range dashboardNames(files) {
		for _, e := range promExprs(t, files[n]) {
			total++
			checkBothAgree(t, ctx, st, n+" panel "+e.panel, st.subst(e.expr), true)
		}
		for _, v := range promVariables(t, files[n]) {
			total++
			q := st.subst(v.expr)
			got, err := st.both.Vector(ctx, q)
			if err != nil || len(got) == 0 || got[0].Metric[v.label] == "" {
				t.Errorf("%s variable %s: %s gives %v (%v)", n, v.name, q, got, err)
			}
			switch v.name {
			case dashboards.VarPlan:
				checkPlanVariable(t, ctx, st, q)
			case dashboards.VarDepartment, dashboards.VarIndicator:
				checkPlanChoices(t, ctx, st, v)
			}
		}
	}
	checkAlertsCarryThePlan(t, ctx, st)
	total += checkGrafanaRules(t, ctx, st)
	checkDisplayUnits(t, ctx, st, files)
	checkCounts(t, ctx, st, files)
	checkTableColumns(t, ctx, st, files)
	t.Logf("%d PromQL expressions agree between two collectors and one", total)

	// The collection: 2 collectors, then none.
	overview := files[dashboards.DirDashboards+"/overview.json"]
	collection := statExpr(t, overview, dashboards.TitleCollection)
	for _, c := range []struct {
		prom *testenv.Server
		want string
	}{{st.both, "2"}, {st.one, "1"}} {
		if v := vector(t, ctx, c.prom, collection); len(v) != 1 || v[0].Value[1] != c.want {
			t.Errorf("%s with the collectors up = %v, want %s", dashboards.TitleCollection, v, c.want)
		}
	}
	st.a.Kill()
	st.b.Kill()
	waitVector(t, ctx, st.both, `count(up{job="duban"} == 0) == 2`)
	for _, p := range stats(t, overview) {
		v := vector(t, ctx, st.both, st.subst(p.expr))
		switch {
		case p.title == dashboards.TitleCollection:
			if len(v) != 1 || v[0].Value[1] != "0" {
				t.Errorf("%s with no collector = %v, want 0", p.title, v)
			} else if got := p.mapping["0"]; got != present.Collection(false).Word {
				t.Errorf("%s maps 0 to %q, want %q", p.title, got, present.Collection(false).Word)
			}
		case len(v) != 0:
			t.Errorf("overview stat %s reads %v with every collector down; want no value (%s)", p.title, v, present.NoValue)
		}
		if p.noValue != present.NoValue {
			t.Errorf("overview stat %s shows %q without a value, want %s", p.title, p.noValue, present.NoValue)
		}
	}
	waitVector(t, ctx, st.both, `ALERTS{alertname="`+alerts.AlertCollectorDown+`",alertstate="firing"}`)
	if v := vector(t, ctx, st.both, dashboards.GrafanaAlertExpr(alertNamed(t, alerts.AlertCollectorDown))); len(v) == 0 {
		t.Errorf("Grafana's %s query returns nothing with every collector down", alerts.AlertCollectorDown)
	}
}

func startStack(t *testing.T) *stack {
	t.Helper()
	testenv.NeedBinary(t, "prometheus")
	// The collectors' clock stands at the end of November 2026 (testing.now, a
	// test-only setting), so the test runs the same on any date; Prometheus scrapes and
	// evaluates at the real time, which the numbers do not depend on.
	now := testNow
	cat := catalog(t)
	st := &stack{plan: cat.Plan.ID}
	st.lagging, st.missed = pick(t, cat, now)
	var ok bool
	if st.people, ok = cat.Lookup("60.1"); !ok || st.people.Target.DisplayScale != 1e4 || st.people.Target.Value != 12000 {
		t.Fatalf("60.1 is not 1.2万人 (12000 人, scale 10000): %+v", st.people.Target)
	}
	for _, e := range cat.Entries() {
		if e.Target.FollowUp() {
			st.task++
		} else {
			st.targets++
		}
	}
	t.Logf("lagging: %s (%s), missed: %s (%s), 万人: %s (%s)", st.lagging.Target.ID, st.lagging.Task.Lead, st.missed.Target.ID, st.missed.Task.Lead, st.people.Target.ID, st.people.Task.Lead)

	// 1. Two replicas of duban serve on one InfluxDB serving two plans (the shipped list
	// and the 民生实事 sample, which share ids and departments), one token per
	// department pushed for.
	influx := testenv.StartInfluxd(t)
	tokens := map[string]string{}
	var lines []string
	for _, dept := range []string{st.lagging.Task.Lead, st.missed.Task.Lead, st.people.Task.Lead, minshengLead} {
		if _, ok := tokens[dept]; ok {
			continue
		}
		tok, hash := testenv.Token(t)
		tokens[dept] = tok
		lines = append(lines, fmt.Sprintf("    - {department: %s, sha256: %s}", dept, hash))
	}
	replica := func() *testenv.Serve {
		return testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
			return fmt.Sprintf("listen: %s\nplans:\n  - embedded:%s\n  - %s\nstore:\n  kind: influxdb\n  path: %s\n  influxdb: {url: %s, org: %s, bucket: %s, refresh: 200ms}\nauth:\n  tokens:\n%s\nlog: {format: text, level: warn}\ntesting: {now: %q}\n",
				addr, cat.Plan.ID, filepath.Join(dir, "minsheng.yaml"), filepath.Join(dir, "spool"), influx.URL, influx.Org, influx.Bucket, strings.Join(lines, "\n"), now.Format(time.RFC3339))
		}, Files: testenv.Files{"minsheng.yaml": string(testplans.Minsheng2026())}})
	}
	st.a, st.b = replica(), replica()

	// 2. Reports through A: a tenth of the target for the lagging one (last complete
	// month), for the missed one (its due month), and 12000 人 of 60.1; in the 民生实事
	// plan, 1.1 at 2 of 10 schools for October (lagging too: the same id in two plans).
	lastMonth := fmt.Sprintf("%d-%02d", now.Year(), int(now.Month())-1)
	testenv.Push(t, st.a.URL, tokens[st.lagging.Task.Lead], report(st.plan, st.lagging, lastMonth))
	y, m, _, _ := st.missed.Target.Due.Parse()
	testenv.Push(t, st.a.URL, tokens[st.missed.Task.Lead], report(st.plan, st.missed, fmt.Sprintf("%d-%02d", y, int(m))))
	testenv.Push(t, st.a.URL, tokens[st.people.Task.Lead], fmt.Sprintf(`{"reports":[{"indicator":"60.1","period":%q,"value":12000}]}`, lastMonth))
	testenv.Push(t, st.a.URL, tokens[minshengLead], fmt.Sprintf(`{"reports":[{"plan":%q,"indicator":"1.1","period":%q,"value":2}]}`, testplans.MinshengID, lastMonth))

	// 3. Prometheus scraping both (with the rules, for 1s) and scraping A alone (no rules).
	var rules bytes.Buffer
	if err := alerts.WritePrometheus(&rules, alerts.PrometheusOptions{Interval: time.Second, For: time.Second}); err != nil {
		t.Fatal(err)
	}
	scrape := func(targets ...string) string {
		return fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: %s\n    static_configs: [{targets: [%s]}]\n",
			conventions.JobName, strings.Join(targets, ", "))
	}
	st.both = testenv.StartPrometheus(t, "rule_files: [rules.yml]\n"+scrape(strconv.Quote(st.a.Addr), strconv.Quote(st.b.Addr)), testenv.Files{"rules.yml": rules.String()})
	st.one = testenv.StartPrometheus(t, scrape(strconv.Quote(st.a.Addr)), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range []struct {
		prom *testenv.Server
		n    int
	}{{st.both, 2}, {st.one, 1}} {
		for _, q := range []string{
			fmt.Sprintf(`%s{plan=%q,indicator=%q,status="lagging"} == 1`, conventions.MetricStatus, st.plan, st.lagging.Target.ID),
			fmt.Sprintf(`%s{plan=%q,indicator=%q,status="missed"} == 1`, conventions.MetricStatus, st.plan, st.missed.Target.ID),
			fmt.Sprintf(`%s{plan=%q,indicator="60.1"} == 12000`, conventions.MetricValue, st.plan),
			fmt.Sprintf(`%s{plan=%q,indicator=%q}`, conventions.MetricProjected, st.plan, st.lagging.Target.ID),
			fmt.Sprintf(`%s{plan=%q,indicator="1.1",status="lagging"} == 1`, conventions.MetricStatus, testplans.MinshengID),
		} {
			waitVector(t, ctx, p.prom, fmt.Sprintf("count(%s) == %d", q, p.n))
		}
	}
	waitVector(t, ctx, st.both, alerts.RecordStatusCurrent)

	// Per-department panels of departments without reports would rightly be empty:
	// they are checked with the department that has reports instead.
	vars := strings.NewReplacer(
		"${"+dashboards.VarPlan+"}", st.plan, "$"+dashboards.VarPlan, st.plan,
		"${"+dashboards.VarDepartment+"}", st.lagging.Task.Lead, "$"+dashboards.VarDepartment, st.lagging.Task.Lead,
		"${"+dashboards.VarIndicator+"}", st.lagging.Target.ID, "$"+dashboards.VarIndicator, st.lagging.Target.ID,
	)
	reported := map[string]bool{st.lagging.Task.Lead: true, st.missed.Task.Lead: true, st.people.Task.Lead: true}
	st.subst = func(e string) string {
		return deptMatcher.ReplaceAllStringFunc(vars.Replace(e), func(m string) string {
			if id := deptMatcher.FindStringSubmatch(m)[1]; !reported[id] {
				return fmt.Sprintf(`%s=%q`, conventions.LabelDepartment, st.lagging.Task.Lead)
			}
			return m
		})
	}
	return st
}

// collectionMetric reports whether an expression reads the collectors' own health,
// which is per replica by design (2 collectors up, 1 collector up).
var collectionMetric = regexp.MustCompile(`\bup\{|` + conventions.MetricSpoolOldestAge + `|` + conventions.MetricInfluxWriteErrors + `|` + conventions.MetricSpoolDepth + `|duban_store_`)

// checkPlanVariable: the plan variable lists the two plans once each however many
// collectors answer, the current year's by the collectors' clock first (here the
// default plan: both plans are of 2026), each with its title.
func checkPlanVariable(t *testing.T, ctx context.Context, st *stack, q string) {
	t.Helper()
	for _, prom := range []*testenv.Server{st.both, st.one} {
		got := vector(t, ctx, prom, q) // sorted by duban_plan_order, as the instant query returns it
		var plans []string
		for _, s := range got {
			plans = append(plans, s.Metric[conventions.LabelPlan]+" "+s.Metric[conventions.LabelPlanTitle])
		}
		want := []string{st.plan + " 2026年市政府工作报告重点目标任务清单", testplans.MinshengID + " 2026年市级民生实事项目清单"}
		if strings.Join(plans, ",") != strings.Join(want, ",") {
			t.Errorf("plan variable lists %v, want %v", plans, want)
		}
	}
}

// checkPlanChoices: the department and indicator variables list, for each of the two
// plans, exactly that plan's lead departments or targets, each once with two
// collectors as with one, read as Grafana reads a query_result (each series as a line
// {label="value",…} value ms, the variable's regex taking value and text out of it).
func checkPlanChoices(t *testing.T, ctx context.Context, st *stack, v promVariable) {
	t.Helper()
	minsheng, err := indicators.Decode(bytes.NewReader(testplans.Minsheng2026()))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(strings.Trim(v.regex, "/"))
	for plan, cat := range map[string]*indicators.Catalog{st.plan: catalog(t), testplans.MinshengID: minsheng} {
		want := map[string]string{}
		switch v.name {
		case dashboards.VarDepartment:
			for _, id := range cat.LeadDepartments() {
				d, _ := cat.Department(id)
				want[id] = d.Name
			}
		default:
			for _, e := range cat.Entries() {
				want[e.Target.ID] = e.Target.ID + " " + e.Target.Metric + "(" + e.Department.Name + ")"
			}
		}
		q := strings.ReplaceAll(v.expr, "$"+dashboards.VarPlan, plan)
		for _, prom := range []*testenv.Server{st.both, st.one} {
			got := map[string]string{}
			for _, s := range vector(t, ctx, prom, q) {
				line := grafanaLine(s)
				m := re.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("variable %s of %s: the regex %s reads nothing out of %s", v.name, plan, v.regex, line)
					continue
				}
				if _, dup := got[m[re.SubexpIndex("value")]]; dup {
					t.Errorf("variable %s of %s offers %s twice", v.name, plan, m[re.SubexpIndex("value")])
				}
				got[m[re.SubexpIndex("value")]] = m[re.SubexpIndex("text")]
			}
			if !maps.Equal(got, want) {
				t.Errorf("variable %s of %s offers %d options, want %d:\n  got  %v\n  want %v", v.name, plan, len(got), len(want), got, want)
			}
		}
	}
}

// grafanaLine is a series as Grafana's query_result shows it to a variable's regex.
func grafanaLine(s testenv.Sample) string {
	names := slices.Sorted(maps.Keys(s.Metric))
	pairs := make([]string, 0, len(names))
	for _, n := range names {
		if n != "__name__" {
			pairs = append(pairs, n+`="`+s.Metric[n]+`"`)
		}
	}
	return fmt.Sprintf("%s{%s} %v %v", s.Metric["__name__"], strings.Join(pairs, ","), s.Value[1], s.Value[0])
}

// checkAlertsCarryThePlan: the real Prometheus, with the shipped rules, fires
// IndicatorLagging for 1.1 of the 民生实事 plan and for the shipped plan's lagging
// target apart, each alert with its plan and its plan's title.
func checkAlertsCarryThePlan(t *testing.T, ctx context.Context, st *stack) {
	t.Helper()
	for plan, id := range map[string]string{st.plan: st.lagging.Target.ID, testplans.MinshengID: "1.1"} {
		q := fmt.Sprintf(`ALERTS{alertname="IndicatorLagging",alertstate="firing",plan=%q,indicator=%q}`, plan, id)
		waitVector(t, ctx, st.both, q)
		v := vector(t, ctx, st.both, q)
		if len(v) != 1 || !strings.HasPrefix(v[0].Metric[conventions.LabelPlanTitle], "2026年") {
			t.Errorf("%s = %v, want one alert with its plan's title", q, v)
		}
	}
}

// checkBothAgree runs q on both Prometheus servers: it must parse, return the same
// series and values (but for the collectors' own health), and, when data is wanted,
// return some with the Chinese names of an info join.
func checkBothAgree(t *testing.T, ctx context.Context, st *stack, what, q string, wantData bool) {
	t.Helper()
	if strings.Contains(q, "$") {
		t.Errorf("%s: unsubstituted variable in %s", what, q)
		return
	}
	if strings.Contains(q, "or vector(") {
		t.Errorf("%s: %s reads 0 when nothing answers", what, q)
	}
	both, err := st.both.Vector(ctx, q)
	if err != nil {
		t.Errorf("%s with two collectors: %v", what, err)
		return
	}
	one, err := st.one.Vector(ctx, q)
	if err != nil {
		t.Errorf("%s with one collector: %v", what, err)
		return
	}
	if collectionMetric.MatchString(q) {
		return // per replica by design; what they read is checked on their own
	}
	if a, b := canonical(both), canonical(one); a != b {
		t.Errorf("%s differs with two collectors:\n  two: %s\n  one: %s\n  %s", what, a, b, q)
	}
	if wantData && len(both) == 0 {
		t.Errorf("%s: no data for %s", what, q)
	}
	if len(both) > 0 && strings.Contains(q, "group_left ("+conventions.LabelName) {
		for _, l := range []string{conventions.LabelName, conventions.LabelDepartmentName} {
			if both[0].Metric[l] == "" {
				t.Errorf("%s: %s joined no %s label: %v", what, q, l, both[0].Metric)
			}
		}
	}
}

// canonical is a vector as sorted "labels=value" lines, values to 9 significant digits.
func canonical(v []testenv.Sample) string {
	var out []string
	for _, s := range v {
		keys := make([]string, 0, len(s.Metric))
		for k := range s.Metric {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%q,", k, s.Metric[k])
		}
		f, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		out = append(out, fmt.Sprintf("{%s} %.9g", b.String(), f))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// checkGrafanaRules runs every query of the Grafana alert rules on both servers (the
// one without recording rules included), with the lagging and missed indicators'
// value queries in the display unit.
func checkGrafanaRules(t *testing.T, ctx context.Context, st *stack) int {
	t.Helper()
	expect := map[string]bool{ // alert name → data wanted
		"IndicatorLagging":        true,
		"IndicatorMissed":         true,
		"DepartmentReportOverdue": true,
	}
	byAlert := map[string]indicators.Entry{"IndicatorLagging": st.lagging, "IndicatorMissed": st.missed}
	groups, err := dashboards.GrafanaRuleGroups()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range groups {
		for _, r := range g.Rules {
			for _, d := range r.Data {
				raw, _ := json.Marshal(d.Model)
				var m struct {
					Expr string `json:"expr"`
				}
				_ = json.Unmarshal(raw, &m)
				if m.Expr == "" {
					continue // a server-side expression
				}
				n++
				what := "rule " + r.Title + " query " + *d.RefId
				checkBothAgree(t, ctx, st, what, m.Expr, expect[r.Title])
				if r.Title == alerts.AlertCollectorDown {
					if v := vector(t, ctx, st.both, m.Expr); len(v) != 0 {
						t.Errorf("%s fires while the collectors are up: %v", what, v)
					}
				}
				e, ok := byAlert[r.Title]
				if *d.RefId == "A" || !ok {
					continue
				}
				var mine []testenv.Sample
				for _, x := range vector(t, ctx, st.both, m.Expr) {
					if x.Metric[conventions.LabelIndicator] == e.Target.ID && x.Metric[conventions.LabelPlan] == st.plan {
						mine = append(mine, x)
					}
				}
				if len(mine) != 1 {
					t.Errorf("%s: %d series for %s, want 1 (%v)", what, len(mine), e.Target.ID, mine)
				} else {
					checkDisplayValue(t, ctx, st.both, r.Title, *d.RefId, e, mine[0])
				}
			}
		}
	}
	return n
}

// checkDisplayUnits reads 60.1's row of the overview table: 12000 人 reads 1.2 beside
// 单位 万人, and its target 1.2 too.
func checkDisplayUnits(t *testing.T, ctx context.Context, st *stack, files map[string][]byte) {
	t.Helper()
	queries := tableQueries(t, files[dashboards.DirDashboards+"/overview.json"])
	for _, c := range []struct{ ref, col string }{{"A", "当前值"}, {"B", "目标值"}} {
		var got []testenv.Sample
		for _, s := range vector(t, ctx, st.both, st.subst(queries[c.ref])) {
			if s.Metric[conventions.LabelIndicator] == "60.1" {
				got = append(got, s)
			}
		}
		if len(got) != 1 || got[0].Value[1] != "1.2" || got[0].Metric[conventions.LabelDisplayUnit] != "万人" {
			t.Errorf("overview %s of 60.1 (12000 人, scale 10000) = %v, want 1.2 with 单位 万人", c.col, got)
		}
	}
}

// checkCounts: 目标总数 counts the catalog's targets and tasks once, with one collector
// or two.
func checkCounts(t *testing.T, ctx context.Context, st *stack, files map[string][]byte) {
	t.Helper()
	for _, p := range stats(t, files[dashboards.DirDashboards+"/overview.json"]) {
		if p.title != "目标总数" {
			continue
		}
		for i, want := range []int{st.targets, st.task} {
			for _, prom := range []*testenv.Server{st.both, st.one} {
				if v := vector(t, ctx, prom, st.subst(p.exprs[i])); len(v) != 1 || v[0].Value[1] != strconv.Itoa(want) {
					t.Errorf("目标总数 query %d = %v, want %d", i, v, want)
				}
			}
		}
		return
	}
	t.Error("no 目标总数 on the overview")
}

// checkTableColumns applies a table's merge and organize steps, as Grafana does, to
// the fields its queries really return: the visible columns are exactly TableColumns.
func checkTableColumns(t *testing.T, ctx context.Context, st *stack, files map[string][]byte) {
	t.Helper()
	for _, n := range dashboardNames(files) {
		for _, tb := range tables(t, files[n]) {
			fields := map[string]bool{"Time": true}
			for ref, q := range tb.queries {
				fields["Value #"+ref] = true
				for _, s := range vector(t, ctx, st.both, st.subst(q)) {
					for l := range s.Metric {
						fields[l] = true
					}
				}
			}
			var visible []string
			for f := range fields {
				if tb.exclude[f] || tb.hidden[f] {
					continue
				}
				name := f
				if r, ok := tb.rename[f]; ok {
					name = r
				}
				visible = append(visible, name)
			}
			sort.Slice(visible, func(i, j int) bool { return tb.index[visible[i]] < tb.index[visible[j]] })
			if strings.Join(visible, ",") != strings.Join(dashboards.TableColumns, ",") {
				t.Errorf("%s table %s shows %v, want exactly %v", n, tb.title, visible, dashboards.TableColumns)
			}
		}
	}
}

func vector(t *testing.T, ctx context.Context, prom *testenv.Server, q string) []testenv.Sample {
	t.Helper()
	v, err := prom.Vector(ctx, q)
	if err != nil {
		t.Errorf("%s: %v", q, err)
	}
	return v
}

// checkDisplayValue checks that a Grafana value query (REF = the upper-cased Values
// ref) reads the indicator's series in its display unit: the base-unit value divided by
// the catalog's display scale.
func checkDisplayValue(t *testing.T, ctx context.Context, prom *testenv.Server, alert, ref string, e indicators.Entry, got testenv.Sample) {
	t.Helper()
	metric := alerts.Values[strings.ToLower(ref)]
	raw, err := prom.Vector(ctx, fmt.Sprintf(`max(%s{%s=%q, %s=%q})`, metric, conventions.LabelPlan, got.Metric[conventions.LabelPlan], conventions.LabelIndicator, e.Target.ID))
	if err != nil || len(raw) != 1 {
		t.Errorf("rule %s query %s: no %s of %s to compare with (%v)", alert, ref, metric, e.Target.ID, err)
		return
	}
	scale := e.Target.DisplayScale
	if scale <= 0 {
		scale = 1
	}
	base, _ := strconv.ParseFloat(raw[0].Value[1].(string), 64)
	display, _ := strconv.ParseFloat(got.Value[1].(string), 64)
	if want := base / scale; math.Abs(display-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("rule %s query %s = %v, want %v (%v base units / display scale %v)", alert, ref, display, want, base, scale)
	}
	if got.Metric[conventions.LabelDisplayScale] != conventions.DisplayScaleText(e.Target.DisplayScale) {
		t.Errorf("rule %s query %s: display_scale label %q, catalog scale %v", alert, ref, got.Metric[conventions.LabelDisplayScale], e.Target.DisplayScale)
	}
}

func alertNamed(t *testing.T, name string) alerts.Alert {
	for _, a := range alerts.Alerts() {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no alert %s", name)
	return alerts.Alert{}
}

// testNow is the collectors' clock in the tests (testing.now): late November 2026.
var testNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// minshengLead leads 1.1 of the 民生实事 sample (as another department leads 1.1 of the
// shipped list).
const minshengLead = "jyj"

// pick finds a plain cumulative "at least" target due at year end (to make it lag) and
// a numeric "at least" or "equal" target whose due date has passed (to make it missed).
func pick(t *testing.T, cat *indicators.Catalog, now time.Time) (lagging, missed indicators.Entry) {
	t.Helper()
	loc := cat.Plan.Location()
	for _, e := range cat.Entries() {
		tg := e.Target
		if tg.Relative != nil || (tg.Comparator != indicators.GE && tg.Comparator != indicators.EQ) || tg.Value <= 0 {
			continue
		}
		end, err := tg.Due.End(loc)
		if err != nil {
			continue
		}
		switch {
		case lagging.Target == nil && tg.Measure == indicators.Cumulative && tg.Comparator == indicators.GE && tg.Trajectory == nil && end.Month() == time.January && end.After(now):
			lagging = e
		case missed.Target == nil && (tg.Measure == indicators.Cumulative || tg.Measure == indicators.Level) && end.Before(now.AddDate(0, 0, -1)):
			missed = e
		}
	}
	if lagging.Target == nil || missed.Target == nil {
		t.Fatalf("the catalog lacks a year-end cumulative target or a past-due numeric one")
	}
	return lagging, missed
}

func report(plan string, e indicators.Entry, period string) string {
	return fmt.Sprintf(`{"reports":[{"plan":%q,"indicator":%q,"period":%q,"value":%g}]}`, plan, e.Target.ID, period, e.Target.Value/10)
}

func waitVector(t *testing.T, ctx context.Context, prom *testenv.Server, q string) {
	t.Helper()
	for {
		v, err := prom.Vector(ctx, q)
		if err == nil && len(v) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no data (last error %v)\n%s", q, err, prom.Log())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

var deptMatcher = regexp.MustCompile(conventions.LabelDepartment + `="([^"$]+)"`)
