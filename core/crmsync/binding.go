package crmsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// Metadata keys binding a state to the Hipcall account it describes.
// Hipcall's API has no "who am I" call, so the account is known by the
// base URL and a digest of the token (hipcall.Client.TokenDigest; the
// token itself is never stored). A changed token may be a rotation of the
// same account's token: the stored ids are then probed, and the state is
// trusted only when one of them still holds its external_id.
const (
	metaBaseURL     = "hipcall.base_url"
	metaTokenDigest = "hipcall.token_digest"
)

// bindingProbes is how many stored records are read to tell a rotated
// token from another account.
const bindingProbes = 3

// ErrOtherAccount is returned (wrapped) when the state was made for
// another Hipcall account or base URL.
var ErrOtherAccount = errors.New("the sync state describes another Hipcall account")

func normalBaseURL(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }

// bind checks that the state describes the client's Hipcall account, and
// records the account when the state is new (or relearning). In a dry run
// nothing is recorded.
func (r *run) bind(ctx context.Context) error {
	st, cl := r.e.opts.Store, r.e.opts.Client
	base, digest := normalBaseURL(cl.BaseURL()), cl.TokenDigest()
	relearn := func(err error) error {
		return fmt.Errorf("%w: %w; if this is the account you mean, run `switchboard sync -relearn`: it discards the stored Hipcall ids and matches records by external_id again", ErrOtherAccount, err)
	}
	if r.ro.Relearn {
		if r.ro.DryRun {
			return errors.New("-relearn cannot be combined with -dry-run")
		}
		for _, res := range []store.Resource{store.Companies, store.Contacts} {
			if err := st.DeleteAll(ctx, res); err != nil {
				return err
			}
		}
		r.e.log.Info("relearning: the stored Hipcall ids were discarded; records are matched by external_id", "base_url", base)
		return r.saveBinding(ctx, base, digest)
	}
	oldBase, hasBase, err := st.Meta(ctx, metaBaseURL)
	if err != nil {
		return err
	}
	oldDigest, _, err := st.Meta(ctx, metaTokenDigest)
	if err != nil {
		return err
	}
	if hasBase && oldBase != base {
		return relearn(fmt.Errorf("it was made for Hipcall at %s, and this configuration uses %s", oldBase, base))
	}
	if hasBase && oldDigest == digest {
		return nil
	}
	probes, err := r.probeRecords(ctx)
	if err != nil {
		return err
	}
	if len(probes) > 0 {
		confirmed, err := r.probe(ctx, probes)
		if err != nil {
			return err
		}
		if !confirmed {
			what := "the API token differs from the one the state was made with"
			if !hasBase {
				what = "the state does not say which account it was made for"
			}
			return relearn(fmt.Errorf("%s, and none of %d stored Hipcall ids still holds its external_id", what, len(probes)))
		}
		r.e.log.Info("the API token changed; stored ids still hold their records, so the state is kept", "base_url", base)
	}
	if r.ro.DryRun {
		return nil
	}
	return r.saveBinding(ctx, base, digest)
}

func (r *run) saveBinding(ctx context.Context, base, digest string) error {
	if err := r.e.opts.Store.SetMeta(ctx, metaBaseURL, base); err != nil {
		return err
	}
	return r.e.opts.Store.SetMeta(ctx, metaTokenDigest, digest)
}

// probeRecords picks up to bindingProbes stored records with a Hipcall id
// (companies first, by external id).
func (r *run) probeRecords(ctx context.Context) ([]store.Record, error) {
	var out []store.Record
	for _, res := range []store.Resource{store.Companies, store.Contacts} {
		recs, err := r.e.opts.Store.Records(ctx, res)
		if err != nil {
			return nil, err
		}
		for _, ext := range slices.Sorted(maps.Keys(recs)) {
			if rec := recs[ext]; rec.HipcallID != 0 && len(out) < bindingProbes {
				out = append(out, rec)
			}
		}
	}
	return out, nil
}

// probe reads the records by id: confirmed when one holds its external
// id. A record holding another external id refutes at once.
func (r *run) probe(ctx context.Context, recs []store.Record) (bool, error) {
	cl := r.e.opts.Client
	for _, rec := range recs {
		var got *string
		var err error
		if rec.Resource == store.Companies {
			var c *hipcall.Company
			if c, err = cl.GetCompany(ctx, rec.HipcallID); err == nil {
				got = c.ExternalID
			}
		} else {
			var c *hipcall.Contact
			if c, err = cl.GetContact(ctx, rec.HipcallID); err == nil {
				got = c.ExternalID
			}
		}
		switch {
		case hipcall.IsNotFound(err):
			continue
		case err != nil:
			return false, fmt.Errorf("checking the state against Hipcall: %w", err)
		case got == nil || *got != rec.ExternalID:
			return false, nil
		default:
			return true, nil
		}
	}
	return false, nil
}
