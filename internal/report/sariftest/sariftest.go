// Package sariftest validates SARIF documents in tests against the SARIF
// 2.1.0 JSON schema kept in internal/report/testdata (a copy of the OASIS
// schema, so that tests need nothing outside the repository). Every test that
// makes a SARIF document validates it here.
package sariftest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaPath is the schema's path below the module root.
const SchemaPath = "internal/report/testdata/sarif-schema-2.1.0.json"

var (
	once   sync.Once
	schema *jsonschema.Schema
	errSch error
)

// Validate fails the test unless doc is a SARIF 2.1.0 log that validates
// against the schema, with format assertions (uri, date-time) on.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	if err := Check(doc); err != nil {
		t.Fatal(err)
	}
}

// Check returns why doc is not a valid SARIF 2.1.0 log, or nil.
func Check(doc []byte) error {
	once.Do(func() { schema, errSch = compile() })
	if errSch != nil {
		return fmt.Errorf("SARIF schema: %w", errSch)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("SARIF document is not JSON: %w", err)
	}
	if err := schema.Validate(inst); err != nil {
		return fmt.Errorf("SARIF document does not validate against the 2.1.0 schema: %w", err)
	}
	return nil
}

func compile() (*jsonschema.Schema, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, SchemaPath))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("sarif-schema-2.1.0.json")
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}
