package api

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/duban-gov/duban/indicators"
)

// encoding/json matches object keys to struct fields without regard to case (and folds
// ſ to s and K to k), and lets a later duplicate key override an earlier one: {"value":1,
// "Value":2} would store 2. A report is a record of what a department declared, so the
// API accepts only the exact field names, once each. keyCheck runs over a body that
// already decoded strictly, so it needs no syntax checks of its own; it is a single
// byte scan (no allocation for keys without escapes), cheap beside the decode.

// knownKeys are the exact names of the request body, the envelope's and a report's,
// each with its own bit.
var knownKeys = func() map[string]uint32 {
	m := map[string]uint32{"reports": 1}
	t := reflect.TypeFor[indicators.Report]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = 1 << len(m)
		}
	}
	return m
}()

// keyProblem is a key that is not one of knownKeys as written, or a key repeated in
// one object.
type keyProblem struct {
	key       string
	duplicate bool
}

// checkKeys scans the valid JSON document b and returns the first key that is not
// exactly a known name, or that repeats in its object.
func checkKeys(b []byte) (keyProblem, bool) {
	var (
		stack     []byte   // '{' or '[' per open container
		seen      []uint32 // keys seen per open object
		expectKey bool
	)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{':
			stack = append(stack, '{')
			seen = append(seen, 0)
			expectKey = true
		case '[':
			stack = append(stack, '[')
			expectKey = false
		case '}', ']':
			if c == '}' && len(seen) > 0 {
				seen = seen[:len(seen)-1]
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case '"':
			j := i + 1
			escaped := false
			for ; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					escaped = true
					j++
				}
			}
			if expectKey && len(seen) > 0 {
				bit, ok := knownKeys[string(b[i+1:j])]
				if escaped {
					var key string
					if json.Unmarshal(b[i:min(j+1, len(b))], &key) != nil {
						return keyProblem{key: string(b[i+1 : j])}, true
					}
					bit, ok = knownKeys[key]
				}
				if !ok {
					key := string(b[i+1 : j])
					_ = json.Unmarshal(b[i:min(j+1, len(b))], &key)
					return keyProblem{key: key}, true
				}
				if seen[len(seen)-1]&bit != 0 {
					key := string(b[i+1 : j])
					_ = json.Unmarshal(b[i:min(j+1, len(b))], &key)
					return keyProblem{key: key, duplicate: true}, true
				}
				seen[len(seen)-1] |= bit
				expectKey = false
			}
			i = j
		}
	}
	return keyProblem{}, false
}
