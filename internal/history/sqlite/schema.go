package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
)

// migrations are the schema versions in order; migrations[i] takes the
// database to version i+1. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: scans, their results and in-scope workloads, audit records.
	`CREATE TABLE scans (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at TEXT NOT NULL,
		tool TEXT NOT NULL,
		inputs TEXT NOT NULL, -- JSON array of the paths scanned
		resources_read INTEGER NOT NULL,
		resources INTEGER NOT NULL,
		results_count INTEGER NOT NULL,
		pass INTEGER NOT NULL,
		fail INTEGER NOT NULL,
		unknown INTEGER NOT NULL,
		waived INTEGER NOT NULL,
		in_scope INTEGER NOT NULL,
		compliant INTEGER NOT NULL,
		compliance_percent REAL NOT NULL,
		results_json BLOB NOT NULL -- gzip of the JSON array of results as reported
	);
	CREATE INDEX scans_at ON scans (at, id);
	CREATE TABLE resources (
		id INTEGER PRIMARY KEY,
		key TEXT NOT NULL UNIQUE, -- lower-case ARM id
		arm_id TEXT NOT NULL,      -- as first recorded
		type TEXT NOT NULL
	);
	CREATE TABLE results (
		scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
		resource_id INTEGER NOT NULL REFERENCES resources (id),
		rule TEXT NOT NULL,
		status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'unknown', 'waived')),
		severity TEXT NOT NULL
	);
	CREATE INDEX results_scan ON results (scan_id);
	CREATE TABLE scan_workloads (
		scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
		resource_id INTEGER NOT NULL REFERENCES resources (id),
		compliant INTEGER NOT NULL,
		PRIMARY KEY (scan_id, resource_id)
	) WITHOUT ROWID;
	CREATE TABLE audit_records (
		key TEXT PRIMARY KEY,
		at TEXT NOT NULL,
		vault TEXT NOT NULL,
		operation TEXT NOT NULL,
		http_status INTEGER NOT NULL,
		signature TEXT NOT NULL,
		result_type TEXT NOT NULL,
		caller_ip TEXT NOT NULL,
		correlation_id TEXT NOT NULL,
		identity TEXT NOT NULL,
		scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE -- the first scan given it
	);
	CREATE INDEX audit_records_at ON audit_records (at);`,
	// 2: what a scan saw beyond its results, for the dashboard (history.Detail).
	`CREATE TABLE scan_details (
		scan_id INTEGER PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
		detail BLOB NOT NULL -- gzip of the JSON history.Detail
	);`,
	// 3: each scan's results in the compact form the KPIs read over many scans
	// (history.EncodeOutcomes); scans recorded before have their result rows.
	`CREATE TABLE scan_outcomes (
		scan_id INTEGER PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
		outcomes BLOB NOT NULL
	);`,
}

// migrate brings the schema to the newest version in one transaction, which
// also serialises two processes opening a new database at once. A database
// already at the newest version is only read, so opening it never waits for
// a writer.
func (s *Store) migrate(ctx context.Context) error {
	var current int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current)
	switch {
	case err == nil && current == len(migrations):
		return nil
	case err == nil && current > len(migrations):
		return fmt.Errorf("history database %s is at schema version %d, this cmkguard knows %d: %w",
			s.path, current, len(migrations), history.ErrSchemaTooNew)
	}
	// A new database (no schema_migrations yet) or one that lacks migrations.
	return s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("history database %s: create schema_migrations: %w", s.path, err)
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
			return fmt.Errorf("history database %s: read schema version: %w", s.path, err)
		}
		if v > len(migrations) {
			return fmt.Errorf("history database %s is at schema version %d, this cmkguard knows %d: %w",
				s.path, v, len(migrations), history.ErrSchemaTooNew)
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("history database %s: migrate to schema version %d: %w", s.path, i+1, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				i+1, fmtTime(time.Now())); err != nil {
				return fmt.Errorf("history database %s: record schema version %d: %w", s.path, i+1, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the schema version the database is at.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("history database %s: read schema version: %w", s.path, err)
	}
	return v, nil
}
