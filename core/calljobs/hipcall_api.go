package calljobs

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// HipcallAPI is aftercall.API on the Hipcall client. Errors retrying
// cannot fix (the client's own refusals, which carry no HTTP status, such
// as an empty uuid or a recording over the size cap) are marked permanent.
type HipcallAPI struct{ Client *hipcall.Client }

// classify marks the client's permanent errors for aftercall.
func classify(err error) error {
	if err != nil && hipcall.IsPermanent(err) && !aftercall.IsPermanent(err) {
		return aftercall.Permanent(err)
	}
	return err
}

var _ aftercall.API = HipcallAPI{}

// AddComment implements aftercall.API.
func (a HipcallAPI) AddComment(ctx context.Context, callUUID, content string) (string, error) {
	id, err := a.Client.AddComment(ctx, callUUID, content)
	return id, classify(err)
}

// AddTag implements aftercall.API.
func (a HipcallAPI) AddTag(ctx context.Context, callUUID string, tagID int64) error {
	return classify(a.Client.AddTag(ctx, callUUID, tagID))
}

// SetDisposition implements aftercall.API.
func (a HipcallAPI) SetDisposition(ctx context.Context, callUUID, code string) error {
	_, err := a.Client.SetDisposition(ctx, callUUID, code)
	return classify(err)
}

// CreateTask implements aftercall.API.
func (a HipcallAPI) CreateTask(ctx context.Context, t aftercall.Task) (string, error) {
	req := hipcall.TaskRequest{Name: t.Name, Description: t.Description, AssignToUserID: t.AssignToUserID,
		ContactIDs: t.ContactIDs, CompanyIDs: t.CompanyIDs, Priority: t.Priority}
	if t.DueDate != "" {
		due, err := time.Parse(time.RFC3339, t.DueDate)
		if err != nil {
			return "", aftercall.Permanent(fmt.Errorf("task due date %q is not RFC 3339: %w", t.DueDate, err))
		}
		req.DueDate = due
	}
	id, err := a.Client.CreateTask(ctx, req)
	return id, classify(err)
}

// Fetch implements aftercall.API.
func (a HipcallAPI) Fetch(ctx context.Context, url string, w io.Writer) error {
	return classify(a.Client.Fetch(ctx, url, w))
}
