package journal

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// effectsIndexNames are the indexes effectsIndexes creates.
var effectsIndexNames = []string{"switchboard_effects_done_at", "switchboard_effects_sent_at"}

// listEffectsIndexes lists the effects table's own indexes, by name.
func listEffectsIndexes(t *testing.T, e *Effects) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'switchboard_effects' AND name LIKE 'switchboard_effects_%'`
	if e.positional {
		q = `SELECT indexname FROM pg_indexes WHERE tablename = 'switchboard_effects' AND indexname LIKE 'switchboard_effects_%'`
	}
	rows, err := e.db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != "switchboard_effects_pkey" {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// sincePlan is how the database would run Since's query: SQLite's
// EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN with sequential scans
// discouraged (a table of a few rows is scanned otherwise), which shows
// at least that the query can use the indexes.
func sincePlan(t *testing.T, e *Effects, ms int64) string {
	t.Helper()
	ctx := context.Background()
	conn, err := e.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if e.positional {
		explain = "EXPLAIN "
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
	}
	rows, err := conn.QueryContext(ctx, explain+e.q(sinceQuery), ms, ms)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(*vals[len(vals)-1].(*sql.RawBytes))) // SQLite: detail; PostgreSQL: the plan's line
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestEffectsSinceIndexed: a journal made before the effects had their
// indexes gets them at Open; Since's query reads them, not the table;
// and Since finds the steps marked sent, or done, since its time.
func TestEffectsSinceIndexed(t *testing.T) {
	for name, cfgOf := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := cfgOf(t)
			j, err := Open(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := listEffectsIndexes(t, j.Effects()); !slices.Equal(got, effectsIndexNames) {
				t.Fatalf("a new journal's effects indexes: %v, want %v", got, effectsIndexNames)
			}
			// An older journal: the table, without the indexes.
			for _, ix := range effectsIndexNames {
				if _, err := j.Effects().db.ExecContext(ctx, "DROP INDEX "+ix); err != nil {
					t.Fatal(err)
				}
			}
			if got := listEffectsIndexes(t, j.Effects()); len(got) != 0 {
				t.Fatalf("indexes left after dropping them: %v", got)
			}
			plan := sincePlan(t, j.Effects(), 0)
			for _, ix := range effectsIndexNames {
				if strings.Contains(plan, ix) {
					t.Fatalf("without the indexes, the plan names %s:\n%s", ix, plan)
				}
			}
			if err := j.Stop(ctx); err != nil {
				t.Fatal(err)
			}

			j, err = Open(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Stop(ctx)
			e := j.Effects()
			if got := listEffectsIndexes(t, e); !slices.Equal(got, effectsIndexNames) {
				t.Fatalf("the older journal's effects indexes after Open: %v, want %v", got, effectsIndexNames)
			}
			plan = sincePlan(t, e, time.Now().UnixMilli())
			for _, ix := range effectsIndexNames {
				if !strings.Contains(plan, ix) {
					t.Errorf("Since's plan does not use %s:\n%s", ix, plan)
				}
			}
			if !e.positional && strings.Contains(plan, "SCAN switchboard_effects") {
				t.Errorf("Since's plan scans the table:\n%s", plan)
			}

			// Steps: sent long ago (not since), sent long ago and done
			// since, sent since, sent and done since.
			t0 := time.Now()
			long := t0.Add(-time.Hour).UnixMilli()
			for _, row := range []struct {
				step         string
				state        EffectState
				sent, doneAt int64
			}{
				{"old", EffectSent, long, 0},
				{"old-done", EffectDone, long, long},
				{"late-done", EffectDone, long, t0.UnixMilli()},
			} {
				if _, err := e.db.ExecContext(ctx, e.q(`INSERT INTO switchboard_effects (call_uuid, step, state, sent_at, done_at) VALUES (?, ?, ?, ?, ?)`),
					"c", row.step, string(row.state), row.sent, row.doneAt); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := e.Begin(ctx, "c", "sent"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.Begin(ctx, "c", "done"); err != nil {
				t.Fatal(err)
			}
			if err := e.Done(ctx, "c", "done", "r-1"); err != nil {
				t.Fatal(err)
			}
			steps := func(m map[EffectKey]Effect) []string {
				var out []string
				for k := range maps.Keys(m) {
					out = append(out, k.Step)
				}
				slices.Sort(out)
				return out
			}
			got, err := e.Since(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"done", "late-done", "sent"}; !slices.Equal(steps(got), want) {
				t.Errorf("Since(t0) = %v, want %v", steps(got), want)
			}
			if ef := got[EffectKey{"c", "done"}]; ef.State != EffectDone || ef.RemoteID != "r-1" || ef.DoneAt.IsZero() {
				t.Errorf("Since(t0)'s done step: %+v", ef)
			}
			all, err := e.Since(ctx, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"done", "late-done", "old", "old-done", "sent"}; !slices.Equal(steps(all), want) {
				t.Errorf("Since(zero) = %v, want %v", steps(all), want)
			}
		})
	}
}

// TestEffectsAbortIf: a forced retry clears only the mark it saw.
func TestEffectsAbortIf(t *testing.T) {
	for name, cfgOf := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			j, err := Open(ctx, cfgOf(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Stop(ctx)
			e := j.Effects()
			if _, _, err := e.Begin(ctx, "c", "comment"); err != nil {
				t.Fatal(err)
			}
			seen, err := e.Get(ctx, "c", "comment")
			if err != nil || seen.State != EffectSent {
				t.Fatalf("Get = %+v, %v", seen, err)
			}
			// Another mark than the one seen (a later attempt's).
			if ok, err := e.AbortIf(ctx, "c", "comment", seen.SentAt.Add(time.Millisecond)); err != nil || ok {
				t.Errorf("AbortIf of another sent time = %v, %v; want nothing cleared", ok, err)
			}
			if ef, err := e.Get(ctx, "c", "comment"); err != nil || ef != seen {
				t.Errorf("the mark after AbortIf of another sent time: %+v, %v; want %+v", ef, err, seen)
			}
			if ok, err := e.AbortIf(ctx, "c", "comment", seen.SentAt); err != nil || !ok {
				t.Errorf("AbortIf of the mark seen = %v, %v; want it cleared", ok, err)
			}
			if ef, err := e.Get(ctx, "c", "comment"); err != nil || ef.State != EffectNone {
				t.Errorf("the mark after AbortIf: %+v, %v; want none", ef, err)
			}
			if ok, err := e.AbortIf(ctx, "c", "comment", seen.SentAt); err != nil || ok {
				t.Errorf("AbortIf of a mark gone = %v, %v; want false", ok, err)
			}
			// A done step stays done, whatever its sent time.
			if _, _, err := e.Begin(ctx, "c", "task"); err != nil {
				t.Fatal(err)
			}
			if err := e.Done(ctx, "c", "task", "t-9"); err != nil {
				t.Fatal(err)
			}
			done, err := e.Get(ctx, "c", "task")
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := e.AbortIf(ctx, "c", "task", done.SentAt); err != nil || ok {
				t.Errorf("AbortIf of a done step = %v, %v; want false", ok, err)
			}
			if ef, err := e.Get(ctx, "c", "task"); err != nil || ef.State != EffectDone || ef.RemoteID != "t-9" {
				t.Errorf("the done step after AbortIf: %+v, %v", ef, err)
			}
		})
	}
}
