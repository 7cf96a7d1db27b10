package history

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// EncodeResults is how stores keep a scan's results as reported (messages,
// evidence, remediation, frameworks): gzip-compressed JSON, one value per
// scan. Result rows of the same scan repeat rule metadata and similar
// messages, so this is a small fraction of a row per field.
func EncodeResults(results []rules.Result) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if results == nil {
		results = []rules.Result{}
	}
	if err := json.NewEncoder(zw).Encode(results); err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeResults reverses EncodeResults.
func DecodeResults(b []byte) ([]rules.Result, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode stored results: %w", err)
	}
	var out []rules.Result
	if err := json.NewDecoder(zr).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode stored results: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("decode stored results: %w", err)
	}
	return out, nil
}
