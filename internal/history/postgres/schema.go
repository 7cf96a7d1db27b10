package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cmkguard/cmkguard/internal/history"
)

// migrations are the schema versions in order; migrations[i] takes the
// database to version i+1. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: scans, their results and in-scope workloads, audit records.
	`CREATE TABLE scans (
		id BIGSERIAL PRIMARY KEY,
		at TIMESTAMPTZ NOT NULL,
		tool TEXT NOT NULL,
		inputs TEXT[] NOT NULL,
		resources_read INTEGER NOT NULL,
		resources INTEGER NOT NULL,
		results_count INTEGER NOT NULL,
		pass INTEGER NOT NULL,
		fail INTEGER NOT NULL,
		unknown INTEGER NOT NULL,
		waived INTEGER NOT NULL,
		in_scope INTEGER NOT NULL,
		compliant INTEGER NOT NULL,
		compliance_percent DOUBLE PRECISION NOT NULL,
		results_json BYTEA NOT NULL -- gzip of the JSON array of results as reported
	);
	CREATE INDEX scans_at ON scans (at, id);
	CREATE TABLE resources (
		id BIGSERIAL PRIMARY KEY,
		key TEXT NOT NULL UNIQUE, -- lower-case ARM id
		arm_id TEXT NOT NULL,      -- as first recorded
		type TEXT NOT NULL
	);
	CREATE TABLE results (
		scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
		resource_id BIGINT NOT NULL REFERENCES resources (id),
		rule TEXT NOT NULL,
		status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'unknown', 'waived')),
		severity TEXT NOT NULL
	);
	CREATE INDEX results_scan ON results (scan_id);
	CREATE TABLE scan_workloads (
		scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
		resource_id BIGINT NOT NULL REFERENCES resources (id),
		compliant BOOLEAN NOT NULL,
		PRIMARY KEY (scan_id, resource_id)
	);
	CREATE TABLE audit_records (
		key TEXT PRIMARY KEY,
		at TIMESTAMPTZ NOT NULL,
		vault TEXT NOT NULL,
		operation TEXT NOT NULL,
		http_status INTEGER NOT NULL,
		signature TEXT NOT NULL,
		result_type TEXT NOT NULL,
		caller_ip TEXT NOT NULL,
		correlation_id TEXT NOT NULL,
		identity TEXT NOT NULL,
		scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE -- the first scan given it
	);
	CREATE INDEX audit_records_at ON audit_records (at);`,
	// 2: what a scan saw beyond its results, for the dashboard (history.Detail).
	`CREATE TABLE scan_details (
		scan_id BIGINT PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
		detail BYTEA NOT NULL -- gzip of the JSON history.Detail
	);`,
	// 3: each scan's results in the compact form the KPIs read over many scans
	// (history.EncodeOutcomes); scans recorded before have their result rows.
	`CREATE TABLE scan_outcomes (
		scan_id BIGINT PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
		outcomes BYTEA NOT NULL
	);`,
}

// migrationLock is the advisory lock key that serialises migrations.
const migrationLock = 0x636d6b67 // "cmkg"

// migrate brings the schema to the newest version in one transaction. A
// database already at the newest version is only read.
func (s *Store) migrate(ctx context.Context) error {
	var current int
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("history database %s: read schema version: %w", s.name, err)
	}
	if exists {
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("history database %s: read schema version: %w", s.name, err)
		}
		switch {
		case current == len(migrations):
			return nil
		case current > len(migrations):
			return fmt.Errorf("history database %s is at schema version %d, this cmkguard knows %d: %w",
				s.name, current, len(migrations), history.ErrSchemaTooNew)
		}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("history database %s: lock for migration: %w", s.name, err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("history database %s: create schema_migrations: %w", s.name, err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
			return fmt.Errorf("history database %s: read schema version: %w", s.name, err)
		}
		if v > len(migrations) {
			return fmt.Errorf("history database %s is at schema version %d, this cmkguard knows %d: %w",
				s.name, v, len(migrations), history.ErrSchemaTooNew)
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("history database %s: migrate to schema version %d: %w", s.name, i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
				return fmt.Errorf("history database %s: record schema version %d: %w", s.name, i+1, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the schema version the database is at.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("history database %s: read schema version: %w", s.name, err)
	}
	return v, nil
}
