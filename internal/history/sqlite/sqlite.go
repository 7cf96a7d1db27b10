// Package sqlite is the history store in a local SQLite file, the default. It
// uses modernc.org/sqlite, a pure-Go SQLite, so cmkguard builds with
// CGO_ENABLED=0. The database runs in WAL mode with a busy timeout: readers
// never block the writer, and two cmkguard processes recording at once take
// turns instead of failing. Every write transaction starts IMMEDIATE, so a
// writer holds the write lock from its first statement and never has to
// upgrade a read lock (which SQLite cannot wait for).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite"

	"github.com/cmkguard/cmkguard/internal/history"
)

// busyTimeout is how long a writer waits for another writer's transaction.
const busyTimeout = 60 * time.Second

// Store is a history.Store in an SQLite file.
type Store struct {
	db   *sql.DB
	path string

	mu        sync.Mutex
	resources map[int64]resource // cache of the resources table; rows never change
}

type resource struct{ key, armID string }

var _ history.Store = (*Store)(nil)

// DefaultPath is where the history lives without --db:
// $XDG_DATA_HOME/cmkguard/history.db, or ~/.local/share/cmkguard/history.db.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "cmkguard", "history.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history database: no --db given and no home directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "cmkguard", "history.db"), nil
}

// Open opens the history at path, creating the file (readable by its owner
// only) and its directory when they do not exist, and applies any schema
// migrations it lacks.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	_, statErr := os.Stat(abs)
	created := errors.Is(statErr, os.ErrNotExist)
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	s := &Store{db: db, path: path, resources: map[int64]resource{}}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	if created {
		if err := os.Chmod(abs, 0o600); err != nil {
			slog.Warn("history database: could not restrict permissions", "path", abs, "err", err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	slog.Debug("history database open", "path", abs)
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close history database %s: %w", s.path, err)
	}
	return nil
}

// busy reports whether err is SQLite telling a writer that the database is
// locked, which is worth another try once the busy timeout has run out.
func busy(err error) bool {
	var e *sqlite3.Error
	return errors.As(err, &e) && e.Code()&0xff == 5 // SQLITE_BUSY and its extended codes
}

// timeLayout is how times are stored: UTC, fixed width, so that they sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// bounds turns a window into inclusive text bounds.
func bounds(w history.Window) (string, string) {
	since, until := "0000", "9999"
	if !w.Since.IsZero() {
		since = fmtTime(w.Since)
	}
	if !w.Until.IsZero() {
		until = fmtTime(w.Until)
	}
	return since, until
}
