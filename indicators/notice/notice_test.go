package notice_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/notice"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// oneItem parses a notice with one department section holding one item.
func oneItem(t *testing.T, text string) (indicators.Task, []notice.Warning) {
	t.Helper()
	in := "2026年重点目标任务清单\n一、市发改委牵头工作(1项)\n1." + text + "\n"
	c, warns := notice.Parse(in, notice.Options{})
	if len(c.Tasks) != 1 {
		t.Fatalf("tasks = %d, want 1 (warnings %v)", len(c.Tasks), warns)
	}
	return c.Tasks[0], warns
}

// brief is a target in one line: measure comparator value unit due [stage] [metric].
func brief(g indicators.Target) string {
	s := fmt.Sprintf("%s %s %v %s %s", g.Measure, g.Comparator, g.Value, g.Unit, g.Due)
	if g.Measure == indicators.Milestone {
		s = fmt.Sprintf("milestone %s %s", g.Stage, g.Due)
	}
	return s
}

func TestTargetWordings(t *testing.T) {
	cases := map[string]struct {
		text    string
		want    []string // brief of each target
		metrics []string // metric names, when checked
	}{
		"以上 is ge and 万 scales to people":                  {text: "新增城镇就业4.3万人以上。", want: []string{"cumulative ge 43000 人 2026-12-31"}, metrics: []string{"新增城镇就业"}},
		"亿元 scales to yuan":                                {text: "全年新增贷款400亿元以上。", want: []string{"cumulative ge 4e+10 元 2026-12-31"}},
		"a decimal with 万 is exact":                        {text: "治理采煤沉陷区1.12万亩。", want: []string{"cumulative ge 11200 亩 2026-12-31"}},
		"亿斤 keeps the jin":                                 {text: "确保粮食产量达到25.5亿斤以上。", want: []string{"cumulative ge 2.55e+09 斤 2026-12-31"}, metrics: []string{"粮食产量"}},
		"不低于 is ge":                                        {text: "森林覆盖率不低于45%。", want: []string{"level ge 45 % 2026-12-31"}},
		"控制在…以下 is le":                                     {text: "力争PM2.5浓度控制在30微克以下。", want: []string{"level le 30 微克/立方米 2026-12-31"}, metrics: []string{"PM2.5浓度"}},
		"左右 is approx":                                     {text: "地区生产总值增长6%左右。", want: []string{"growth_rate approx 6 % 2026-12-31"}, metrics: []string{"地区生产总值增速"}},
		"a plain figure is at least it":                    {text: "新增技能人才1.2万人。", want: []string{"cumulative ge 12000 人 2026-12-31"}},
		"不超过 is le":                                        {text: "城镇调查失业率不超过5.5%。", want: []string{"level le 5.5 % 2026-12-31"}},
		"以内 is le":                                         {text: "城镇登记失业率控制在4.5%以内。", want: []string{"level le 4.5 % 2026-12-31"}},
		"下降X% is a growth rate of -X at most":              {text: "单位地区生产总值能耗下降3%。", want: []string{"growth_rate le -3 % 2026-12-31"}},
		"由X提高到Y targets at least Y":                        {text: "城镇化率由61.2%提高到62.5%。", want: []string{"level ge 62.5 % 2026-12-31"}, metrics: []string{"城镇化率"}},
		"余 is ge":                                          {text: "实施东山文旅产业走廊等100余个文旅项目。", want: []string{"cumulative ge 100 个 2026-12-31"}},
		"a range 1至2 is ge its low end":                    {text: "培育1至2个核心商圈。", want: []string{"cumulative ge 1 个 2026-12-31"}},
		"several targets in one item":                      {text: "全年招商引资签约项目达到1000个,签约金额2000亿元以上,签约项目当年开工率达到80%以上。", want: []string{"cumulative ge 1000 个 2026-12-31", "cumulative ge 2e+11 元 2026-12-31", "level ge 80 % 2026-12-31"}},
		"a list after one verb gives one each":             {text: "改造新建4处便民市场、15个停车场、8座城市驿站。", want: []string{"cumulative ge 4 处 2026-12-31", "cumulative ge 15 个 2026-12-31", "cumulative ge 8 座 2026-12-31"}, metrics: []string{"改造新建便民市场", "改造新建停车场", "改造新建城市驿站"}},
		"均 shared by two indicators gives two":             {text: "力争进出口总额、实际利用外资均增长20%以上。", want: []string{"growth_rate ge 20 % 2026-12-31", "growth_rate ge 20 % 2026-12-31"}, metrics: []string{"进出口总额增速", "实际利用外资增速"}},
		"均 with 增速 names both":                             {text: "开发区工业投资、规模以上工业增加值增速均达到10%以上。", want: []string{"growth_rate ge 10 % 2026-12-31", "growth_rate ge 10 % 2026-12-31"}, metrics: []string{"开发区工业投资增速", "规模以上工业增加值增速"}},
		"均 lends the head noun":                            {text: "产业链、专业镇营收均增长12%以上。", metrics: []string{"产业链营收增速", "专业镇营收增速"}, want: []string{"growth_rate ge 12 % 2026-12-31", "growth_rate ge 12 % 2026-12-31"}},
		"全覆盖 is 100 percent":                               {text: "实现学校“互联网+明厨亮灶”全覆盖。", want: []string{"level eq 100 % 2026-12-31"}, metrics: []string{"学校“互联网+明厨亮灶”覆盖率"}},
		"全接入 is 100 percent":                               {text: "推动规上工业企业全接入。", want: []string{"level eq 100 % 2026-12-31"}, metrics: []string{"规上工业企业接入率"}},
		"全部开工 is 100 percent by its date":                  {text: "上半年新建项目全部开工。", want: []string{"level eq 100 % 2026-06-30"}, metrics: []string{"新建项目开工率"}},
		"动态清零 is zero":                                     {text: "保持零就业家庭动态清零。", want: []string{"level eq 0 户 2026-12-31"}},
		"一季度 is due Mar 31 and a bare rate is at least it": {text: "确保一季度续建项目复工率100%、新建项目开工率40%。", want: []string{"level ge 100 % 2026-03-31", "level ge 40 % 2026-03-31"}},
		"two counted things joined by 和 under one verb are named by their nouns": {text: "立项建设12所市级示范学校和30个市级特色专业。", want: []string{"cumulative ge 12 所 2026-12-31", "cumulative ge 30 个 2026-12-31"}, metrics: []string{"立项建设市级示范学校", "立项建设市级特色专业"}},
		"a verb with an adverb before the figure lends the counted noun":         {text: "大幅改善6所乡村学校办学条件。", want: []string{"cumulative ge 6 所 2026-12-31"}, metrics: []string{"大幅改善乡村学校办学条件"}},
		"a count that names a policy to carry out is no target":                  {text: "落实好稳外贸20条措施。", want: nil},
		"从X、Y分别提高到A、B gives one target per subject":                              {text: "将城镇、农村特困人员补助从每人每月500元、300元分别提高到每人每月550元、330元。", want: []string{"cumulative ge 550 元 2026-12-31", "cumulative ge 330 元 2026-12-31"}, metrics: []string{"城镇特困人员补助每人每月", "农村特困人员补助每人每月"}},
		"从X提高到Y is 由X提高到Y":                                                       {text: "高龄津贴从每人每月100元提高到120元。", want: []string{"cumulative ge 120 元 2026-12-31"}},
		"a bare 产值 is the amount of what the clause before speaks of":            {text: "发展生物医药产业,产值突破50亿元。", want: []string{"cumulative ge 5e+09 元 2026-12-31"}, metrics: []string{"生物医药产业产值"}},
		"10月底前 is due Oct 31":                                                    {text: "10月底前完成12家企业深度治理。", want: []string{"cumulative ge 12 家 2026-10-31"}},
		"年底前 is due Dec 31":                                                      {text: "吴家庄水库年底前开工。", want: []string{"milestone started 2026-12-31"}},
		"上半年开工 is a milestone due Jun 30":                                        {text: "沁源新交口地方铁路、武乡通用机场等项目上半年开工。", want: []string{"milestone started 2026-06-30"}, metrics: []string{"沁源新交口地方铁路、武乡通用机场等项目开工"}},
		"竣工 and 开工 in two clauses are two stages":                                {text: "推动后湾水库供水、倪庄水库工程年内完工,上党大型灌区开工建设。", want: []string{"milestone completed 2026-12-31", "milestone started 2026-12-31"}},
		"建成投运 is completed":                                                      {text: "力争观音堂公共文化创新体验基地建成投运。", want: []string{"milestone completed 2026-12-31"}},
		"启动 is started":                                                          {text: "启动大物业平台项目。", want: []string{"milestone started 2026-12-31"}},
		"a negated 开工 is no milestone":                                           {text: "不能按合同约定开工的新能源项目依法依规收回指标。"},
		"大头落地 is a front-loaded profile":                                         {text: "年度投资10月底前大头落地。", want: []string{"cumulative ge 100 % 2026-12-31"}},
		"a size threshold is no target":                                          {text: "全力抓好135个投资10亿元以上的重大项目开工建设。", want: []string{"cumulative ge 135 个 2026-12-31"}},
		"a capacity in a name list is no target":                                 {text: "加快推动4万吨动力储能电池负极材料等650个产业项目年内竣工投产。", want: []string{"cumulative ge 650 个 2026-12-31"}, metrics: []string{"产业项目竣工投产"}},
		"the 等 of 等级 closes no list":                                             {text: "改造提升高等级公路25公里。", want: []string{"cumulative ge 25 公里 2026-12-31"}, metrics: []string{"改造提升高等级公路"}},
		"the words after 等 name what is counted":                                 {text: "完成桥梁加固等养护工程30公里。", want: []string{"cumulative ge 30 公里 2026-12-31"}, metrics: []string{"完成养护工程"}},
		"people helped after 支持 are a target":                                    {text: "支持返乡创业1500人。", want: []string{"cumulative ge 1500 人 2026-12-31"}, metrics: []string{"返乡创业"}},
		"为N名X提供 names the people and what they get":                              {text: "为全县8000名困难群众提供免费体检。", want: []string{"cumulative ge 8000 名 2026-12-31"}, metrics: []string{"困难群众提供免费体检"}},
		"a process verb with a stage names the thing":                            {text: "推动星河电子12条生产线投产。", want: []string{"cumulative ge 12 条 2026-12-31"}, metrics: []string{"星河电子生产线投产"}},
		"清零 of a quoted household word counts households":                        {text: "实现城乡“零就业家庭”动态清零。", want: []string{"level eq 0 户 2026-12-31"}},
		"例 and 穴 are units":                                                      {text: "开展两癌筛查2万例,新增公益性墓穴3000穴。", want: []string{"cumulative ge 20000 例 2026-12-31", "cumulative ge 3000 穴 2026-12-31"}},
		"a growth after a figure is the figure's indicator's":                    {text: "工业投资50亿元,增长9%。", want: []string{"cumulative ge 5e+09 元 2026-12-31", "growth_rate ge 9 % 2026-12-31"}, metrics: []string{"工业投资", "工业投资增速"}},
		"names listed before the first figure share it":                          {text: "新建公办中小学、幼儿园5所。", want: []string{"cumulative ge 5 所 2026-12-31"}, metrics: []string{"新建公办中小学、幼儿园"}},
		"a verb with a qualifier names what is counted after the figure":         {text: "完成城南学校一期3座教学楼建设。", want: []string{"cumulative ge 3 座 2026-12-31"}, metrics: []string{"完成城南学校一期教学楼建设"}},
		"a short verb before the figure keeps what is counted after it":          {text: "优化提升30条背街小巷。", want: []string{"cumulative ge 30 条 2026-12-31"}, metrics: []string{"优化提升背街小巷"}},
		"给予X N% Y names what is given":                                           {text: "给予小微企业10%以上价格扣除。", want: []string{"level ge 10 % 2026-12-31"}, metrics: []string{"价格扣除"}},
		"一主五辅十营地 is a name":                                                      {text: "完善“一主五辅十营地多节点”通航基础设施。"},
		"5A is a grade":                                                          {text: "推动黄崖洞创建国家5A级景区。"},
		"309国道 is a road":                                                        {text: "推动309国道改扩建上半年开工。", want: []string{"milestone started 2026-06-30"}},
		"十七届 is an ordinal":                                                      {text: "承办好十七届省运会。"},
		"三年行动 is a name":                                                         {text: "深化治本攻坚三年行动。"},
		"六个能力 is a name":                                                         {text: "提升森林草原防灭火“六个能力”。"},
		"再延长30年 is a term":                                                       {text: "稳步推进二轮承包到期后再延长30年试点。"},
		"2×66万千瓦 is a unit spec":                                                 {text: "推动赵庄2×66万千瓦发电机组复工。", want: []string{"milestone started 2026-12-31"}},
		"counts only pushed along are no target":                                 {text: "重点推进金鼎生物法制甲烷、祥源石墨烯材料等44个项目,有序推动潞城、襄垣、潞州3个化工园区协同发展。"},
		"PM2.5 in a name is no figure":                                           {text: "细颗粒物(PM2.5)平均浓度控制在35微克/立方米以内。", want: []string{"level le 35 微克/立方米 2026-12-31"}},
		"再增加 is an increment":                                                    {text: "市级研发经费投入再增加2000万元。", want: []string{"cumulative ge 2e+07 元 2026-12-31"}, metrics: []string{"市级研发经费投入增加额"}},
		"growth is quarterly for GDP":                                            {text: "地区生产总值增长6%左右。", want: []string{"growth_rate approx 6 % 2026-12-31"}},
		// 达到/提高到/a bare figure on levels and rates is at least the figure
		"达到X on a level is at least X":               {text: "蔬菜种植面积达到46万亩。", want: []string{"level ge 460000 亩 2026-12-31"}},
		"达到X on a rate is at least X":                {text: "力争国省控断面水质优良率达到100%。", want: []string{"level ge 100 % 2026-12-31"}},
		"提高到X is at least X":                         {text: "城镇化率提高到62.5%。", want: []string{"level ge 62.5 % 2026-12-31"}},
		"a bare rate is at least it":                 {text: "新建项目开工率40%。", want: []string{"level ge 40 % 2026-12-31"}},
		"a bare growth is at least it":               {text: "规模以上工业增加值增长8%。", want: []string{"growth_rate ge 8 % 2026-12-31"}},
		"达到X on an amount is at least X":             {text: "全年技术合同成交额达到11亿元。", want: []string{"cumulative ge 1.1e+09 元 2026-12-31"}},
		"稳定在X左右 on output is a floor with tolerance": {text: "全市原煤产量稳定在1.7亿吨左右。", want: []string{"cumulative approx 1.7e+08 吨 2026-12-31"}},
		"控制在X%左右 is a cap":                           {text: "居民消费价格涨幅控制在2%左右。", want: []string{"growth_rate le 2 % 2026-12-31"}},
		"下降X%左右 is a fall of about X at least":       {text: "单位地区生产总值能耗下降3%左右。", want: []string{"growth_rate le -3 % 2026-12-31"}},
		"下降到X is at most X":                          {text: "农药使用量下降到800吨。", want: []string{"cumulative le 800 吨 2026-12-31"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			task, _ := oneItem(t, tc.text)
			var got, metrics []string
			for _, g := range task.Targets {
				got = append(got, brief(g))
				metrics = append(metrics, g.Metric)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("targets of %q:\n got %q\nwant %q", tc.text, got, tc.want)
			}
			if tc.metrics != nil && !reflect.DeepEqual(metrics, tc.metrics) {
				t.Errorf("metrics of %q = %q, want %q", tc.text, metrics, tc.metrics)
			}
		})
	}
}

