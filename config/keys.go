package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
)

// Flat returns every key of c with its value: "store.path" → "./data",
// "auth.tokens" → []auth.Token.
func Flat(c Config) (map[string]any, error) {
	nested := map[string]any{}
	if err := mapstructure.Decode(c, &nested); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	flat := map[string]any{}
	flatten("", nested, func(k string, v any) { flat[k] = v })
	return flat, nil
}

// Changed names the keys whose values differ between a and b, sorted. An empty list and
// no list are the same value.
func Changed(a, b Config) ([]string, error) {
	fa, err := Flat(a)
	if err != nil {
		return nil, err
	}
	fb, err := Flat(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, va := range fa {
		if !same(va, fb[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

func same(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() == reflect.Slice && vb.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Merge returns base with the value of every key for which take holds taken from next.
func Merge(base, next Config, take func(key string) bool) (Config, error) {
	fb, err := Flat(base)
	if err != nil {
		return Config{}, err
	}
	fn, err := Flat(next)
	if err != nil {
		return Config{}, err
	}
	nested := map[string]any{}
	for k, v := range fb {
		if take(k) {
			v = fn[k]
		}
		m := nested
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	var out Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &out, ErrorUnused: true, ErrorUnset: true})
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := dec.Decode(nested); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return out, nil
}

// Under reports whether key is prefix or a key under it: "limits" covers
// "limits.rate_per_second", "auth.tokens" only itself.
func Under(key, prefix string) bool {
	return key == prefix || strings.HasPrefix(key, prefix+".")
}
