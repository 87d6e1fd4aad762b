package example_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/example"
)

// The conformance suite (TestConformance) checks the writes' contract;
// these tests check what is the example's own: the capabilities follow
// the block, and the files.

// writer is the example connector with its writes.
type writer interface {
	connectors.Connector
	connectors.CallLogger
	connectors.ContactCreator
}

// configured returns a fresh connector configured with block (paths in it
// relative to dir), failing on any problem.
func configured(t *testing.T, dir, block string) writer {
	t.Helper()
	c := example.New(nil).(writer)
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB", BaseDir: dir})
	if err != nil || len(resp.Problems) > 0 {
		t.Fatalf("Configure:\n%s\nerror %v, problems %v", block, err, resp.Problems)
	}
	return c
}

// problems configures a fresh connector with block and returns the
// problems.
func problems(t *testing.T, dir, block string) connectors.Problems {
	t.Helper()
	resp, err := example.New(nil).Configure(context.Background(), &connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB", BaseDir: dir})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return resp.Problems
}

// dataBlock is a block serving testdata/crm.json, with extra lines.
func dataBlock(t *testing.T, extra string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "crm.json"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("path: %q\n%s", path, extra)
}

func capsOf(t *testing.T, c connectors.Connector) (logs, creates bool) {
	t.Helper()
	d, err := c.Describe(context.Background(), &connectors.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Has(connectors.CapLogCall), d.Has(connectors.CapCreateContact)
}

func logRequest(key string) *connectors.LogCallRequest {
	return &connectors.LogCallRequest{Key: key, ContactID: "1001", CompanyID: "2001",
		Call: connectors.CallRecord{ID: "c1", Direction: connectors.CallInbound, From: "+442045205757", Title: "Inbound call"}}
}

func TestWritesFollowTheBlock(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	c := example.New(nil).(writer)
	if logs, creates := capsOf(t, c); logs || creates {
		t.Errorf("before Configure: log_call %v, create_contact %v; want neither", logs, creates)
	}

	c = configured(t, dir, dataBlock(t, ""))
	if logs, creates := capsOf(t, c); logs || creates {
		t.Errorf("without write files: log_call %v, create_contact %v; want neither", logs, creates)
	}
	if _, err := c.LogCall(ctx, logRequest("k")); connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("LogCall without log_file: %v; want unsupported", err)
	}
	if _, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: "+447700900123"}); connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("CreateContact without new_contacts_file: %v; want unsupported", err)
	}

	c = configured(t, dir, dataBlock(t, "log_file: calls.jsonl\n"))
	if logs, creates := capsOf(t, c); !logs || creates {
		t.Errorf("with log_file: log_call %v, create_contact %v; want log_call only", logs, creates)
	}
	c = configured(t, dir, dataBlock(t, "log_file: calls.jsonl\nnew_contacts_file: new.jsonl\n"))
	if logs, creates := capsOf(t, c); !logs || !creates {
		t.Errorf("with both files: log_call %v, create_contact %v; want both", logs, creates)
	}
	for _, name := range []string{"calls.jsonl", "new.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("Configure did not make %s (relative to BaseDir): %v", name, err)
		}
	}
}

// TestWritesSurviveARestart: what one connector wrote, a fresh one on the
// same block knows; the JSON file itself is never written.
func TestWritesSurviveARestart(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	block := dataBlock(t, "log_file: calls.jsonl\nnew_contacts_file: new.jsonl\n")
	before, err := os.ReadFile(filepath.Join("testdata", "crm.json"))
	if err != nil {
		t.Fatal(err)
	}

	c := configured(t, dir, block)
	logged, err := c.LogCall(ctx, logRequest("call-1/crm-log"))
	if err != nil || logged.ID == "" || logged.Existing {
		t.Fatalf("LogCall: %+v, %v", logged, err)
	}
	created, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: "+447700900123", FirstName: "New", LastName: "Caller", CompanyID: "2002"})
	if err != nil || created.Existing {
		t.Fatalf("CreateContact: %+v, %v", created, err)
	}
	if ct := created.Contact; ct.CompanyName != "Difference Works" || len(ct.Phones) != 1 || ct.Phones[0].E164 != "+447700900123" || ct.UpdatedAt.IsZero() {
		t.Errorf("created contact %+v; want its company's name, its number normalised, an UpdatedAt", ct)
	}

	c = configured(t, dir, block) // the plugin restarted
	again, err := c.LogCall(ctx, logRequest("call-1/crm-log"))
	if err != nil || again.ID != logged.ID || !again.Existing {
		t.Errorf("LogCall of the key after a restart: %+v, %v; want ID %q, Existing", again, err, logged.ID)
	}
	found, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+447700900123", National: "7700900123"})
	if err != nil || len(found.Matches) != 1 || found.Matches[0].Contact.ID != created.Contact.ID || found.Matches[0].Contact.Name() != "New Caller" {
		t.Errorf("LookupByPhone of the created number after a restart: %+v, %v; want contact %s", found, err, created.Contact.ID)
	}
	recreated, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: "07700 900123", FirstName: "Other"})
	if err != nil || recreated.Contact.ID != created.Contact.ID || !recreated.Existing {
		t.Errorf("CreateContact of the number (national form) after a restart: %+v, %v; want %s, Existing", recreated, err, created.Contact.ID)
	}

	after, err := os.ReadFile(filepath.Join("testdata", "crm.json"))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the JSON file changed (%v): the writes go to their own files", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "calls.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var line struct {
		ID, Key, ContactID string
		Call               struct{ Title string }
	}
	if err := json.Unmarshal(raw, &line); err != nil || line.ID != logged.ID || line.Key != "call-1/crm-log" || line.Call.Title != "Inbound call" {
		t.Errorf("calls.jsonl holds %q (%v); want one line: the log's ID, its key and the call", raw, err)
	}
}