func TestTargetDetails(t *testing.T) {
	t.Run("approx in percent has half a point of tolerance and GDP is quarterly", func(t *testing.T) {
		task, _ := oneItem(t, "地区生产总值增长6%左右。")
		g := task.Targets[0]
		if g.Tolerance != 0.5 || g.Cadence != indicators.Quarterly || g.ID != "1.1" {
			t.Fatalf("got %+v", g)
		}
	})
	t.Run("approx in other units has five percent of tolerance", func(t *testing.T) {
		task, _ := oneItem(t, "全市原煤产量稳定在1.7亿吨左右。")
		g := task.Targets[0]
		if g.Value != 1.7e8 || g.Tolerance != 8.5e6 || g.DisplayUnit != "亿吨" || g.DisplayScale != 1e8 {
			t.Fatalf("got %+v", g)
		}
	})
	t.Run("控制在X%左右 is a cap with half a point of tolerance", func(t *testing.T) {
		task, _ := oneItem(t, "居民消费价格涨幅控制在2%左右。")
		g := task.Targets[0]
		if g.Comparator != indicators.LE || g.Value != 2 || g.Tolerance != 0.5 {
			t.Fatalf("got %+v", g)
		}
	})
	t.Run("下降X%左右 is a cap on the negative growth with a tolerance", func(t *testing.T) {
		task, _ := oneItem(t, "单位地区生产总值能耗下降3%左右。")
		g := task.Targets[0]
		if g.Comparator != indicators.LE || g.Value != -3 || g.Tolerance != 0.5 {
			t.Fatalf("got %+v", g)
		}
	})
	t.Run("a bare figure has no tolerance", func(t *testing.T) {
		task, _ := oneItem(t, "蔬菜种植面积达到46万亩。")
		if g := task.Targets[0]; g.Tolerance != 0 || g.Comparator != indicators.GE {
			t.Fatalf("got %+v", g)
		}
	})
	t.Run("由X提高到Y keeps X as the baseline", func(t *testing.T) {
		task, _ := oneItem(t, "农村自来水普及率由92%提高到95%以上。")
		g := task.Targets[0]
		if g.Baseline == nil || *g.Baseline != 92 || g.Value != 95 || g.Comparator != indicators.GE {
			t.Fatalf("got %+v", g)
		}
	})
	t.Run("大头落地 has 80 percent by the named month", func(t *testing.T) {
		task, _ := oneItem(t, "年度投资10月底前大头落地。")
		tr := task.Targets[0].Trajectory
		if tr == nil || tr.Kind != "profile" || len(tr.Monthly) != 12 || tr.Monthly[9] != 0.8 || tr.Monthly[11] != 1 {
			t.Fatalf("got %+v", tr)
		}
		for i := 1; i < 12; i++ {
			if tr.Monthly[i] < tr.Monthly[i-1] {
				t.Fatalf("profile falls in month %d: %v", i+1, tr.Monthly)
			}
		}
	})
	t.Run("relative targets point at the GDP growth target", func(t *testing.T) {
		c, _ := notice.Parse("2026年清单\n一、市发改委牵头工作(2项)\n1.城镇居民收入增长与经济增长同步。\n2.地区生产总值增长6%左右。\n3.农村居民人均可支配收入增速高于经济增长水平。", notice.Options{})
		for id, want := range map[string]indicators.Relative{
			"1.1": {Indicator: "2.1", Comparator: indicators.GE, Text: "与经济增长同步"},
			"3.1": {Indicator: "2.1", Comparator: indicators.GT, Text: "高于经济增长水平"}, // strictly above
		} {
			e, ok := c.Lookup(id)
			if !ok || e.Target.Relative == nil || *e.Target.Relative != want || e.Target.Measure != indicators.GrowthRate || e.Target.Value != 6 {
				t.Fatalf("%s = %+v (relative %+v), want %+v", id, e.Target, e.Target.Relative, want)
			}
		}
	})
	t.Run("a relative target without a GDP target is a warning", func(t *testing.T) {
		_, warns := notice.Parse("2026年清单\n一、市人社局牵头工作(1项)\n1.城镇居民收入增长与经济增长同步。", notice.Options{})
		if !hasWarning(warns, "no GDP growth target") {
			t.Fatalf("warnings = %v", warns)
		}
	})
}

