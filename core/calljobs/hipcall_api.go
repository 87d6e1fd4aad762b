package calljobs

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// HipcallAPI is aftercall.API on the Hipcall client.
type HipcallAPI struct{ Client *hipcall.Client }

var _ aftercall.API = HipcallAPI{}

// AddComment implements aftercall.API.
func (a HipcallAPI) AddComment(ctx context.Context, callUUID, content string) (string, error) {
	return a.Client.AddComment(ctx, callUUID, content)
}

// AddTag implements aftercall.API.
func (a HipcallAPI) AddTag(ctx context.Context, callUUID string, tagID int64) error {
	return a.Client.AddTag(ctx, callUUID, tagID)
}

// SetDisposition implements aftercall.API.
func (a HipcallAPI) SetDisposition(ctx context.Context, callUUID, code string) error {
	_, err := a.Client.SetDisposition(ctx, callUUID, code)
	return err
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
	return a.Client.CreateTask(ctx, req)
}

// Fetch implements aftercall.API.
func (a HipcallAPI) Fetch(ctx context.Context, url string, w io.Writer) error {
	return a.Client.Fetch(ctx, url, w)
}
