package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the SQL databases.
type dialect struct {
	name string
	// schema creates the tables when missing.
	schema []string
	// positional turns "?" placeholders into "$1", "$2"... (PostgreSQL).
	positional bool
	// migrate runs the schema statements, serialised across processes.
	migrate func(ctx context.Context, db *sql.DB, stmts []string) error
}

// sqlStore is a Store over database/sql.
type sqlStore struct {
	db *sql.DB
	d  dialect
}

// q rewrites a query's placeholders for the dialect.
func (s *sqlStore) q(query string) string {
	if !s.d.positional {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func newSQLStore(ctx context.Context, db *sql.DB, d dialect) (*sqlStore, error) {
	s := &sqlStore{db: db, d: d}
	if err := d.migrate(ctx, db, d.schema); err != nil {
		return nil, fmt.Errorf("store (%s): create tables: %w", d.name, err)
	}
	return s, nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func (s *sqlStore) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store (%s): %s: %w", s.d.name, op, err)
}

func (s *sqlStore) Records(ctx context.Context, res Resource) (map[string]Record, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT external_id, hipcall_id, hash, fields, synced_at, in_flight FROM sync_records WHERE resource = ?`), string(res))
	if err != nil {
		return nil, s.wrap("read "+string(res), err)
	}
	defer rows.Close()
	out := map[string]Record{}
	for rows.Next() {
		r := Record{Resource: res}
		var fields string
		var synced, inFlight int64
		if err := rows.Scan(&r.ExternalID, &r.HipcallID, &r.Hash, &fields, &synced, &inFlight); err != nil {
			return nil, s.wrap("read "+string(res), err)
		}
		r.Fields, r.SyncedAt, r.InFlight = []byte(fields), fromMS(synced), inFlight != 0
		out[r.ExternalID] = r
	}
	return out, s.wrap("read "+string(res), rows.Err())
}

func (s *sqlStore) Get(ctx context.Context, res Resource, externalID string) (Record, bool, error) {
	r := Record{Resource: res, ExternalID: externalID}
	var fields string
	var synced, inFlight int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT hipcall_id, hash, fields, synced_at, in_flight FROM sync_records WHERE resource = ? AND external_id = ?`),
		string(res), externalID).Scan(&r.HipcallID, &r.Hash, &fields, &synced, &inFlight)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, s.wrap("read "+string(res)+" "+externalID, err)
	}
	r.Fields, r.SyncedAt, r.InFlight = []byte(fields), fromMS(synced), inFlight != 0
	return r, true, nil
}

func (s *sqlStore) Put(ctx context.Context, r Record) error {
	if r.Resource == "" || r.ExternalID == "" {
		return errors.New("store: put: a record needs a resource and an external id")
	}
	fields := string(r.Fields)
	if fields == "" {
		fields = "{}"
	}
	inFlight := 0
	if r.InFlight {
		inFlight = 1
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sync_records (resource, external_id, hipcall_id, hash, fields, synced_at, in_flight)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (resource, external_id) DO UPDATE SET
  hipcall_id = excluded.hipcall_id, hash = excluded.hash, fields = excluded.fields, synced_at = excluded.synced_at,
  in_flight = excluded.in_flight`),
		string(r.Resource), r.ExternalID, r.HipcallID, r.Hash, fields, ms(r.SyncedAt), inFlight)
	return s.wrap("write "+string(r.Resource)+" "+r.ExternalID, err)
}

func (s *sqlStore) Delete(ctx context.Context, res Resource, externalID string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sync_records WHERE resource = ? AND external_id = ?`), string(res), externalID)
	return s.wrap("delete "+string(res)+" "+externalID, err)
}

func (s *sqlStore) DeleteAll(ctx context.Context, res Resource) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sync_records WHERE resource = ?`), string(res))
	return s.wrap("delete every "+string(res), err)
}

func (s *sqlStore) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM sync_meta WHERE key = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.wrap("read "+key, err)
	}
	return v, true, nil
}

func (s *sqlStore) SetMeta(ctx context.Context, key, value string) error {
	if key == "" {
		return errors.New("store: set meta: the key is empty")
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sync_meta (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	return s.wrap("write "+key, err)
}

func (s *sqlStore) Acquire(ctx context.Context, req LeaseRequest) (Lease, error) {
	if req.Name == "" || req.Holder == "" || req.TTL <= 0 {
		return Lease{}, errors.New("store: acquire lease: name, holder and a positive TTL are required")
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	expires := now.Add(req.TTL)
	takeOver := req.TakeOver
	if takeOver == "" {
		takeOver = req.Holder
	}
	// One statement: insert, or take over when expired, ours, or TakeOver's.
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sync_leases (name, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE sync_leases.expires_at <= ? OR sync_leases.holder = ? OR sync_leases.holder = ?`),
		req.Name, req.Holder, ms(expires), ms(now), req.Holder, takeOver)
	if err != nil {
		return Lease{}, s.wrap("acquire lease "+req.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return Lease{}, s.wrap("acquire lease "+req.Name, err)
	} else if n == 1 {
		return Lease{Name: req.Name, Holder: req.Holder, Expires: fromMS(ms(expires))}, nil
	}
	held := Lease{Name: req.Name}
	var exp int64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT holder, expires_at FROM sync_leases WHERE name = ?`), req.Name).Scan(&held.Holder, &exp)
	if err != nil {
		return Lease{}, s.wrap("read lease "+req.Name, err)
	}
	held.Expires = fromMS(exp)
	return Lease{}, &LeaseHeldError{Lease: held}
}

func (s *sqlStore) Release(ctx context.Context, name, holder string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sync_leases WHERE name = ? AND holder = ?`), name, holder)
	return s.wrap("release lease "+name, err)
}