func hasWarning(ws []notice.Warning, frag string) bool {
	for _, w := range ws {
		if strings.Contains(w.Msg, frag) {
			return true
		}
	}
	return false
}

func TestLeadsAndCooperatingUnits(t *testing.T) {
	cases := map[string]struct {
		in         string
		lead       string
		coop       []string
		departName map[string]string
	}{
		"a department section names the lead": {
			in: "一、市发改委牵头工作(1项)\n1.推进儿童友好型城市建设。(配合单位:市住建局、市城管局、市妇联)", lead: "fgw", coop: []string{"zjj", "cgj", "fl"},
		},
		"a section worded in full is the same department as its short name": {
			in: "(一)市发展和改革委员会牵头(1项)\n(1)推进价格改革。(配合单位:市规自局)\n(二)市规划和自然资源局牵头(1项)\n(2)编制规划。", lead: "fgw", coop: []string{"gzj"},
			departName: map[string]string{"fgw": "市发展和改革委员会", "gzj": "市规划和自然资源局"},
		},
		"an item naming another lead keeps the section lead and cooperates with it": {
			in: "一、市应急局牵头工作(1项)\n1.深化治本攻坚三年行动。(市安委办牵头,相关成员单位配合)", lead: "yjj", coop: []string{"awb"},
		},
		"a topic section takes the lead from the end of the item": {
			in: "一、扩大有效投资\n1.新增规上工业企业50家。(市经信局牵头落实)", lead: "jxj",
		},
		"牵头单位 and 配合单位 after the item": {
			in: "一、提振消费\n1、社会消费品零售总额增长5%以上。牵头单位:市商务局;配合单位:各县区政府", lead: "swj", coop: []string{"gxqzf"},
		},
		"two leads: the first leads, the second cooperates": {
			in: "一、城市建设\n1.改造提升老旧小区36个。(市住建局、市城管局牵头)", lead: "zjj", coop: []string{"cgj"},
		},
		"a flat item with 责任单位": {
			in: "1.新增学位1200个。牵头单位:县教育局;责任单位:各乡镇人民政府", lead: "jyj", coop: []string{"gxzzf"},
		},
		"a table row": {
			in: "序号|工作任务|牵头单位|配合单位|完成时限\n1|建成5G基站1500个|市工业和信息化局|各县区政府|2026年12月底前", lead: "gxj", coop: []string{"gxqzf"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, warns := notice.Parse("2026年清单\n"+tc.in, notice.Options{})
			if len(c.Tasks) == 0 {
				t.Fatalf("no task; warnings %v", warns)
			}
			task := c.Tasks[0]
			if task.Lead != tc.lead || !reflect.DeepEqual(task.Cooperating, tc.coop) {
				t.Fatalf("lead %q cooperating %q; want %q %q (departments %v)", task.Lead, task.Cooperating, tc.lead, tc.coop, c.Departments)
			}
			for id, name := range tc.departName {
				if d, ok := c.Department(id); !ok || d.Name != name {
					t.Errorf("department %s = %v, want %s", id, d, name)
				}
			}
		})
	}
}

