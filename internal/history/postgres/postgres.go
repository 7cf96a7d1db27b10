// Package postgres is the history store in PostgreSQL, for a history shared by
// several machines or pipelines (`--db postgres://…`). It uses pgx. A scan is
// written in one transaction with COPY for its result rows; two scans written
// at once both land (rows they share are inserted in one order, and a
// transaction PostgreSQL aborts for a deadlock or serialization failure is
// tried again). Schema migrations run under an advisory lock, so processes
// opening a new database at once apply each migration once. The schema lives
// in the connection's search_path, so one database can hold several
// histories (`?search_path=team_a`).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmkguard/cmkguard/internal/history"
)

// Store is a history.Store in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	name string // the URL without its password, for messages
}

var _ history.Store = (*Store)(nil)

// Open connects to the database at url (postgres:// or postgresql://) and
// applies any schema migrations it lacks.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	name := redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", name, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", name, err)
	}
	s := &Store{pool: pool, name: name}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("history database %s: %w", name, err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	slog.Debug("history database open", "url", name)
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// redact drops the password from a connection URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.Redacted()
}

// retryable reports whether PostgreSQL aborted the transaction for a deadlock
// or a serialization failure, which a new attempt resolves.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// inTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise; retryable aborts are tried again up to four more times.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, fn)
		if err == nil || !retryable(err) || attempt == 5 || ctx.Err() != nil {
			return err
		}
		slog.Warn("history database: transaction aborted by the server; trying again", "url", s.name, "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}
