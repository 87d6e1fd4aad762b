package example

// The writes (connectors/write.go). LogCall appends the call to log_file
// and CreateContact appends the new contact to new_contacts_file, each as
// one line of JSON, on disk (fsync'd) before the answer. Configure reads
// both files back, so what was written survives a restart of the plugin,
// and so does idempotency: a key in log_file is a call already logged, and
// a contact from new_contacts_file is found by its number like any other.
//
// New contacts go to a file of their own rather than into the JSON file
// (rewritten through a temporary file and a rename) because that is the
// simplest correct choice: the same append serves both writes, a create
// costs one line instead of the whole file, and the operator's file is
// never rewritten, so an edit they make meanwhile is never overwritten by
// the connector's older copy.
//
// What keeps the writes idempotent, the part to copy into a real
// connector:
//
//   - Check, write and remember are one step: Connector.mu makes two tries
//     of one key (a retry while the first is still running) write once. A
//     CRM behind an API needs the same: a lock per key in the connector,
//     and a unique constraint or a search for the key in the CRM.
//   - The answer comes only after the write is durable. When an answer is
//     lost (the host gave up at its deadline, the plugin died), the host's
//     retry finds the key and answers the first log: never a second one.
//   - The key is kept with the log itself, not in a cache: it is
//     recognised for as long as the log exists, across restarts.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

var (
	_ connectors.CallLogger     = (*Connector)(nil)
	_ connectors.ContactCreator = (*Connector)(nil)
)

// logLine is one line of log_file: a logged call and its key.
type logLine struct {
	ID        string                `json:"id"`
	Key       string                `json:"key"`
	ContactID string                `json:"contact_id,omitempty"`
	CompanyID string                `json:"company_id,omitempty"`
	Call      connectors.CallRecord `json:"call"`
}

// LogCall implements connectors.CallLogger: it appends the call to
// log_file, once per key.
func (c *Connector) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	const op = "LogCall"
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, d, err := c.loaded(op)
	switch {
	case err != nil:
		return nil, err
	case cfg.LogFile == "":
		return nil, connectors.Errorf(connectors.ClassUnsupported, op, "this connector does not log calls: set its log_file")
	case req.Key == "":
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "no key: a call is logged under its idempotency key")
	case req.ContactID == "" && req.CompanyID == "":
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "neither a contact nor a company to log the call against")
	}
	if id, ok := d.logged[req.Key]; ok {
		return &connectors.LogCallResponse{ID: id, Existing: true}, nil
	}
	if req.ContactID != "" && d.contact(req.ContactID) == nil {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "no contact %q", req.ContactID)
	}
	if req.CompanyID != "" && d.company(req.CompanyID) == nil {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "no company %q", req.CompanyID)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the caller gave up: write nothing
	}
	line := logLine{ID: fmt.Sprintf("log-%d", len(d.logged)+1), Key: req.Key,
		ContactID: req.ContactID, CompanyID: req.CompanyID, Call: req.Call}
	if err := appendLine(cfg.LogFile, line); err != nil {
		return nil, connectors.Errorf(connectors.ClassUnavailable, op, "cannot write %s: %w", cfg.LogFile, err)
	}
	d.logged[req.Key] = line.ID
	return &connectors.LogCallResponse{ID: line.ID}, nil
}

// CreateContact implements connectors.ContactCreator: unless a contact
// already has the number, it appends a new one to new_contacts_file and
// serves it at once.
func (c *Connector) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	const op = "CreateContact"
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, d, err := c.loaded(op)
	if err != nil {
		return nil, err
	}
	if cfg.NewContactsFile == "" {
		return nil, connectors.Errorf(connectors.ClassUnsupported, op, "this connector does not create contacts: set its new_contacts_file")
	}
	number, err := d.parser.Parse(req.Phone)
	if err != nil || !number.Valid() {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "phone %q is not a number", req.Phone)
	}
	// The number is looked up as LookupByPhone does: a contact a lookup
	// would find already has it.
	if matches := d.lookup(&connectors.LookupRequest{E164: number.E164, National: number.National, Raw: req.Phone}); len(matches) > 0 {
		return &connectors.CreateContactResponse{Contact: *matches[0].Contact, Existing: true}, nil
	}
	if req.CompanyID != "" && d.company(req.CompanyID) == nil {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "no company %q", req.CompanyID)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the caller gave up: create nothing
	}
	ct := connectors.Contact{
		ID: d.newContactID(), FirstName: req.FirstName, LastName: req.LastName,
		CompanyID: req.CompanyID, OwnerID: req.OwnerID,
		Phones:    []connectors.Phone{{Raw: req.Phone, Label: "phone"}},
		UpdatedAt: time.Now().UTC(),
	}
	if err := appendLine(cfg.NewContactsFile, ct); err != nil {
		return nil, connectors.Errorf(connectors.ClassUnavailable, op, "cannot write %s: %w", cfg.NewContactsFile, err)
	}
	next := d.withContacts(ct)
	cfg.data.Store(next)
	return &connectors.CreateContactResponse{Contact: *next.contact(ct.ID)}, nil
}

// newContactID returns an ID no contact has: "new-<n>".
func (d *data) newContactID() string {
	for n := len(d.contacts) + 1; ; n++ {
		if id := fmt.Sprintf("new-%d", n); d.contact(id) == nil {
			return id
		}
	}
}

// appendLine appends v to a JSON-lines file as one line and syncs it:
// when it returns nil, the line survives a crash. On failure it cuts off
// whatever part of the line was written, so that the next line does not
// continue a broken one.
func appendLine(path string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0) // made by Configure; gone is an error
	if err != nil {
		return err
	}
	defer f.Close() // once synced, closing has nothing left to lose
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err = f.Write(append(line, '\n')); err == nil {
		err = f.Sync()
	}
	if err != nil {
		_ = f.Truncate(info.Size()) // only this connector appends, under Connector.mu
	}
	return err
}

// readLines calls fn with each line of a JSON-lines file, creating the
// file when it is missing (so that a directory it cannot be written in is
// a problem at Configure, not at the first call). A last line without its
// newline is an append cut short by a crash: it was never answered, so it
// is cut off, and the host's retry writes it again.
func readLines(path string, fn func(line []byte) error) error {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(filepath.Dir(path)); err != nil { // make the new file's name durable
			return err
		}
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if whole := bytes.LastIndexByte(raw, '\n') + 1; whole < len(raw) {
		if err := f.Truncate(int64(whole)); err != nil {
			return err
		}
		raw = raw[:whole]
	}
	for i, line := range bytes.Split(raw, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s, line %d: %w", path, i+1, err)
		}
	}
	return nil
}

// syncDir syncs a directory, so that a file just created in it is there
// after a crash.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