func TestDepartmentIDs(t *testing.T) {
	t.Run("ids are pinyin initials without the leading 市", func(t *testing.T) {
		c, _ := notice.Parse("2026年清单\n一、市人社局牵头工作(1项)\n1.甲。\n二、人民银行长治分行牵头工作(1项)\n2.乙。\n三、市太行文旅集团牵头工作(1项)\n3.丙。", notice.Options{})
		want := []string{"rsj", "rmyhczfh", "thwljt"}
		for i, d := range c.Departments {
			if d.ID != want[i] {
				t.Errorf("%s = %s, want %s", d.Name, d.ID, want[i])
			}
		}
	})
	t.Run("long official names and their short forms are one department", func(t *testing.T) {
		in := "2026年清单\n一、市卫生健康委员会牵头工作(1项)\n1.甲。(配合单位:市卫健委、市人力资源社会保障局、市人社局、各县(市、区)政府)"
		c, _ := notice.Parse(in, notice.Options{})
		if len(c.Departments) != 3 || c.Departments[0].ID != "wjw" || c.Departments[1].ID != "rsj" || c.Departments[2].ID != "gxsqzf" {
			t.Fatalf("departments = %v", c.Departments)
		}
		if c.Departments[0].Name != "市卫生健康委员会" || !reflect.DeepEqual(c.Tasks[0].Cooperating, []string{"rsj", "gxsqzf"}) {
			t.Fatalf("departments = %v, task = %+v", c.Departments, c.Tasks[0])
		}
	})
	t.Run("colliding initials use the full first syllable", func(t *testing.T) {
		in := "2026年清单\n一、市农业局牵头工作(1项)\n1.甲。\n二、市能源局牵头工作(1项)\n2.乙。"
		c, _ := notice.Parse(in, notice.Options{})
		if c.Departments[0].ID != "nongyj" || c.Departments[1].ID != "nengyj" {
			t.Fatalf("departments = %v", c.Departments)
		}
		again, _ := notice.Parse(in, notice.Options{})
		if !reflect.DeepEqual(c.Departments, again.Departments) {
			t.Fatal("ids differ between two imports")
		}
	})
}

