package dashboards_test

import "github.com/duban-gov/duban/indicators/evaluate"

func evaluateStatuses() []string {
	out := make([]string, 0, len(evaluate.Statuses))
	for _, s := range evaluate.Statuses {
		out = append(out, string(s))
	}
	return out
}
