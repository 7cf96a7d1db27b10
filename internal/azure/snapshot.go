package azure

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Header is the first line of a snapshot: when and where it was collected,
// by which tool, and everything that could not be read. Package input reads
// it (collectedAt, scopes, tool, coverage); the other fields are for people.
type Header struct {
	CollectedAt time.Time `json:"collectedAt"`
	Scopes      []string  `json:"scopes"`
	Tool        Tool      `json:"tool"`
	Cloud       string    `json:"cloud"`
	Coverage    []Gap     `json:"coverage"`
	Stats       Stats     `json:"stats"`
}

// Tool names the collector.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Stats counts what a collection did.
type Stats struct {
	Resources       int     `json:"resources"`       // lines written after the header
	Duplicates      int     `json:"duplicates"`      // rows seen again (same id) and not written twice
	Subscriptions   int     `json:"subscriptions"`   // subscriptions seen in resourcecontainers
	Vaults          int     `json:"vaults"`          // Key Vaults and Managed HSMs whose keys were read
	GraphPages      int64   `json:"graphPages"`      // Resource Graph pages read
	GraphRequests   int64   `json:"graphRequests"`   // Resource Graph requests sent, retries included
	ARMRequests     int64   `json:"armRequests"`     // ARM requests sent, retries included
	Throttled       int64   `json:"throttled"`       // 429 answers
	Unavailable     int64   `json:"unavailable"`     // 503 answers
	Retries         int64   `json:"retries"`         // requests sent again after 429 or 503
	DurationSeconds float64 `json:"durationSeconds"` // by the collector's clock
}

// Snapshot is a finished collection: its header and the resources, spooled
// to a temporary file until written. Close removes the spool.
type Snapshot struct {
	Header Header
	spool  *os.File
}

// WriteTo writes the NDJSON snapshot: the header line, then one resource a line.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	h, err := json.Marshal(s.Header)
	if err != nil {
		return 0, fmt.Errorf("encode snapshot header: %w", err)
	}
	n, err := w.Write(append(h, '\n'))
	total := int64(n)
	if err != nil {
		return total, fmt.Errorf("write snapshot: %w", err)
	}
	if _, err := s.spool.Seek(0, io.SeekStart); err != nil {
		return total, fmt.Errorf("read spooled resources: %w", err)
	}
	m, err := io.Copy(w, s.spool)
	total += m
	if err != nil {
		return total, fmt.Errorf("write snapshot: %w", err)
	}
	return total, nil
}

// Close removes the spooled resources.
func (s *Snapshot) Close() error {
	if s.spool == nil {
		return nil
	}
	name := s.spool.Name()
	err := s.spool.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.spool = nil
	return err
}

// spool collects resource lines in a temporary file, each id once.
type spool struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	seen map[string]struct{}
	n    int
	dups int
	buf  bytes.Buffer
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "cmkguard-collect-*.ndjson")
	if err != nil {
		return nil, fmt.Errorf("spool resources: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 1<<16), seen: map[string]struct{}{}}, nil
}

// add writes one resource unless its id was written already, compacting it
// to one line unless the caller says it is compact. It reports whether the
// resource was new.
func (s *spool) add(id string, raw []byte, compact bool) (bool, error) {
	key := strings.ToLower(strings.TrimRight(id, "/"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[key]; ok {
		s.dups++
		return false, nil
	}
	line := raw
	if !compact {
		s.buf.Reset()
		if err := json.Compact(&s.buf, raw); err != nil {
			return false, fmt.Errorf("resource %s: %w", id, err)
		}
		line = s.buf.Bytes()
	}
	if _, err := s.w.Write(line); err != nil {
		return false, fmt.Errorf("spool resources: %w", err)
	}
	if err := s.w.WriteByte('\n'); err != nil {
		return false, fmt.Errorf("spool resources: %w", err)
	}
	s.seen[key] = struct{}{}
	s.n++
	return true, nil
}

// finish flushes the spool and hands its file over.
func (s *spool) finish() (*os.File, error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("spool resources: %w", err)
	}
	return s.f, nil
}

// discard removes the spool after a failed collection.
func (s *spool) discard() {
	name := s.f.Name()
	s.f.Close()
	os.Remove(name)
}
