package notice_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/notice"
)

// taskLines summarizes tasks as "N lead ← cooperating、…" with department names.
func taskLines(c *indicators.Catalog) []string {
	name := func(id string) string {
		if d, ok := c.Department(id); ok {
			return d.Name
		}
		return "?" + id // no department: a task without a lead
	}
	var out []string
	for _, t := range c.Tasks {
		s := fmt.Sprintf("%d %s", t.Num, name(t.Lead))
		var co []string
		for _, id := range t.Cooperating {
			co = append(co, name(id))
		}
		if len(co) > 0 {
			s += " ← " + strings.Join(co, "、")
		}
		out = append(out, s)
	}
	return out
}

// targetLines summarizes targets as "id metric measure value unit due" (comparators are
// the figure rules' business, tested in notice_test.go).
func targetLines(c *indicators.Catalog) []string {
	var out []string
	for _, t := range c.Tasks {
		for _, g := range t.Targets {
			out = append(out, fmt.Sprintf("%s %s %s %v%s %s", g.ID, g.Metric, g.Measure, g.Value, g.Unit, g.Due))
		}
	}
	return out
}

// TestTextLayouts has one case per layout of the notices of other places: the tasks with
// their leads, and where the layout bears on them, the targets.
func TestTextLayouts(t *testing.T) {
	cases := map[string]struct {
		text     string
		tasks    []string
		targets  []string // checked when set
		title    string   // checked when set
		texts    []string // the tasks' texts, checked when set
		noWarn   bool     // no warning at all
		warnings []string // fragments of expected warnings
	}{
		"items numbered 一、 when the list has no finer numbering": {
			text:  "河清县2025年民生实事项目清单\n一、新建公办幼儿园3所。(牵头单位:县教育局)\n二、新增城市停车泊位1500个。(牵头单位:县住建局)\n三、改造农村户厕2000户。(牵头单位:县农业农村局)",
			tasks: []string{"1 县教育局", "2 县住建局", "3 县农业农村局"},
		},
		"items numbered (一) under 一、 headings": {
			text:  "2025年重点任务清单\n一、教育\n(一)新建公办幼儿园3所。(牵头单位:县教育局)\n(二)新增学位900个。(牵头单位:县教育局)\n二、交通\n(三)新改建农村公路120公里。(牵头单位:县交通运输局)",
			tasks: []string{"1 县教育局", "2 县教育局", "3 县交通运输局"},
		},
		"numbering restarting in each section runs on through the list": {
			text:  "2025年重点任务分工方案\n一、主要预期目标\n1.地区生产总值增长6%左右。(牵头单位:县发改局)\n2.固定资产投资增长8%。(牵头单位:县发改局)\n二、重点任务\n1.新增城镇就业2800人。(牵头单位:县人社局)\n2.新增学位900个。(牵头单位:县教育局)",
			tasks: []string{"1 县发改局", "2 县发改局", "3 县人社局", "4 县教育局"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 固定资产投资增速 growth_rate 8% 2025-12-31",
				"3.1 新增城镇就业 cumulative 2800人 2025-12-31", "4.1 新增学位 cumulative 900个 2025-12-31"},
			noWarn: true,
		},
		"a page run together on one line is cut before each number that goes on the numbering": {
			text:  "各乡镇人民政府,县政府各部门: 现将河清县2025年重点工作责任分解印发给你们,请认真贯彻执行。 河清县人民政府办公室 2025年3月1日 (此件公开发布) 2025年重点工作责任分解 一、李明县长牵头重点工作 1.新建公办幼儿园3所,投资1.5亿元。 责任单位:县教育局、县财政局 2.新增城市停车泊位1500个。 责任单位:县住建局 二、张华副县长牵头重点工作 1.改造农村户厕2000户。 责任单位:县农业农村局",
			tasks: []string{"1 县教育局 ← 县财政局", "2 县住建局", "3 县农业农村局"},
			targets: []string{"1.1 新建公办幼儿园 cumulative 3所 2025-12-31", "1.2 投资 cumulative 1.5e+08元 2025-12-31",
				"2.1 新增城市停车泊位 cumulative 1500个 2025-12-31", "3.1 改造农村户厕 cumulative 2000户 2025-12-31"},
		},
		"a parenthesis of clauses gives each unit its role by its verb, leaders' clauses aside": {
			text:  "河清县2025年重点工作分工\n1.新建公办幼儿园3所。(分管副县长、协管副主任负责,县教育局牵头,县财政局、县住建局配合)\n2.扩大消费。(县商务局、财政局、县发改局等相关部门按职责分工负责)",
			tasks: []string{"1 县教育局 ← 县财政局、县住建局", "2 县商务局 ← 县财政局、县发改局"},
		},
		"a parenthesis of fields left open where the text was cut still names the lead": {
			text:  "河清县2025年重点工作分工\n1.新建公办幼儿园3所。(牵头单位:县教育局;责任单位:县财政局)\n2.新增学位900个。(牵头单位:县教育局;责任单位:",
			tasks: []string{"1 县教育局 ← 县财政局", "2 县教育局"},
		},
		"an unnumbered paragraph whose parenthesis of roles is left open is a task": {
			text:    "河清县2025年重点工作分工\n一、落实主要预期目标\n(一)总体要求:稳中求进。\n主要预期目标:地区生产总值增长6%;城镇调查失业率5%左右(分管副县长负责,县发改委牵头,县统计局、县",
			tasks:   []string{"1 县发改委"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "1.2 城镇调查失业率 level 5% 2025-12-31"},
		},
		"a table of indicator names and requirements names each figure by its row": {
			text:    "河清区2025年目标任务分解表\n序号 | 任 务 名 称 | 指 标 要 求 | 牵 头 部 门 | 配 合 部 门 |\n1 | 地区生产总值 | 增长6%(市下达指标) | 区发改局 | 区统计局 |\n2 | 社会消费品零售总额 | 增长7.5% | 区商务局 | 区统计局 |",
			tasks:   []string{"1 区发改局 ← 区统计局", "2 区商务局 ← 区统计局"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 社会消费品零售总额增速 growth_rate 7.5% 2025-12-31"},
		},
		"a lead column of units with their heads, rows that lost the merged category cell": {
			text:  "河清市2025年民生实事进展\n大类 | 序号 | 工作任务 | 分管市领导 | 牵头单位及主要负责人 | 落实进展情况 |\n一、社会保障 | 1 | 新增养老床位300张。 | 李明 | 市民政局 王华 | 已完成。 |\n2 | 新建儿童之家20个。 | 李明 | 市妇联 赵丽 | 已建成12个。 |\n3 | 新增就业1万人。 | 张强 | 市人力资源社会保障局 刘洋 | 已完成80%。 |",
			tasks: []string{"1 市民政局", "2 市妇联", "3 市人力资源社会保障局"},
			targets: []string{"1.1 新增养老床位 cumulative 300张 2025-12-31", "2.1 新建儿童之家 cumulative 20个 2025-12-31",
				"3.1 新增就业 cumulative 10000人 2025-12-31"},
		},
		"a cell-per-line table whose task header spans a title and its words": {
			text:  "河清区2025年重点工作任务分解表\n序号\n工作任务\n牵头单位\n配合单位\n1\n共建科学城\n推动重点实验室落地,引进研发机构等8家独立法人研发机构。\n区科技局\n区发展改革委\n2\n提升城市品质\n新建口袋公园12个,改造背街小巷30条。\n区住房城乡建委\n各街道",
			tasks: []string{"1 区科技局 ← 区发展改革委", "2 区住房城乡建委 ← 各街道"},
			targets: []string{"1.1 引进独立法人研发机构 cumulative 8家 2025-12-31", "2.1 新建口袋公园 cumulative 12个 2025-12-31",
				"2.2 改造背街小巷 cumulative 30条 2025-12-31"},
		},
		"a field's value ends at a label of any name after a space": {
			text:    "河清市2025年民生实事进展\n1.新增公交线路8条。 牵头领导:李明 责任单位:市交通局 项目负责人:王五 实际完成情况:已开通5条。\n2.新建口袋公园10个。 牵头领导:张华 责任单位:市住建局 配合单位:市城管局 实际完成情况:已建成4个。",
			tasks:   []string{"1 市交通局", "2 市住建局 ← 市城管局"},
			targets: []string{"1.1 新增公交线路 cumulative 8条 2025-12-31", "2.1 新建口袋公园 cumulative 10个 2025-12-31"},
		},
		"a cell-per-line table with a merged category column and long lists of units": {
			text: "河清区2025年民生实事任务分解方案\n序号\n事项分类\n事项名称\n项目内容\n牵头单位\n协同单位\n" +
				"1\n教育提升\n新建中小学校\n新建中小学校4所。\n区教育局\n东城街道\n西城街道\n南湖镇\n北山镇\n青石乡\n区发改局\n区财政局\n区自然资源局\n区城投集团\n" +
				"2\n学校食堂改造\n改造学校食堂20所。\n区教育局\n/\n" +
				"3\n健康服务\n村卫生室建设\n新建村卫生室30家。\n区卫健局\n各乡镇(街道)\n" +
				"4\n卫生院迁建\n迁建卫生院2家。\n区卫健局\n青石乡\n区发改局",
			tasks: []string{"1 区教育局 ← 东城街道、西城街道、南湖镇、北山镇、青石乡、区发改局、区财政局、区自然资源局、区城投集团", "2 区教育局", "3 区卫健局 ← 各乡镇(街道)", "4 区卫健局 ← 青石乡、区发改局"},
			targets: []string{"1.1 新建中小学校 cumulative 4所 2025-12-31", "2.1 改造学校食堂 cumulative 20所 2025-12-31",
				"3.1 新建村卫生室 cumulative 30家 2025-12-31", "4.1 迁建卫生院 cumulative 2家 2025-12-31"},
		},
		"a table copied one cell per line with bars and no header is read by what its cells look like": {
			text: "1\n|\n一、主要预期目标\n|\n粮食产量稳定在50万吨以上。\n|\n种植科\n|\n王明\n|\n2025年底前\n|\n5551234\n|\n" +
				"2\n|\n新增高标准农田2万亩。\n|\n农田建设科\n|\n李华\n|\n2025年底前\n|\n5551235\n|\n" +
				"3\n|\n二、产业发展\n|\n新增规上农产品加工企业8家。\n|\n产业科\n市农技中心\n|\n|\n2025年10月底前\n|\n5551236\n|",
			tasks: []string{"1 种植科", "2 农田建设科", "3 产业科 ← 市农技中心"},
			targets: []string{"1.1 粮食产量 cumulative 500000吨 2025-12-31", "2.1 新增高标准农田 cumulative 20000亩 2025-12-31",
				"3.1 新增规上农产品加工企业 cumulative 8家 2025-10-31"},
		},
		"(一) sub-headings between items keep the department section's lead": {
			text:  "2025年重点任务清单\n一、县发改局牵头工作(3项)\n(一)扩大投资\n1.新开工项目30个。\n2.完成投资80亿元。\n(七)优化营商环境\n3.新增市场主体2000户。",
			tasks: []string{"1 县发改局", "2 县发改局", "3 县发改局"},
		},
		"a parenthesis of several fields gives the lead without punctuation": {
			text:  "2025年重点任务清单\n1.新增城镇就业3500人。(责任领导:李明;牵头单位:区人社局;责任单位:各街道)\n2.新增学位900个。(牵头领导:张华,责任单位:区教育局)\n3.建成公园2个。(牵头单位:区人社局。)",
			tasks: []string{"1 区人社局 ← 各街道", "2 区教育局", "3 区人社局"},
		},
		"labelled lines after an item ending with 。": {
			text:    "2025年重点工作分工方案\n一、主要预期目标\n1.努力实现地区生产总值增长6.2%左右。\n牵头单位:区发改局\n责任单位:立山经济开发区,全区经济运行各专班\n2.规模以上工业增加值增长5%左右。\n牵头单位:区工信局\n责任单位:立山经济开发区",
			tasks:   []string{"1 区发改局 ← 立山经济开发区、全区经济运行各专班", "2 区工信局 ← 立山经济开发区"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6.2% 2025-12-31", "2.1 规模以上工业增加值增速 growth_rate 5% 2025-12-31"},
			noWarn:  true,
		},
		"labelled lines with a leader between": {
			text:   "2025年重点任务清单\n1.全年实施亿元以上项目60个。\n牵头负责领导:王强。\n牵头责任单位:县发改局。\n协同责任单位:县住建局、县自然资源局。\n2.新增学位900个。\n牵头负责领导:李华。\n牵头责任单位:县教育局。",
			tasks:  []string{"1 县发改局 ← 县住建局、县自然资源局", "2 县教育局"},
			noWarn: true,
		},
		"inline fields after the text: the deadline is read, not taken for a unit": {
			text:    "2025年重点任务清单\n1.粮食储备规模稳定在2.3万吨。责任单位: 县发改局 完成时限: 2025年6月\n2.新增学位900个 牵头单位:县教育局 配合单位:县财政局 时间节点:9月底前",
			tasks:   []string{"1 县发改局", "2 县教育局 ← 县财政局"},
			targets: []string{"1.1 粮食储备规模 level 23000吨 2025-06-30", "2.1 新增学位 cumulative 900个 2025-09-30"},
		},
		"unit names with 、 are kept whole where the list is separated otherwise": {
			text:  "2025年重点任务清单\n1.新增学位900个。(牵头单位:县教育局;责任单位:各乡、镇人民政府,县财政局)\n2.改造农村公路120公里。(责任单位:县交通运输局、各乡、镇人民政府)",
			tasks: []string{"1 县教育局 ← 各乡、镇人民政府、县财政局", "2 县交通运输局 ← 各乡、镇人民政府"},
		},
		"a unit marked (牵头) leads and a note after the list is no unit": {
			text:  "2025年重点工作责任分解\n1.新增城市停车泊位1500个。(责任单位:县公安局、县住建局(牵头))\n2.力争减轻企业各类负担200亿元。\n责任单位:市经信局、市财政局、市税务局(列第一位者为工作牵头单位或汇总单位,下同)",
			tasks: []string{"1 县住建局 ← 县公安局", "2 市经信局 ← 市财政局、市税务局"},
		},
		"分别 pairs give one target each": {
			text:  "2025年重点任务清单\n1.城乡居民人均可支配收入分别增长6%、6.5%。(牵头单位:县统计局)\n2.一般公共预算收入、税收收入分别增长5%和6%。(牵头单位:县财政局)\n3.城镇、农村居民人均可支配收入分别达到4.5万元、2万元。(牵头单位:县统计局)",
			tasks: []string{"1 县统计局", "2 县财政局", "3 县统计局"},
			targets: []string{
				"1.1 城镇居民人均可支配收入增速 growth_rate 6% 2025-12-31", "1.2 农村居民人均可支配收入增速 growth_rate 6.5% 2025-12-31",
				"2.1 一般公共预算收入增速 growth_rate 5% 2025-12-31", "2.2 税收收入增速 growth_rate 6% 2025-12-31",
				"3.1 城镇居民人均可支配收入 level 45000元 2025-12-31", "3.2 农村居民人均可支配收入 level 20000元 2025-12-31",
			},
		},
		"a table copied from a web page one cell per line with trailing bars": {
			text:    "2025年重点任务分解表\n序号|\n重点任务|\n牵头单位|\n配合单位|\n完成时限|\n1|\n新增城镇就业2800人|\n县人社局|\n各乡镇人民政府|\n2025年12月底|\n2|\n建成5G基站300个|\n县工信局|\n|\n2025年10月|",
			tasks:   []string{"1 县人社局 ← 各乡镇人民政府", "2 县工信局"},
			targets: []string{"1.1 新增城镇就业 cumulative 2800人 2025-12-31", "2.1 建成5G基站 cumulative 300个 2025-10-31"},
			noWarn:  true,
		},
		"a table copied one cell per line without bars, an empty cell left out": {
			text:    "2025年重点任务分解表\n序号\n工作任务\n牵头单位\n配合单位\n完成时限\n1\n新建城市公园2个\n县住建局\n县自然资源局\n年底前\n2\n新增学位900个\n县教育局\n9月底前\n二、其他事项",
			tasks:   []string{"1 县住建局 ← 县自然资源局", "2 县教育局"},
			targets: []string{"1.1 新建城市公园 cumulative 2个 2025-12-31", "2.1 新增学位 cumulative 900个 2025-09-30"},
		},
		"a table copied one cell per line with a bar on each, bar-only lines between rows and columns no rule reads": {
			text:  "附件:\n|\n河清县2025年民生实事项目清单 |\n||||\n|\n序号 |\n项目名称 |\n建设地点 |\n建设时间 |\n年度投资(万元) |\n责任单位 |\n|\n1 |\n城东幼儿园建设项目 |\n城关镇 |\n2025 |\n800 |\n教体局 |\n|\n2 |\n农村道路提升项目 |\n各乡镇 |\n2025 |\n1200 |\n交通局、各乡镇 |",
			tasks: []string{"1 教体局", "2 交通局 ← 各乡镇"},
		},
		"a title as 【tag】X关于…的通知 names the issuer": {
			text:  "【保基本民生】河清县民生工作领导小组办公室关于2025年实施20项民生实事的通知\n一、促进就业(1项)\n1.新增城镇就业2800人(牵头单位:县人社局)",
			title: "2025年实施20项民生实事",
			tasks: []string{"1 县人社局"},
		},
		"(1) (2) numbering the parts of an item 1.": {
			text:    "2025年重点任务清单\n一、扩大投资\n1.推进项目建设。\n(1)新开工项目30个。\n(2)竣工项目20个。\n牵头单位:县发改局\n2.新增规上企业10家。(牵头单位:县工信局)\n二、民生\n(1)新增学位900个。(牵头单位:县教育局)",
			tasks:   []string{"1 县发改局", "2 县工信局", "3 县教育局"},
			targets: []string{"1.1 新开工项目 cumulative 30个 2025-12-31", "1.2 竣工项目 cumulative 20个 2025-12-31", "2.1 新增规上企业 cumulative 10家 2025-12-31", "3.1 新增学位 cumulative 900个 2025-12-31"},
			noWarn:  true,
		},
		"table rows numbered 一, 二": {
			text:   "2025年民生实事\n序号|实事项目|责任单位\n一|新增学位900个|县教育局\n二|新建公园2个|县住建局",
			tasks:  []string{"1 县教育局", "2 县住建局"},
			noWarn: true,
		},
		"a department's name alone as a heading": {
			text:  "2025年重点任务清单\n一、县教育局\n1.新增学位900个。\n二、县住建局\n2.改造老旧小区12个。\n三、推进城市更新\n3.新建公园2个。(牵头单位:县住建局)",
			tasks: []string{"1 县教育局", "2 县住建局", "3 县住建局"},
		},
		"signs and ranges in a table of indicators": {
			text:    "2025年主要指标\n序号|指标名称|单位|2025年目标|牵头单位\n1|地区生产总值增速|%|≥6|县发改局\n2|固定资产投资增长|%|6%-7%|县发改局\n3|城镇调查失业率|%|≤5.5|县人社局",
			tasks:   []string{"1 县发改局", "2 县发改局", "3 县人社局"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 固定资产投资增速 growth_rate 6% 2025-12-31", "3.1 城镇调查失业率 level 5.5% 2025-12-31"},
			noWarn:  true,
		},
		"a department's section without a number, and units that share their work": {
			text:  "2025年重点任务清单\n县发改局牵头(1项)\n1.新开工项目30个。\n县政府办公室(1项)\n2.全面实施行政许可事项清单管理。(县政府办公室、县审改办牵头,县级各有关部门及各乡镇政府按职责分工负责)\n二、营商环境\n3.新增市场主体2000户。(县市场监管局、县税务局按职责分工负责)",
			tasks: []string{"1 县发改局", "2 县政府办公室 ← 县审改办、各乡镇政府", "3 县市场监管局 ← 县税务局"},
		},
		"a table copied from a browser with tabs": {
			text:  "2025年重点工作任务分解表\n序号\t工作任务\t责任单位\t完成时限\n1\t地区生产总值增长6%左右\t县发改局、县统计局\t全年\n2\t新增规上工业企业10家\t县工信局\t2025年12月",
			tasks: []string{"1 县发改局 ← 县统计局", "2 县工信局"},
		},
		"table header words 重点工作, 牵头责任单位, 协同责任单位, 责任领导": {
			text:    "2025年重点工作任务分解表\n序号|重点工作|责任领导|牵头责任单位|协同责任单位|时间节点\n1|新增城镇就业2800人|张明|县人社局|各乡镇人民政府|2025年11月",
			tasks:   []string{"1 县人社局 ← 各乡镇人民政府"},
			targets: []string{"1.1 新增城镇就业 cumulative 2800人 2025-11-30"},
			noWarn:  true,
		},
		"a 责任单位 column leads when no column is 牵头, and 分管领导 is no unit": {
			text:  "2025年民生实事任务分解\n序号|工作事项|分管领导|责任单位|完成时间\n1|新增学位900个|李华|县教育局、县财政局|9月底前\n2|改造老旧小区12个|王强|县住建局(牵头)、县财政局|年底前",
			tasks: []string{"1 县教育局 ← 县财政局", "2 县住建局 ← 县财政局"},
		},
		"主要任务 and 协同单位 columns in another order": {
			text:  "2025年重点任务清单\n主要任务|完成时限|协同单位|牵头单位|序号\n建成公园2个|年底前|县财政局|县住建局|1",
			tasks: []string{"1 县住建局 ← 县财政局"},
		},
		"a header over two rows": {
			text:  "2025年重点任务清单\n序号|工作任务|责任单位|\n||牵头单位|配合单位\n1|新增学位900个|县教育局|县财政局",
			tasks: []string{"1 县教育局 ← 县财政局"},
		},
		"a table of metrics, units and targets (目标责任书)": {
			text:  "2025年目标责任书\n序号|指标名称|单位|年度目标|责任单位\n1|地区生产总值增长|%|6左右|县发改局\n2|城镇新增就业|万人|1.2|县人社局\n3|一般公共预算收入|亿元|35|县财政局",
			tasks: []string{"1 县发改局", "2 县人社局", "3 县财政局"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 城镇新增就业 cumulative 12000人 2025-12-31",
				"3.1 一般公共预算收入 cumulative 3.5e+09元 2025-12-31"},
		},
		"the unit word before the figure": {
			text:    "2025年民生实事\n1.养老服务中心服务人次达200万以上。(牵头单位:县民政局)\n2.参保人数达到50万。(牵头单位:县医保局)",
			tasks:   []string{"1 县民政局", "2 县医保局"},
			targets: []string{"1.1 养老服务中心服务人次 cumulative 2e+06人次 2025-12-31", "2.1 参保人数 cumulative 500000人 2025-12-31"},
		},
		"levels that are not sums": {
			text: "2025年重点任务清单\n1.千人托位数达到4.5个,人均公园绿地面积达到15平方米。(牵头单位:县卫健局)\n2.粮食储备规模稳定在23万吨,原煤产量稳定在1.7亿吨左右。(牵头单位:县发改局)",
			targets: []string{"1.1 千人托位数 level 4.5个 2025-12-31", "1.2 人均公园绿地面积 level 15平方米 2025-12-31",
				"2.1 粮食储备规模 level 230000吨 2025-12-31", "2.2 原煤产量 cumulative 1.7e+08吨 2025-12-31"},
			tasks: []string{"1 县卫健局", "2 县发改局"},
		},
		"leading verbs are kept out of metric names": {
			text:    "2025年重点任务清单\n1.努力实现地区生产总值增长6%左右。(牵头单位:县发改局)\n2.力争实现社会消费品零售总额增长7%。(牵头单位:县商务局)",
			tasks:   []string{"1 县发改局", "2 县商务局"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 社会消费品零售总额增速 growth_rate 7% 2025-12-31"},
		},
		"the plan title after a tag line, wrapping onto a second line": {
			text:  "【保基本民生】\n河清县2025年十件民生实事\n项目清单\n一、新增学位900个。(牵头单位:县教育局)",
			title: "河清县2025年十件民生实事项目清单",
			tasks: []string{"1 县教育局"},
		},
		"items without a number that name their lead, under a heading": {
			text:    "2025年主要目标分工\n一、约束性指标\n森林覆盖率保持在45%。(县林业局牵头)\n单位工业增加值用水量下降3%。(县水利局、县工信局等部门按职责分工负责)",
			tasks:   []string{"1 县林业局", "2 县水利局 ← 县工信局"},
			targets: []string{"1.1 森林覆盖率 level 45% 2025-12-31", "2.1 单位工业增加值用水量增速 growth_rate -3% 2025-12-31"},
			noWarn:  true,
		},
		"indicators named before a colon, 责任单位为, and notes on where a figure comes from": {
			text: "2025年考核指标设置情况\n一、考核指标\n人均地区生产总值:增长6%左右(依据县人代会目标设置,高于全市5%平均水平),责任单位为县发改局;\n" +
				"高新技术企业数:新增8家以上,责任单位为县科技局;\n" +
				"工业投资及技改占比:工业投资50亿元,增长9%,责任单位为县发改局;技改投资占工业投资比重20%,责任单位为县工信局;",
			tasks: []string{"1 县发改局", "2 县科技局", "3 县发改局 ← 县工信局"},
			targets: []string{"1.1 人均地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 新增高新技术企业数 cumulative 8家 2025-12-31",
				"3.1 工业投资 cumulative 5e+09元 2025-12-31", "3.2 工业投资增速 growth_rate 9% 2025-12-31", "3.3 技改投资占工业投资比重 level 20% 2025-12-31"},
			noWarn: true,
		},
		"a leader's line and 部门分工 naming the lead in words": {
			text:   "2025年重点任务分工方案\n一、主要预期目标\n1.地区生产总值增长6%以上。\n分管县领导:张明\n部门分工:县发改局牵头,各乡镇、各部门配合。\n2.一般公共预算收入增长5%左右。\n分管县领导:李华\n部门分工:县财政局牵头,",
			tasks:  []string{"1 县发改局 ← 各乡镇", "2 县财政局"},
			noWarn: true,
		},
		"a section of a leader's tasks names no department": {
			text:  "2025年重点工作责任分解\n一、张明县长牵头工作\n1.新增学位900个。\n责任单位:县教育局、县财政局(列第一位者为牵头单位,下同)",
			tasks: []string{"1 县教育局 ← 县财政局"},
		},
		"a table copied one cell per line with units one a line and a number merged over two rows": {
			text: "2025年民生实事目标任务分解表\n序号\n民生实事\n责任单位\n完成时限\n1\n新建城市公园2个。\n县住建局\n县自然资源局\n县城投公司\n10月底前\n" +
				"2\n开工建设县养老中心。\n县民政局\n5月底前动工\n建成县老年大学。\n12月底前\n3\n新增学位900个。\n县教育局\n9月底前\n分享到:",
			tasks:    []string{"1 县住建局 ← 县自然资源局、县城投公司", "2 县民政局", "3 县教育局"},
			targets:  []string{"1.1 新建城市公园 cumulative 2个 2025-10-31", "2.1 开工建设县养老中心 milestone 0 2025-05-31", "2.2 建成县老年大学 milestone 0 2025-12-31", "3.1 新增学位 cumulative 900个 2025-09-30"},
			warnings: []string{`ignored: not a task, section or table row: "分享到:"`},
		},
		"header words broken over two lines, 责任科室 leads and a 完成情况 column holds no target": {
			text: "2025年度重点工作计划执行情况\n序号\n重点工作\n责任\n领导\n责任\n科室\n攻坚目标\n任务\n第二季度\n完成情况\n" +
				"1\n美丽集镇建设\n王五\n城建办\n完成集镇道路改造3公里。\n已完成改造1.5公里。\n2\n村级道路硬化\n赵六\n农业农村办\n硬化村道12公里。\n已完成40%。",
			tasks:   []string{"1 城建办", "2 农业农村办"},
			targets: []string{"1.1 完成集镇道路改造 cumulative 3公里 2025-12-31", "2.1 硬化村道 cumulative 12公里 2025-12-31"},
			noWarn:  true,
		},
		"a 实施计划 column holds the steps, not the year's figures": {
			text:    "2025年民生实事项目\n序号|实事项目|工作举措及实施计划|责任单位|配合单位\n1|新增托位300个。|3月底前新增100个托位;9月底前完成300个托位。|县卫健局|县财政局",
			tasks:   []string{"1 县卫健局 ← 县财政局"},
			targets: []string{"1.1 新增托位 cumulative 300个 2025-12-31"},
			noWarn:  true,
		},
		"rows whose first cells were merged above and left out of the flattened text": {
			text: "2025年民生实事进展登记表\n项目名称|工作任务|计划完成时间|牵头单位\n1.城市更新项目|改造城区道路3条;|11月|县住建局\n2025.8|县城投公司||\n" +
				"新建口袋公园2处;|10月|县园林中心||\n2.教育项目|新建幼儿园1所。|9月|县教育局",
			tasks:   []string{"1 县住建局 ← 县城投公司", "2 县园林中心", "3 县教育局"},
			texts:   []string{"1.城市更新项目。改造城区道路3条;", "1.城市更新项目。新建口袋公园2处;", "2.教育项目。新建幼儿园1所。"},
			targets: []string{"1.1 改造城区道路 cumulative 3条 2025-11-30", "2.1 新建口袋公园 cumulative 2处 2025-10-31", "3.1 新建幼儿园 cumulative 1所 2025-09-30"},
			noWarn:  true,
		},
		"a table copied one cell per line whose last cell names no unit": {
			text:   "2025年重点工作目标任务分解表\n序号 |\n目标与任务 |\n分 管 县领导 |\n牵头责任单位 |\n责任单位 |\n1 |\n新增托位400个以上。 |\n张 明 |\n县卫健局 |\n县各有关单位 |\n2 |\n新建幼儿园2所。 |\n李 华 |\n县教育局 |\n县各有关单位 |",
			tasks:  []string{"1 县卫健局", "2 县教育局"},
			noWarn: true,
		},
		"由X负责落实 closes an item, or is the line after a paragraph of targets": {
			text: "2025年重点工作分解\n一、主要目标\n地区生产总值增长6%;城镇登记失业率控制在4%以内。\n由县发改局、县人社局负责落实。\n" +
				"二、为民办实事\n(一)新建幼儿园2所。由县教育局、各乡(镇)、街道负责落实。\n(二)改造农村公路50公里。由县交通局负责。",
			tasks: []string{"1 县发改局 ← 县人社局", "2 县教育局 ← 各乡(镇)、街道", "3 县交通局"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "1.2 城镇登记失业率 level 4% 2025-12-31",
				"2.1 新建幼儿园 cumulative 2所 2025-12-31", "3.1 改造农村公路 cumulative 50公里 2025-12-31"},
			noWarn: true,
		},
		"a table copied one cell per line whose empty cell of words left no line": {
			text: "2025年民生实事推进情况\n序号 |\n主要任务 |\n全年目标任务 |\n分管 领导 |\n牵头 单位 |\n协同单位 |\n1-6月推进情况 |\n" +
				"1 |\n新建口袋公园5个。 |\n张明 |\n县住建局 |\n各街道 |\n已建成2个。 |\n2 |\n改造老旧小区12个。 |\n张明 |\n县住建局 |\n县财政局 |\n已开工8个。 |",
			tasks:   []string{"1 县住建局 ← 各街道", "2 县住建局 ← 县财政局"},
			targets: []string{"1.1 新建口袋公园 cumulative 5个 2025-12-31", "2.1 改造老旧小区 cumulative 12个 2025-12-31"},
			noWarn:  true,
		},
		"a column of results holds no target, and a row without its category cell takes it from above": {
			text: "2025年民生事项推进情况\n类别|民生事项名称|年度任务目标|责任单位|分管领导|工作取得成效|\n一、教育|1.新建学校|新建小学2所。|县教育局|李华|已完成投资500万元,完成60%。|\n" +
				"2.课后服务|实行课后服务全覆盖。|县教育局|李华|参与学生12000人。||",
			tasks:   []string{"1 县教育局", "2 县教育局"},
			targets: []string{"1.1 新建小学 cumulative 2所 2025-12-31", "2.1 课后服务覆盖率 level 100% 2025-12-31"},
			noWarn:  true,
		},
		"rows of a category whose items (1), (2)… name their own leader and units, copied one cell per line": {
			text: "2025年主要目标任务责任分解表\n序号\n目标名称\n工作标准\n县政府\n分管领导\n牵头单位\n配合单位\n" +
				"1\n主要预期目标\n(1)地区生产总值增长6%左右。\n张明\n县发改局\n开发区\n高新园\n(城东镇)\n县统计局\n(2)一般公共预算收入增长5%。\n县财政局\n" +
				"(3)新增城镇就业3000人。\n李华\n县人社局\n(4)安全生产形势稳定。\n县应急管理局\n(安委办)\n2\n民生实事\n(5)新建幼儿园3所。\n王强\n县教育局\n各乡镇",
			tasks: []string{"1 县发改局 ← 开发区、高新园(城东镇)、县统计局", "2 县财政局 ← 开发区、高新园(城东镇)、县统计局", "3 县人社局 ← 开发区、高新园(城东镇)、县统计局",
				"4 县应急管理局(安委办) ← 开发区、高新园(城东镇)、县统计局", "5 县教育局 ← 各乡镇"},
			targets: []string{"1.1 地区生产总值增速 growth_rate 6% 2025-12-31", "2.1 一般公共预算收入增速 growth_rate 5% 2025-12-31",
				"3.1 新增城镇就业 cumulative 3000人 2025-12-31", "5.1 新建幼儿园 cumulative 3所 2025-12-31"},
		},
		"the notice's letter numbered 一、二、 is not the list": {
			text:  "河清县人民政府办公室关于印发2025年民生实事项目清单的通知\n一、提高思想认识。各单位要高度重视。\n二、加强督查考核。\n河清县人民政府办公室\n2025年2月1日\n(此件公开发布)\n附件\n一、新增学位900个。(牵头单位:县教育局)\n二、新增城市停车泊位1500个。(牵头单位:县住建局)",
			title: "2025年民生实事项目清单",
			tasks: []string{"1 县教育局", "2 县住建局"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, warns := notice.ParseDocument(document.FromText(tc.text), notice.Options{Year: 2025})
			if got := taskLines(c); !reflect.DeepEqual(got, tc.tasks) {
				t.Errorf("tasks\n got %q\nwant %q\n(warnings %v)", got, tc.tasks, warns)
			}
			if tc.targets != nil {
				if got := targetLines(c); !reflect.DeepEqual(got, tc.targets) {
					t.Errorf("targets\n got %q\nwant %q", got, tc.targets)
				}
			}
			if tc.texts != nil {
				var got []string
				for _, task := range c.Tasks {
					got = append(got, task.Text)
				}
				if !reflect.DeepEqual(got, tc.texts) {
					t.Errorf("texts\n got %q\nwant %q", got, tc.texts)
				}
			}
			if tc.title != "" && c.Plan.Title != tc.title {
				t.Errorf("title %q, want %q", c.Plan.Title, tc.title)
			}
			if tc.noWarn && len(warns) > 0 {
				t.Errorf("warnings %v", warns)
			}
			for _, w := range tc.warnings {
				if !hasWarning(warns, w) {
					t.Errorf("no warning %q in %v", w, warns)
				}
			}
			for _, d := range c.Departments {
				if hasPunctuationOn(d.Name) {
					t.Errorf("department name %q has punctuation on it", d.Name)
				}
			}
		})
	}
}

// hasPunctuationOn tells a name with punctuation at an end: a separator, a colon, an
// opening parenthesis, or a closing one that closes nothing (县发改局(粮食局) is a name).
func hasPunctuationOn(name string) bool {
	if name != strings.Trim(name, " 。.;；,，、:：(（") {
		return true
	}
	if strings.HasSuffix(name, ")") || strings.HasSuffix(name, "）") {
		return strings.Count(name, "(")+strings.Count(name, "（") != strings.Count(name, ")")+strings.Count(name, "）") || strings.HasPrefix(name, "(")
	}
	return false
}

// TestTheSameOfficeIsOneDepartment: however an office is written around its name, it is
// one department with one id.
func TestTheSameOfficeIsOneDepartment(t *testing.T) {
	text := "2025年重点任务清单\n1.新增学位900个。(牵头单位:县教育局;)\n2.建成公园2个。\n牵头单位:县教育局。\n3.新增就业2800人。(牵头领导:张华,责任单位:县教育局)\n" +
		"4.改造小区12个。牵头单位: 县教育局 完成时限: 2025年6月\n5.建成学校1所。(责任单位:县教育局(牵头)、各乡、镇人民政府)\n6.新增学位100个。(责任单位:各乡镇人民政府)"
	c, warns := notice.Parse(text, notice.Options{Year: 2025})
	// 各乡镇人民政府 leads task 6: the name a lead is written with is the department's name
	want := []indicators.Department{{ID: "jyj", Name: "县教育局"}, {ID: "gxzzf", Name: "各乡镇人民政府"}}
	if !reflect.DeepEqual(c.Departments, want) {
		t.Fatalf("departments %v, want %v (warnings %v)", c.Departments, want, warns)
	}
	for _, task := range c.Tasks[:5] {
		if task.Lead != "jyj" {
			t.Errorf("task %d lead %q", task.Num, task.Lead)
		}
	}
}

func TestWarningsNameTableRows(t *testing.T) {
	doc := &document.Document{Format: document.HTML, Lines: []document.Line{
		{Text: "2025年重点任务清单", Pos: document.Pos{Line: 3}},
		{Cells: []string{"序号", "工作任务", "牵头单位"}, Pos: document.Pos{Table: 1, Row: 1}},
		{Cells: []string{"1", "新增学位900个", ""}, Pos: document.Pos{Table: 1, Row: 2}},
		{Cells: []string{"甲", "新增学位900个", "县教育局"}, Pos: document.Pos{Table: 1, Row: 3}},
	}}
	_, warns := notice.ParseDocument(doc, notice.Options{})
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	want := []string{`table 1 row 3: table row without a number in column 1: "甲|新增学位900个|县教育局"`, "table 1 row 2: task 1 has no lead department"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("warnings\n got %q\nwant %q", got, want)
	}
}

// TestDatesAsDeadlines: deadlines written as dates (as Excel shows a date cell) are read,
// and give the plan its year when nothing above the list does.
func TestDatesAsDeadlines(t *testing.T) {
	text := "重点任务分解表\n序号|工作任务|牵头单位|完成时限\n1|新增学位900个|县教育局|06-30-25\n2|建成公园2个|县住建局|2025/9/30\n3|新增就业2800人|县人社局|2025.10\n4|改造小区12个|县住建局|2025"
	c, warns := notice.Parse(text, notice.Options{})
	var dues []string
	for _, task := range c.Tasks {
		dues = append(dues, string(task.Targets[0].Due))
	}
	want := []string{"2025-06-30", "2025-09-30", "2025-10-31", "2025-12-31"}
	if c.Plan.Year != 2025 || !reflect.DeepEqual(dues, want) || len(warns) > 0 {
		t.Fatalf("year %d, dues %q, want %q (warnings %v)", c.Plan.Year, dues, want, warns)
	}
}
