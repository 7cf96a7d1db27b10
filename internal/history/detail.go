package history

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/report"
)

// Detail is what a scan saw beyond its results, recorded so that the
// dashboard (cmkguard serve) can show it later without the snapshot: the
// resources, keys, vaults and evidence chains the report names, how the
// scan's policy classified each resource, every key deadline, and the blast
// radius of every key. It is a copy of views the scan already computed; the
// history never derives a finding from it.
type Detail struct {
	// Context is the report's context: resources (with tags), keys (with
	// expiry and users), vaults and workload → identity → key → vault chains.
	Context *report.Context `json:"context,omitempty"`
	// Labels are each judged resource's classification and tenant, as the
	// scan's policy read its tags.
	Labels []Label `json:"labels,omitempty"`
	// Forecast holds every key deadline of the snapshot (its window is
	// ForecastDays), the identities that already lack access to their key
	// and the workloads a vault firewall shuts out.
	Forecast *impact.Forecast `json:"forecast,omitempty"`
	// Keys is the blast radius of each key in the snapshot.
	Keys []impact.Impact `json:"keys,omitempty"`
}

// ForecastDays is how far ahead of the scan the recorded forecast looks:
// far enough to hold every deadline a key can have, so that a dashboard
// opened long after the scan still sees the deadlines ahead of it.
const ForecastDays = 100 * 366

// Label is how the policy of a scan classified one resource.
type Label struct {
	Resource string `json:"resource"` // ARM id
	// Classification is the value of the classification tag as written, ""
	// when the resource carries none.
	Classification string `json:"classification,omitempty"`
	Sensitive      bool   `json:"sensitive"`
	Tenant         string `json:"tenant,omitempty"`
}

// EncodeDetail is how stores keep a scan's Detail: gzip-compressed JSON.
func EncodeDetail(d *Detail) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(d); err != nil {
		return nil, fmt.Errorf("encode scan detail: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode scan detail: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeDetail reverses EncodeDetail.
func DecodeDetail(b []byte) (*Detail, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode stored scan detail: %w", err)
	}
	d := &Detail{}
	if err := json.NewDecoder(zr).Decode(d); err != nil {
		return nil, fmt.Errorf("decode stored scan detail: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("decode stored scan detail: %w", err)
	}
	return d, nil
}