// TestCutShortLineIsDropped: a last line without its newline (a crash
// during the append, never answered) is cut off at Configure, and the
// retry writes it whole.
func TestCutShortLineIsDropped(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	whole := `{"id":"log-1","key":"k1","contact_id":"1001","call":{}}` + "\n"
	path := filepath.Join(dir, "calls.jsonl")
	if err := os.WriteFile(path, []byte(whole+`{"id":"log-2","key":"k2","con`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := configured(t, dir, dataBlock(t, "log_file: calls.jsonl\n"))
	if raw, _ := os.ReadFile(path); string(raw) != whole {
		t.Errorf("after Configure the file holds %q; want the whole line only", raw)
	}
	if resp, err := c.LogCall(ctx, logRequest("k1")); err != nil || resp.ID != "log-1" || !resp.Existing {
		t.Errorf("LogCall(k1): %+v, %v; want log-1, Existing", resp, err)
	}
	if resp, err := c.LogCall(ctx, logRequest("k2")); err != nil || resp.Existing {
		t.Errorf("LogCall(k2), whose line was cut short: %+v, %v; want a new log", resp, err)
	}
	raw, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n"); len(lines) != 2 || !json.Valid([]byte(lines[1])) {
		t.Errorf("the file holds %q; want two whole lines", raw)
	}
}

func TestWriteFileProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("{\"id\":\"log-1\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, extra, path, want string
	}{
		{"bad_log_line", "log_file: bad.jsonl\n", "log_file", "line 2"},
		{"bad_contact_line", "new_contacts_file: bad.jsonl\n", "new_contacts_file", "line 2"},
		{"missing_directory", "log_file: nosuch/calls.jsonl\n", "log_file", "no such file"},
		{"one_file_for_both", "log_file: w.jsonl\nnew_contacts_file: w.jsonl\n", "new_contacts_file", "own file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problems(t, dir, dataBlock(t, tt.extra))
			if len(ps) != 1 || ps[0].Path != tt.path || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("problems %v; want one at %q saying %q", ps, tt.path, tt.want)
			}
		})
	}
}

func TestWriteRefusals(t *testing.T) {
	ctx := context.Background()
	c := configured(t, t.TempDir(), dataBlock(t, "log_file: calls.jsonl\nnew_contacts_file: new.jsonl\n"))
	unknownContact := logRequest("k1")
	unknownContact.ContactID = "9999"
	unknownCompany := logRequest("k2")
	unknownCompany.ContactID, unknownCompany.CompanyID = "", "9999"
	for name, req := range map[string]*connectors.LogCallRequest{"unknown contact": unknownContact, "unknown company": unknownCompany} {
		if _, err := c.LogCall(ctx, req); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("LogCall against an %s: %v; want invalid_request", name, err)
		}
	}
	for name, req := range map[string]*connectors.CreateContactRequest{
		"not a number":    {Phone: "call me"},
		"unknown company": {Phone: "+447700900123", CompanyID: "9999"},
	} {
		if _, err := c.CreateContact(ctx, req); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("CreateContact with %s: %v; want invalid_request", name, err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.LogCall(canceled, logRequest("k3")); err != context.Canceled {
		t.Errorf("LogCall with a canceled context: %v; want context.Canceled", err)
	}
	if resp, err := c.LogCall(ctx, logRequest("k3")); err != nil || resp.Existing || resp.ID != "log-1" {
		t.Errorf("LogCall after the refusals: %+v, %v; want the first log, log-1", resp, err)
	}
}

// TestReadsDuringWrites reads while contacts are created and calls logged
// (run with -race): a write must never change what a read is using.
func TestReadsDuringWrites(t *testing.T) {
	ctx := context.Background()
	c := configured(t, t.TempDir(), dataBlock(t, "log_file: calls.jsonl\nnew_contacts_file: new.jsonl\n"))
	const writes = 20
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442079460999", National: "2079460999"}); err != nil {
					t.Error(err)
				}
				if _, err := c.ListContacts(ctx, &connectors.ListRequest{PageSize: 2}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range writes {
		if _, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: fmt.Sprintf("+4477009001%02d", i), FirstName: "New"}); err != nil {
			t.Error(err)
		}
		if _, err := c.LogCall(ctx, logRequest(fmt.Sprint("call-", i))); err != nil {
			t.Error(err)
		}
	}
	close(done)
	wg.Wait()
	resp, err := c.ListContacts(ctx, &connectors.ListRequest{PageSize: 1000})
	if err != nil || len(resp.Contacts) != 3+writes {
		t.Errorf("ListContacts after %d creates: %d contacts, %v; want %d", writes, len(resp.Contacts), err, 3+writes)
	}
}
