package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack;
// a payload needs three levels.
const maxJSONDepth = 32

// decodeStrictJSON parses data as exactly one JSON value. Unlike
// json.Unmarshal it rejects duplicate object keys at any depth (a verifier
// and an attacker's parser must never disagree on which value counts) and
// any data after the value. Objects become map[string]any, arrays []any,
// numbers json.Number.
func decodeStrictJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := walkJSON(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func walkJSON(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("%s: JSON nested too deeply", where(path))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(path), err)
	}
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where(path), err)
			}
			key := kt.(string) // the decoder only yields strings in key position
			if _, dup := obj[key]; dup {
				return nil, fmt.Errorf("%s: duplicate key %q", where(path), key)
			}
			v, err := walkJSON(dec, joinPath(path, key), depth+1)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		if _, err := dec.Token(); err != nil { // the closing '}'
			return nil, fmt.Errorf("%s: %w", where(path), err)
		}
		return obj, nil
	case json.Delim('['):
		arr := []any{}
		for i := 0; dec.More(); i++ {
			v, err := walkJSON(dec, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil { // the closing ']'
			return nil, fmt.Errorf("%s: %w", where(path), err)
		}
		return arr, nil
	default:
		return tok, nil
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

// exactObject checks that v is an object holding exactly the keys listed
// (none missing, none extra) and returns it.
func exactObject(v any, path string, keys ...string) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a JSON object, got %s", where(path), jsonKind(v))
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			return nil, fmt.Errorf("%s: missing key %q", where(path), k)
		}
	}
	if len(obj) != len(keys) {
		for k := range obj {
			known := false
			for _, want := range keys {
				known = known || k == want
			}
			if !known {
				return nil, fmt.Errorf("%s: unknown key %q", where(path), k)
			}
		}
	}
	return obj, nil
}

func stringField(obj map[string]any, path, key string) (string, error) {
	s, ok := obj[key].(string)
	if !ok {
		return "", fmt.Errorf("%s: expected a string, got %s", joinPath(path, key), jsonKind(obj[key]))
	}
	return s, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
