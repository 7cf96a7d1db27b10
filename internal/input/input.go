// Package input reads Azure's own JSON into the estate model: JSON arrays of
// ARM resources, {"value": [...]} list responses, {"data": [...]} Resource Graph
// results (object-array and table format), NDJSON snapshots (with their
// collection header), single resources (az keyvault show), Azure CLI and Azure
// PowerShell exports (PascalCase, children nested under "resources"), and Key
// Vault audit logs ({"records": [...]}, one record a line, or Log Analytics
// AzureDiagnostics and AZKVAuditLogs rows).
//
// Shapes are recognised by content, never by file name. Input is streamed:
// UTF-8 text is read in blocks of a few megabytes, decoded on every core and
// handed over in input order (see readBlocks), and a document that spans
// blocks (a large envelope) is read one item at a time, so a large file is
// never held whole or as one tree. Every resource, record and warning carries
// the file, byte offset and line it was read at; lines are counted while the
// input is decoded (see lineCounter), so stdin gets them too.
// Malformed input is a *PositionError; anything read but not usable is a
// warning, never silently dropped.
package input

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Sink receives what the readers find. *estate.Builder implements it.
type Sink interface {
	Add(*estate.Resource)
	AddHeader(*estate.Header)
	AddAudit(*estate.AuditRecord)
	Warn(src estate.Source, format string, args ...any)
}

// ReadPaths reads files, folders (every *.json, *.ndjson and *.jsonl below,
// in lexical order) and "-" for stdin.
func ReadPaths(ctx context.Context, paths []string, stdin io.Reader, sink Sink) error {
	for _, p := range paths {
		if p == "-" {
			if err := Read(ctx, "-", stdin, sink); err != nil {
				return err
			}
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
		if !info.IsDir() {
			if err := ReadFile(ctx, p, sink); err != nil {
				return err
			}
			continue
		}
		files, err := listInputs(p)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := ReadFile(ctx, f, sink); err != nil {
				return err
			}
		}
	}
	return nil
}

// listInputs returns the input files below dir, sorted.
func listInputs(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json", ".ndjson", ".jsonl":
			if !d.IsDir() {
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading input folder %s: %w", dir, err)
	}
	slices.Sort(files)
	return files, nil
}

// ReadFile reads one file. Errors name the file, the line and the byte offset.
func ReadFile(ctx context.Context, path string, sink Sink) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading input: %w", err)
	}
	defer f.Close()
	return Read(ctx, path, f, sink)
}

// PositionError is malformed input at a known place.
type PositionError struct {
	File   string
	Offset int64 // byte offset in the file
	Line   int   // 1-based; 0 when unknown
	Err    error
}

// Error renders the error as FILE:LINE (byte OFFSET): MESSAGE, the form
// editors and CI logs link to.
func (e *PositionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d (byte %d): %v", e.File, e.Line, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s (byte %d): %v", e.File, e.Offset, e.Err)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *PositionError) Unwrap() error { return e.Err }
