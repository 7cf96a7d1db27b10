package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// WriteJSON writes the report as one indented JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	if r.Results == nil {
		r.Results = []rules.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