func TestWarningsNameTheLine(t *testing.T) {
	b, err := os.ReadFile("../testdata/notices/odd.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, warns := notice.Parse(string(b), notice.Options{})
	want := map[string]int{
		"ignored: not a task":               3,
		"task number 3 follows 1":           4,
		"task number 3 repeats":             5,
		"task 4 has no lead":                7,
		"has no known unit":                 7,
		"no plan year":                      0,
		"section declares 2 items, found 3": 1,
	}
	for frag, line := range want {
		found := false
		for _, w := range warns {
			if strings.Contains(w.Msg, frag) && w.Line == line {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning %q at line %d in %v", frag, line, warns)
		}
	}
}

// TestLayouts is the golden test of each sample layout (text and web pages): the
// catalog and the warnings.
func TestLayouts(t *testing.T) {
	files, err := filepath.Glob("../testdata/notices/*.*")
	if err != nil || len(files) < 5 {
		t.Fatalf("samples: %v %v", files, err)
	}
	for _, f := range files {
		ext := filepath.Ext(f)
		if ext != ".txt" && ext != ".html" {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := document.Read(f, b, document.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			c, warns := notice.ParseDocument(doc, notice.Options{Year: 2026})
			checkGolden(t, strings.TrimSuffix(f, ext)+".golden.yaml", c, warns)
		})
	}
}

// checkGolden compares the warnings and the catalog with a golden file (-update writes it).
func checkGolden(t *testing.T, golden string, c *indicators.Catalog, warns []notice.Warning) {
	t.Helper()
	var got bytes.Buffer
	for _, w := range warns {
		fmt.Fprintf(&got, "# warning: %s\n", w)
	}
	if err := c.WriteYAML(&got); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("the catalog differs from %s; run go test -update and review the diff", golden)
	}
}

func TestDeclaredCountsAreChecked(t *testing.T) {
	in := "2026年重点目标任务清单\n《清单》共计3项具体任务,涉及2个牵头部门。\n一、市发改委牵头工作(2项)\n1.甲。\n2.乙。\n"
	_, warns := notice.Parse(in, notice.Options{})
	for _, frag := range []string{"declares 3 tasks, found 2", "declares 2 lead departments, found 1"} {
		found := false
		for _, w := range warns {
			if strings.Contains(w.Msg, frag) && w.Line == 2 {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning %q at line 2 in %v", frag, warns)
		}
	}
}

func TestWrappedItemsAreJoined(t *testing.T) {
	in := "2026年重点目标任务清单\n一、市人社局牵头工作(2项)\n1.新增城镇就业\n4.3万人以上,城镇调查失业率控制在5.5%\n以内。\n2.新增技能人才1.2万人。\n"
	c, warns := notice.Parse(in, notice.Options{})
	if len(warns) != 0 || len(c.Tasks) != 2 {
		t.Fatalf("tasks %d, warnings %v", len(c.Tasks), warns)
	}
	var got []string
	for _, g := range c.Tasks[0].Targets {
		got = append(got, brief(g))
	}
	want := []string{"cumulative ge 43000 人 2026-12-31", "level le 5.5 % 2026-12-31"}
	if !reflect.DeepEqual(got, want) || c.Tasks[0].Text != "新增城镇就业4.3万人以上,城镇调查失业率控制在5.5%以内。" {
		t.Fatalf("task 1 = %q %q", c.Tasks[0].Text, got)
	}
}

func TestAFlatItemKeepsItsLeadWhenTheNextLineIsJunk(t *testing.T) {
	in := "1.新增学位1200个。牵头单位:县教育局\n扫一扫在手机打开当前页\n"
	c, warns := notice.Parse(in, notice.Options{Year: 2026})
	if len(c.Tasks) != 1 || c.Tasks[0].Lead != "jyj" {
		t.Fatalf("tasks = %+v", c.Tasks)
	}
	if !hasWarning(warns, "ignored: not a task") {
		t.Fatalf("the junk line should be reported: %v", warns)
	}
}
