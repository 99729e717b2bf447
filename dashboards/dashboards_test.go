package dashboards_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func init() {
	plugins.RegisterDefaultPlugins()
	cog.NewRuntime().RegisterDataqueryVariant(dashboards.InfluxQLVariantConfig())
}

func catalog(t *testing.T) *indicators.Catalog {
	t.Helper()
	cat, err := catalogs.Load(catalogs.Default)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func generate(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := dashboards.Generate(indicators.SinglePlan(catalog(t)))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestEveryDashboardPassesStrictUnmarshalAndValidate(t *testing.T) {
	files := generate(t)
	cases := map[string]struct {
		file, uid string
		vars      []string
	}{
		"the overview has the fixed uid and the plan var only": {"overview.json", dashboards.OverviewUID, []string{dashboards.VarPlan}},
		"the department page is driven by a department var":    {"department.json", dashboards.DepartmentUID, []string{dashboards.VarPlan, dashboards.VarDepartment}},
		"the indicator page is driven by an indicator var":     {"indicator.json", dashboards.IndicatorUID, []string{dashboards.VarPlan, dashboards.VarIndicator, dashboards.VarUnit, dashboards.VarGapUnit, dashboards.VarScale}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := decodeDashboard(t, files[dashboards.DirDashboards+"/"+tc.file])
			if d.Uid == nil || *d.Uid != tc.uid {
				t.Errorf("uid = %v, want %s", d.Uid, tc.uid)
			}
			if !contains(d.Tags, dashboards.Tag) {
				t.Errorf("tags %v lack %q", d.Tags, dashboards.Tag)
			}
			if d.Title == nil || !hasHan(*d.Title) {
				t.Errorf("title %v is not Chinese", d.Title)
			}
			var got []string
			if d.Templating.List != nil {
				for _, v := range d.Templating.List {
					got = append(got, v.Name)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.vars, ",") {
				t.Errorf("variables %v, want %v", got, tc.vars)
			}
			ids := map[uint32]bool{}
			for _, p := range allPanels(d) {
				if p.Title == nil || !hasHan(*p.Title) {
					t.Errorf("panel %v has no Chinese title", p.Title)
				}
				if p.Id == nil || ids[*p.Id] {
					t.Errorf("panel %v: missing or duplicate id", p.Title)
				} else {
					ids[*p.Id] = true
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %v has no query", *p.Title)
				}
			}
		})
	}
}

func TestTrafficTableIsSortedWorstFirstAndShowsEveryColumn(t *testing.T) {
	d, err := dashboards.Overview(indicators.SinglePlan(catalog(t)))
	if err != nil {
		t.Fatal(err)
	}
	var table *dashboard.Panel
	for _, p := range allPanels(d) {
		if p.Type == "table" {
			table = p
			break
		}
	}
	if table == nil {
		t.Fatal("no table on the overview")
	}
	b, _ := json.Marshal(table)
	s := string(b)
	want := []string{"编号", "指标", "类型", "牵头单位", "当前值", "目标值", "序时进度值", "差距", "单位", "完成进度", "状态", "最近报送"}
	if strings.Join(dashboards.TableColumns, ",") != strings.Join(want, ",") {
		t.Errorf("columns %v, want %v", dashboards.TableColumns, want)
	}
	if !strings.Contains(s, `"sortBy":[{"displayName":"状态","desc":true}]`) {
		t.Errorf("table is not sorted by status, worst first: %s", s)
	}
	if !strings.Contains(s, "group_left") || !strings.Contains(s, conventions.MetricInfo) {
		t.Error("table does not join the info metric for the Chinese names")
	}
	if !strings.Contains(s, `"task":{"text":"任务"`) || !strings.Contains(s, `"target":{"text":"指标"`) {
		t.Errorf("table does not show the kind as 指标 or 任务: %s", s)
	}
	if !strings.Contains(s, `"id":"custom.hidden","value":true`) {
		t.Errorf("the department id the 牵头单位 link needs is not hidden: %s", s)
	}
}

func TestOverviewCountsPublishedTargetsAndTaskFollowUpsApart(t *testing.T) {
	d, err := dashboards.Overview(indicators.SinglePlan(catalog(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range allPanels(d) {
		if p.Title == nil || *p.Title != "目标总数" {
			continue
		}
		b, _ := json.Marshal(p)
		s := string(b)
		for _, want := range []string{`kind!=\"task\"`, `kind=\"task\"`, `"legendFormat":"指标"`, `"legendFormat":"任务"`} {
			if !strings.Contains(s, want) {
				t.Errorf("目标总数 lacks %s: %s", want, s)
			}
		}
		return
	}
	t.Fatal("no 目标总数 stat on the overview")
}

func TestEveryLeadDepartmentHasARowOnTheOverview(t *testing.T) {
	cat := catalog(t)
	d, err := dashboards.Overview(indicators.SinglePlan(cat))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, p := range d.Panels {
		if p.RowPanel != nil && p.RowPanel.Title != nil {
			rows = append(rows, *p.RowPanel.Title)
		}
	}
	for _, id := range cat.LeadDepartments() {
		dept, _ := cat.Department(id)
		found := false
		for _, r := range rows {
			if strings.HasPrefix(r, dept.Name+"(") {
				found = true
			}
		}
		if !found {
			t.Errorf("no row for %s (%s) among %v", id, dept.Name, rows)
		}
	}
}

func TestStatusesMatchTheEvaluation(t *testing.T) {
	got := dashboards.Statuses()
	if len(got) != len(evaluateStatuses()) {
		t.Fatalf("dashboards know %v, evaluation has %v", got, evaluateStatuses())
	}
	for _, s := range evaluateStatuses() {
		if !contains(got, s) {
			t.Errorf("status %q of the evaluation has no colour on the dashboards", s)
		}
	}
}

func TestInfluxQLQueryIsStrict(t *testing.T) {
	cases := map[string]struct {
		raw     string
		wantErr bool
	}{
		"a raw InfluxQL query with refId passes": {`{"refId":"A","query":"SELECT * FROM \"report\"","rawQuery":true,"resultFormat":"table","datasource":{"type":"influxdb","uid":"u"}}`, false},
		"an unknown field is rejected":           {`{"refId":"A","query":"q","rawSql":"x","datasource":{"type":"influxdb"}}`, true},
		"an empty query is rejected":             {`{"refId":"A","query":"","datasource":{"type":"influxdb"}}`, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := cog.StrictUnmarshalDataquery([]byte(tc.raw), "")
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

func TestRevisionsPanelQueriesInfluxDBWithInfluxQL(t *testing.T) {
	d := decodeDashboard(t, generate(t)[dashboards.DirDashboards+"/indicator.json"])
	var qs []dashboards.InfluxQLQuery
	for _, p := range allPanels(d) {
		for _, q := range p.Targets {
			if f, ok := q.(dashboards.InfluxQLQuery); ok {
				qs = append(qs, f)
			}
		}
	}
	if len(qs) != 2 {
		t.Fatalf("want two InfluxQL queries (per-period values, revisions), got %d", len(qs))
	}
	formats := map[string]bool{}
	for _, q := range qs {
		if q.Datasource == nil || *q.Datasource.Uid != dashboards.InfluxDBUID {
			t.Errorf("InfluxQL query not on the InfluxDB datasource: %+v", q.Datasource)
		}
		if !q.RawQuery {
			t.Errorf("query is not raw InfluxQL: %+v", q)
		}
		formats[q.ResultFormat] = true
		for _, want := range []string{`FROM "` + dashboards.InfluxMeasurement + `"`, `"indicator" = '${indicator}'`, "time >= '", `"value" / ${scale}`} {
			if !strings.Contains(q.Query, want) {
				t.Errorf("InfluxQL query lacks %s:\n%s", want, q.Query)
			}
		}
	}
	if !formats["table"] || !formats["time_series"] {
		t.Errorf("want a table of revisions and a time series by period, got formats %v", formats)
	}
}

func TestEveryRuleGroupPassesStrictUnmarshalAndValidate(t *testing.T) {
	groups, err := dashboards.GrafanaRuleGroups()
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) == 0 {
		t.Fatal("no rule groups")
	}
	for _, g := range groups {
		t.Run(*g.Title, func(t *testing.T) {
			raw, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			var strict, back alerting.RuleGroup
			if err := sdkErr(strict.UnmarshalJSONStrict(raw)); err != nil {
				t.Fatalf("UnmarshalJSONStrict: %v\n%s", err, raw)
			}
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if err := back.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(back.Rules) != len(g.Rules) {
				t.Errorf("round trip lost rules: %d != %d", len(back.Rules), len(g.Rules))
			}
		})
	}
}

// TestRuleFileCarriesEveryAlertDefinition checks the mapping from the Go alert
// definitions through the SDK rules to the committed provisioning file.
func TestRuleFileCarriesEveryAlertDefinition(t *testing.T) {
	raw := generate(t)[dashboards.FileAlertRules]
	var f dashboards.RuleFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if f.APIVersion != 1 {
		t.Errorf("apiVersion = %d", f.APIVersion)
	}
	rules := map[string]dashboards.RuleFileRule{}
	groupOf := map[string]string{}
	uids := map[string]bool{}
	for _, g := range f.Groups {
		if g.OrgID != dashboards.OrgID || g.Folder != dashboards.FolderTitle || g.Interval != "1m" || g.Name == "" {
			t.Errorf("group envelope %+v", g)
		}
		for _, r := range g.Rules {
			rules[r.Title] = r
			groupOf[r.Title] = g.Name
			if uids[r.UID] || len(r.UID) > 40 || r.UID == "" {
				t.Errorf("rule %s: bad or duplicate uid %q", r.Title, r.UID)
			}
			uids[r.UID] = true
		}
	}
	defs := alerts.Alerts()
	if len(rules) != len(defs) {
		t.Errorf("%d Grafana rules for %d alert definitions", len(rules), len(defs))
	}
	for _, a := range defs {
		t.Run(a.Name, func(t *testing.T) {
			r, ok := rules[a.Name]
			if !ok {
				t.Fatalf("no Grafana rule")
			}
			if groupOf[a.Name] != a.Group {
				t.Errorf("group %s, want %s", groupOf[a.Name], a.Group)
			}
			if r.Labels[conventions.LabelSeverity] != string(a.Severity) {
				t.Errorf("severity %q, want %q", r.Labels[conventions.LabelSeverity], a.Severity)
			}
			if r.For == "" || (a.For > 0 && r.For == "0s") {
				t.Errorf("for = %q, want %s", r.For, a.For)
			}
			if r.Condition != "ALERT" {
				t.Errorf("condition = %s", r.Condition)
			}
			byRef := map[string]dashboards.RuleFileQuery{}
			for _, q := range r.Data {
				byRef[q.RefID] = q
			}
			if !strings.Contains(byRef["A"].Model["expr"].(string), a.Expr) {
				t.Errorf("query A %q does not evaluate the alert's expression %q", byRef["A"].Model["expr"], a.Expr)
			}
			if byRef["A"].DatasourceUID != dashboards.PrometheusUID {
				t.Errorf("query A on %s", byRef["A"].DatasourceUID)
			}
			for _, key := range []string{"summary", "description"} {
				text := r.Annotations[key]
				if !hasHan(text) {
					t.Errorf("%s %q is not Chinese", key, text)
				}
				for _, ref := range placeholders(a, key) {
					if _, ok := byRef[strings.ToUpper(ref)]; !ok {
						t.Errorf("%s uses {=%s} but the rule has no query %s", key, ref, strings.ToUpper(ref))
					}
				}
				if strings.Contains(strings.ReplaceAll(text, "{{", ""), "{") {
					t.Errorf("%s keeps an unexpanded placeholder: %s", key, text)
				}
			}
		})
	}
}

func placeholders(a alerts.Alert, key string) []string {
	tmpl := a.Summary
	if key == "description" {
		tmpl = a.Description
	}
	var out []string
	alerts.Expand(tmpl, func(p alerts.Placeholder) string {
		if p.Value && p.Name != "" {
			out = append(out, p.Name)
		}
		return ""
	})
	return out
}

func TestContactPointsAndPolicyRouteEveryDepartment(t *testing.T) {
	cat := catalog(t)
	cps := dashboards.ContactPoints(indicators.SinglePlan(cat))
	names := map[string]bool{}
	for _, cp := range cps {
		raw, _ := json.Marshal(cp)
		var back alerting.ContactPoint
		if err := sdkErr(back.UnmarshalJSONStrict(raw)); err != nil {
			t.Fatalf("contact point %s: UnmarshalJSONStrict: %v", *cp.Name, err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("contact point %s: Validate: %v", *cp.Name, err)
		}
		names[*cp.Name] = true
	}
	policy := dashboards.NotificationPolicy(indicators.SinglePlan(cat))
	raw, _ := json.Marshal(policy)
	var strict, back alerting.NotificationPolicy
	if err := sdkErr(strict.UnmarshalJSONStrict(raw)); err != nil {
		t.Fatalf("policy: UnmarshalJSONStrict: %v", err)
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("policy: Validate: %v", err)
	}
	if !names[*policy.Receiver] {
		t.Errorf("default receiver %s is not a contact point", *policy.Receiver)
	}
	routed := map[string]string{}
	for _, r := range policy.Routes {
		if !names[*r.Receiver] {
			t.Errorf("route to %s, which is not a contact point", *r.Receiver)
		}
		if r.ObjectMatchers == nil {
			continue // the catch-all to the office
		}
		for _, m := range *r.ObjectMatchers {
			if m[0] == conventions.LabelDepartment && m[1] == "=" {
				routed[m[2]] = *r.Receiver
				if len(r.ActiveTimeIntervals) == 0 {
					t.Errorf("department %s is notified at any hour", m[2])
				}
			}
		}
	}
	for _, id := range cat.LeadDepartments() {
		if routed[id] == "" {
			t.Errorf("department %s has no route", id)
		}
	}
	// The file keeps the envelope and the policy fields.
	var pf struct {
		APIVersion int              `yaml:"apiVersion"`
		Policies   []map[string]any `yaml:"policies"`
	}
	if err := yaml.Unmarshal(generate(t)[dashboards.FilePolicies], &pf); err != nil {
		t.Fatal(err)
	}
	if pf.APIVersion != 1 || len(pf.Policies) != 1 || pf.Policies[0]["orgId"] != 1 || pf.Policies[0]["receiver"] != *policy.Receiver {
		t.Errorf("policy file envelope: %+v", pf)
	}
	if routes, _ := pf.Policies[0]["routes"].([]any); len(routes) != len(policy.Routes) {
		t.Errorf("policy file has %d routes, want %d", len(routes), len(policy.Routes))
	}
}

// sdkErr works around the SDK v0.0.22 alerting types returning a typed nil
// cog.BuildErrors from UnmarshalJSONStrict: an empty list of errors is no error.
func sdkErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// decodeDashboard checks raw with the SDK's strict unmarshalling, then decodes it (the
// strict decoder of v0.0.22 reports errors but leaves panels empty, as its typed nil
// errors abort PanelOrRowPanel) and validates the decoded dashboard.
func decodeDashboard(t *testing.T, raw []byte) dashboard.Dashboard {
	t.Helper()
	var strict, d dashboard.Dashboard
	if err := sdkErr(strict.UnmarshalJSONStrict(raw)); err != nil {
		t.Fatalf("UnmarshalJSONStrict: %v", err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(d.Panels) == 0 {
		t.Fatal("no panels")
	}
	return d
}

func allPanels(d dashboard.Dashboard) []*dashboard.Panel {
	var out []*dashboard.Panel
	for _, p := range d.Panels {
		if p.Panel != nil {
			out = append(out, p.Panel)
		}
		if p.RowPanel != nil {
			for i := range p.RowPanel.Panels {
				out = append(out, &p.RowPanel.Panels[i])
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