func encodeCounts(c map[string]int64) (string, error) {
	if c == nil {
		return "{}", nil
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// runDetails is what a run records beyond its columns, as the JSON of
// sync_runs.details (added after the first release: old rows hold '{}').
type runDetails struct {
	UpdatedAt     int64        `json:"updated_at,omitempty"` // unix ms
	DryRun        bool         `json:"dry_run,omitempty"`
	Phase         string       `json:"phase,omitempty"`
	Resource      string       `json:"resource,omitempty"`
	Done          int64        `json:"done,omitempty"`
	Total         int64        `json:"total,omitempty"`
	Problems      []RunProblem `json:"problems,omitempty"`
	ProblemsTotal int64        `json:"problems_total,omitempty"`
	Changes       []RunChange  `json:"changes,omitempty"`
	ChangesTotal  int64        `json:"changes_total,omitempty"`
}

// encodeRun returns a run's counts and details columns, keeping the first
// MaxRunDetails problems and changes.
func encodeRun(run Run) (counts, details string, err error) {
	if counts, err = encodeCounts(run.Counts); err != nil {
		return "", "", err
	}
	d := runDetails{
		UpdatedAt: ms(run.UpdatedAt), DryRun: run.DryRun,
		Phase: run.Phase, Resource: run.Resource, Done: run.Done, Total: run.Total,
		Problems: run.Problems, ProblemsTotal: max(run.ProblemsTotal, int64(len(run.Problems))),
		Changes: run.Changes, ChangesTotal: max(run.ChangesTotal, int64(len(run.Changes))),
	}
	d.Problems = d.Problems[:min(len(d.Problems), MaxRunDetails)]
	d.Changes = d.Changes[:min(len(d.Changes), MaxRunDetails)]
	b, err := json.Marshal(d)
	return counts, string(b), err
}

func (s *sqlStore) StartRun(ctx context.Context, run Run) (int64, error) {
	counts, details, err := encodeRun(run)
	if err != nil {
		return 0, s.wrap("start run", err)
	}
	if run.Status == "" {
		run.Status = RunRunning
	}
	var id int64
	err = s.db.QueryRowContext(ctx, s.q(`INSERT INTO sync_runs (holder, started_at, finished_at, status, counts, error, details)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		run.Holder, ms(run.StartedAt), ms(run.FinishedAt), run.Status, counts, run.Error, details).Scan(&id)
	return id, s.wrap("start run", err)
}

func (s *sqlStore) UpdateRun(ctx context.Context, run Run) error {
	counts, details, err := encodeRun(run)
	if err != nil {
		return s.wrap("update run", err)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE sync_runs SET finished_at = ?, status = ?, counts = ?, error = ?, details = ? WHERE id = ?`),
		ms(run.FinishedAt), run.Status, counts, run.Error, details, run.ID)
	if err != nil {
		return s.wrap("update run", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store (%s): update run %d: no such run", s.d.name, run.ID)
	}
	return nil
}

const runColumns = `id, holder, started_at, finished_at, status, counts, error, details`

// scanRun reads a row of runColumns.
func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started, finished int64
	var counts, details string
	if err := row.Scan(&r.ID, &r.Holder, &started, &finished, &r.Status, &counts, &r.Error, &details); err != nil {
		return Run{}, err
	}
	r.StartedAt, r.FinishedAt = fromMS(started), fromMS(finished)
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return Run{}, fmt.Errorf("run %d counts: %w", r.ID, err)
	}
	var d runDetails
	if details != "" {
		if err := json.Unmarshal([]byte(details), &d); err != nil {
			return Run{}, fmt.Errorf("run %d details: %w", r.ID, err)
		}
	}
	r.UpdatedAt, r.DryRun = fromMS(d.UpdatedAt), d.DryRun
	r.Phase, r.Resource, r.Done, r.Total = d.Phase, d.Resource, d.Done, d.Total
	r.Problems, r.ProblemsTotal = d.Problems, d.ProblemsTotal
	r.Changes, r.ChangesTotal = d.Changes, d.ChangesTotal
	return r, nil
}

func (s *sqlStore) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+runColumns+` FROM sync_runs ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, s.wrap("read runs", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.wrap("read runs", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("read runs", rows.Err())
}

func (s *sqlStore) Run(ctx context.Context, id int64) (Run, bool, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM sync_runs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, s.wrap(fmt.Sprintf("read run %d", id), err)
	}
	return r, true, nil
}

func (s *sqlStore) Close() error { return s.db.Close() }
