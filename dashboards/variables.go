package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// choice is one option of a catalog-driven variable: what people read and the label value.
type choice struct{ text, value string }

// catalogVariable is a custom variable whose options come from the catalog (Grafana's
// "text : value" form), so the dropdown shows Chinese names but queries use stable ids.
// The first choice is selected.
func catalogVariable(name, label string, choices []choice) *dashboard.CustomVariableBuilder {
	parts := make([]string, 0, len(choices))
	opts := make([]dashboard.VariableOption, 0, len(choices))
	for i, c := range choices {
		parts = append(parts, escapeCustom(c.text)+" : "+escapeCustom(c.value))
		opts = append(opts, option(c, i == 0))
	}
	v := dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(parts, ","))}).
		Options(opts).
		Multi(false).
		IncludeAll(false)
	if len(choices) > 0 {
		v.Current(option(choices[0], true))
	}
	return v
}

func option(c choice, selected bool) dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(selected),
		Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(c.text)},
		Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(c.value)},
	}
}

// escapeCustom keeps commas and the " : " separator of a custom variable literal.
func escapeCustom(s string) string {
	s = strings.ReplaceAll(s, ",", `\,`)
	return strings.ReplaceAll(s, " : ", ": ")
}
