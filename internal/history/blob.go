package history

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// storedResults is the stored form of a scan's results. Remediation and
// frameworks are rule metadata, the same on every result of a rule and a
// third of a result's size, so each distinct pair is written once in Meta and
// results name it by index.
type storedResults struct {
	Meta    []resultMeta   `json:"meta"`
	Results []storedResult `json:"results"`
}

type resultMeta struct {
	Remediation string   `json:"remediation,omitempty"`
	Frameworks  []string `json:"frameworks,omitempty"`
}

type storedResult struct {
	rules.Result
	Meta int `json:"meta"`
}

// EncodeResults is how stores keep a scan's results as reported (messages,
// evidence, remediation, frameworks): gzip-compressed JSON, one value per
// scan, with each rule's remediation and frameworks written once.
func EncodeResults(results []rules.Result) ([]byte, error) {
	doc := storedResults{Meta: []resultMeta{}, Results: make([]storedResult, len(results))}
	index := map[string]int{}
	for i, r := range results {
		key := r.Remediation + "\x00" + strings.Join(r.Frameworks, "\x00")
		m, ok := index[key]
		if !ok {
			m = len(doc.Meta)
			index[key] = m
			doc.Meta = append(doc.Meta, resultMeta{Remediation: r.Remediation, Frameworks: r.Frameworks})
		}
		r.Remediation, r.Frameworks = "", nil
		doc.Results[i] = storedResult{Result: r, Meta: m}
	}
	var buf bytes.Buffer
	// Speed over size: the value is written with every scan, and what is
	// left after taking out the metadata compresses well at the fastest level.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	if err := json.NewEncoder(zw).Encode(doc); err != nil {
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
	var doc storedResults
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode stored results: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("decode stored results: %w", err)
	}
	out := make([]rules.Result, len(doc.Results))
	for i, r := range doc.Results {
		if r.Meta < 0 || r.Meta >= len(doc.Meta) {
			return nil, fmt.Errorf("decode stored results: result %d names metadata %d of %d", i, r.Meta, len(doc.Meta))
		}
		m := doc.Meta[r.Meta]
		out[i] = r.Result
		out[i].Remediation, out[i].Frameworks = m.Remediation, slices.Clone(m.Frameworks)
	}
	return out, nil
}
