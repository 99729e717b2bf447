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

// FluxQuery is a query of Grafana's InfluxDB datasource in Flux mode. The foundation SDK
// ships no InfluxDB query type, so this is the small custom one its documentation
// describes (docs/How-To/custom-query-type.md): it implements variants.Dataquery.
type FluxQuery struct {
	RefId      string                `json:"refId"`
	Hide       *bool                 `json:"hide,omitempty"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	Query      string                `json:"query"`
}

var _ variants.Dataquery = FluxQuery{}

// ImplementsDataqueryVariant marks FluxQuery as a dataquery.
func (FluxQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the datasource plugin id.
func (FluxQuery) DataqueryType() string { return "influxdb" }

// Validate requires a refId and a query.
func (q FluxQuery) Validate() error {
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
func (q FluxQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(FluxQuery)
	if !ok {
		if p, isPtr := other.(*FluxQuery); isPtr && p != nil {
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

// FluxVariantConfig lets cog unmarshal FluxQuery targets (strictly or not); register it
// with cog.NewRuntime().RegisterDataqueryVariant before unmarshalling dashboards.
func FluxVariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: "influxdb",
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q FluxQuery
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, err
			}
			return q, nil
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q FluxQuery
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&q); err != nil {
				return nil, fmt.Errorf("flux query: %w", err)
			}
			if err := q.Validate(); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}

// FluxQueryBuilder builds a FluxQuery (cog.Builder[variants.Dataquery]).
type FluxQueryBuilder struct{ internal FluxQuery }

var _ cog.Builder[variants.Dataquery] = (*FluxQueryBuilder)(nil)

// NewFluxQueryBuilder starts a Flux query on duban's InfluxDB datasource.
func NewFluxQueryBuilder(query string) *FluxQueryBuilder {
	ds := influxDS()
	return &FluxQueryBuilder{internal: FluxQuery{Query: query, Datasource: &ds}}
}

// RefId sets the query's reference id.
func (b *FluxQueryBuilder) RefId(ref string) *FluxQueryBuilder { b.internal.RefId = ref; return b }

// Build validates and returns the query.
func (b *FluxQueryBuilder) Build() (variants.Dataquery, error) {
	if err := b.internal.Validate(); err != nil {
		return FluxQuery{}, err
	}
	return b.internal, nil
}
