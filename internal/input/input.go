// Package input reads Azure's own JSON into the estate model: JSON arrays of
// ARM resources, {"value": [...]} list responses, {"data": [...]} Resource Graph
// results, NDJSON snapshots (with their collection header), Azure PowerShell
// exports (PascalCase, children nested under "resources"), and Key Vault audit
// logs ({"records": [...]} or one record a line). Shapes are recognised by
// content, never by file name. Input is streamed: one resource is decoded at a
// time, so a large NDJSON file is never held as one tree.
package input

import (
	"bufio"
	"context"
	"errors"
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

// ReadPaths reads files, folders (every *.json and *.ndjson below, in lexical
// order) and "-" for stdin.
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
			return fmt.Errorf("read %s: %w", p, err)
		}
		if !info.IsDir() {
			if err := ReadFile(ctx, p, sink); err != nil {
				return err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(path))
			if !d.IsDir() && (ext == ".json" || ext == ".ndjson" || ext == ".jsonl") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		slices.Sort(files)
		for _, f := range files {
			if err := ReadFile(ctx, f, sink); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadFile reads one file. Errors name the file and the line and byte offset.
func ReadFile(ctx context.Context, path string, sink Sink) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	err = Read(ctx, path, f, sink)
	var perr *PositionError
	if errors.As(err, &perr) && perr.Line == 0 {
		perr.Line = lineAt(path, perr.Offset)
	}
	return err
}

// PositionError is malformed input at a known place.
type PositionError struct {
	File   string
	Offset int64
	Line   int // 0 when unknown (stdin)
	Err    error
}

func (e *PositionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d (byte %d): %v", e.File, e.Line, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s (byte %d): %v", e.File, e.Offset, e.Err)
}

func (e *PositionError) Unwrap() error { return e.Err }

// lineAt counts the lines of a file up to a byte offset.
func lineAt(path string, offset int64) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, offset))
	line := 1
	for {
		b, err := r.ReadByte()
		if err != nil {
			return line
		}
		if b == '\n' {
			line++
		}
	}
}
