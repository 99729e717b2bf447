package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// InfluxQLQuery is a raw InfluxQL query of Grafana's InfluxDB datasource in InfluxQL
// mode (served by InfluxDB 1.8, 2.x through a DBRP mapping and 3.x alike). The
// foundation SDK ships no InfluxDB query type, so this is the small custom one its
// documentation describes (docs/How-To/custom-query-type.md): it implements
// variants.Dataquery.
type InfluxQLQuery struct {
	RefId        string                `json:"refId"` //nolint:revive // var-naming: named as the foundation SDK names it in every query type
	Hide         *bool                 `json:"hide,omitempty"`
	Datasource   *common.DataSourceRef `json:"datasource,omitempty"`
	Query        string                `json:"query"`
	RawQuery     bool                  `json:"rawQuery"`               // the query is InfluxQL text, not the editor's form
	ResultFormat string                `json:"resultFormat,omitempty"` // "table" or "time_series"
}

var _ variants.Dataquery = InfluxQLQuery{}

// ImplementsDataqueryVariant marks InfluxQLQuery as a dataquery.
func (InfluxQLQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the datasource plugin id.
func (InfluxQLQuery) DataqueryType() string { return "influxdb" }

// Validate requires a refId and a query.
func (q InfluxQLQuery) Validate() error {
	var errs cog.BuildErrors
	if q.RefId == "" {
		errs = append(errs, cog.MakeBuildErrors("refId", errors.New("must not be empty"))...)
	}
	if q.Query == "" {
		errs = append(errs, cog.MakeBuildErrors("query", errors.New("must not be empty"))...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Equals compares two dataqueries.
func (q InfluxQLQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(InfluxQLQuery)
	if !ok {
		if p, isPtr := other.(*InfluxQLQuery); isPtr && p != nil {
			o, ok = *p, true
		}
	}
	if !ok {
		return false
	}
	a, _ := json.Marshal(q)
	b, _ := json.Marshal(o)
	return bytes.Equal(a, b)
}

// InfluxQLVariantConfig lets cog unmarshal InfluxQLQuery targets (strictly or not); register it
// with cog.NewRuntime().RegisterDataqueryVariant before unmarshalling dashboards.
func InfluxQLVariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: "influxdb",
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q InfluxQLQuery
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, err
			}
			return q, nil
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q InfluxQLQuery
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&q); err != nil {
				return nil, fmt.Errorf("influxql query: %w", err)
			}
			if err := q.Validate(); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}

// InfluxQLQueryBuilder builds a InfluxQLQuery (cog.Builder[variants.Dataquery]).
type InfluxQLQueryBuilder struct{ internal InfluxQLQuery }

var _ cog.Builder[variants.Dataquery] = (*InfluxQLQueryBuilder)(nil)

// NewInfluxQLQueryBuilder starts a raw InfluxQL query, answered as a table, on duban's
// InfluxDB datasource.
func NewInfluxQLQueryBuilder(query string) *InfluxQLQueryBuilder {
	ds := influxDS()
	return &InfluxQLQueryBuilder{internal: InfluxQLQuery{Query: query, Datasource: &ds, RawQuery: true, ResultFormat: "table"}}
}

// RefId sets the query's reference id.
func (b *InfluxQLQueryBuilder) RefId(ref string) *InfluxQLQueryBuilder { //nolint:revive // var-naming: as the SDK's query builders name it
	b.internal.RefId = ref
	return b
}

// ResultFormat sets how Grafana reads the answer: "table" (the default) or
// "time_series".
func (b *InfluxQLQueryBuilder) ResultFormat(f string) *InfluxQLQueryBuilder {
	b.internal.ResultFormat = f
	return b
}

// Build validates and returns the query.
func (b *InfluxQLQueryBuilder) Build() (variants.Dataquery, error) {
	if err := b.internal.Validate(); err != nil {
		return InfluxQLQuery{}, err
	}
	return b.internal, nil
}
