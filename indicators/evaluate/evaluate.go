// Package evaluate turns a target and its reports into expected-to-date, gap, status,
// freshness and projection. Pure functions: the clock is an argument, no I/O.
package evaluate

import (
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Status is the traffic light of one target.
type Status string

const (
	Achieved Status = "achieved"
	OnTrack  Status = "on_track"
	AtRisk   Status = "at_risk"
	Lagging  Status = "lagging"
	Missed   Status = "missed"
	NoData   Status = "no_data"
)

// Statuses lists every status in display order (worst first is Missed..NoData by Severity).
var Statuses = []Status{Achieved, OnTrack, AtRisk, Lagging, Missed, NoData}

// Config holds the thresholds; zero fields take the defaults (see Defaults).
type Config struct {
	// AtRiskBand: a target within this share of its expected value (behind) is at_risk;
	// further behind is lagging. Default 0.05.
	AtRiskBand float64 `mapstructure:"at_risk_band" yaml:"at_risk_band"`
	// ApproxTolerance: tolerance of 左右 targets in the target's unit when the catalog
	// sets none. Default 0.5 (percentage points for growth rates).
	ApproxTolerance float64 `mapstructure:"approx_tolerance" yaml:"approx_tolerance"`
	// DueDay: a monthly report is due by this day of the following month. Default 10.
	DueDay int `mapstructure:"due_day" yaml:"due_day"`
}

// Result is the evaluation of one target at one instant.
type Result struct {
	Indicator  string
	Department string
	Status     Status

	HasValue      bool
	Value         float64          // latest value (milestones: percent complete)
	Stage         indicators.Stage // milestones: latest stage
	Period        string           // period of the latest value
	Target        float64          // effective target (relative targets: the referenced value)
	Expected      float64          // expected value to date
	Gap           float64          // signed, in the target unit, positive = ahead
	Progress      float64          // value / target for cumulative; met share otherwise
	HasProjection bool
	Projected     float64 // year-end value at the current pace

	LastReport    time.Time // received time of the latest revision (zero if none)
	Due           time.Time // end of the due day
	NextReportDue time.Time // when the next report is due by the calendar
	ReportOverdue bool      // a report that was due is missing
}

// All evaluates every target of the catalog at now, in catalog order; series returns an
// indicator's latest revision per period ordered by PeriodEnd. Relative targets are
// evaluated against the referenced indicator's result.
func All(cfg Config, cat *indicators.Catalog, series func(id string) []indicators.Revision, now time.Time) []Result {
	panic("evaluate.All: not implemented yet") // replaced by the evaluation work (issue 4)
}
