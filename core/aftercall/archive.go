package aftercall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/webhook"
)

// defaultExt is a file's extension when its link shows none usable:
// Hipcall records MP3.
const defaultExt = ".mp3"

// maxStemLength bounds the uuid part of a file name.
const maxStemLength = 64

// Archive file modes: recordings are personal data.
const (
	archiveDirMode  fs.FileMode = 0o750
	archiveFileMode fs.FileMode = 0o640
)

var (
	// extRE is an extension taken from a link as it is.
	extRE = regexp.MustCompile(`^\.[a-z0-9]{1,8}$`)
	// unsafeRE matches what a file name built from a uuid may not hold.
	unsafeRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
)

// archiveSteps plans a step for the call's recording and one for its
// voicemail, for the links present.
func (a *Actions) archiveSteps(ca *compiled, call *webhook.Call, base Step, now time.Time) []Step {
	day := now
	switch {
	case call.StartedAt != nil:
		day = *call.StartedAt
	case call.EndedAt != nil:
		day = *call.EndedAt
	}
	dir := filepath.Join(cleanDir(ca.archiveDir), day.In(a.loc).Format("2006-01-02"))
	stem := fileStem(call.UUID)
	var steps []Step
	for _, f := range []struct{ source, field, link string }{
		{SourceRecording, "record_url", call.RecordURL},
		{SourceVoicemail, "voicemail_url", call.VoicemailURL},
	} {
		if f.link == "" {
			continue
		}
		s := base
		ext, problem := linkExt(f.field, f.link)
		s.Archive = &Archive{Source: f.source, URL: f.link, Path: filepath.Join(dir, stem+"-"+f.source+ext)}
		s.Problem = problem
		steps = append(steps, s)
	}
	return steps
}

// fileStem makes a call's uuid safe as the start of a file name: letters,
// digits, - and _ only, not starting with - or _, at most maxStemLength
// characters. A uuid that had to change gets a digest of the original
// appended, so that two uuids never share a file.
func fileStem(uuid string) string {
	s := strings.TrimLeft(unsafeRE.ReplaceAllString(uuid, "_"), "-_")
	if s != "" && s == uuid && len(s) <= maxStemLength {
		return s
	}
	sum := sha256.Sum256([]byte(uuid))
	if len(s) > maxStemLength {
		s = s[:maxStemLength]
	}
	if s == "" {
		s = "call"
	}
	return s + "-" + hex.EncodeToString(sum[:6])
}

// linkExt is the extension of the file a link names (".mp3" when it names
// none usable), or a problem when the link is not http(s).
func linkExt(field, link string) (string, string) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return defaultExt, field + " is not an http(s) link, so it cannot be archived"
	}
	ext := strings.ToLower(path.Ext(u.Path))
	if !extRE.MatchString(ext) {
		ext = defaultExt
	}
	return ext, ""
}

// cleanDir is dir made absolute (against the working directory) and
// clean.
func cleanDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return filepath.Clean(dir)
}

// inArchiveDir reports whether target lies strictly inside one of the
// configured archive directories.
func (a *Actions) inArchiveDir(target string) bool {
	for _, dir := range a.archiveDirs {
		rel, err := filepath.Rel(dir, target)
		if err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// runArchive downloads an archive step's file: into a temporary file in
// the target's directory, synced, then the SHA-256 sidecar, then renamed
// into place, so that a file at the target's path is always complete and
// its sidecar is written before it. A target whose sidecar matches its
// content is not downloaded again.
func (a *Actions) runArchive(ctx context.Context, step Step, api API) (Outcome, error) {
	ar := step.Archive
	if ar == nil || ar.URL == "" || ar.Path == "" {
		return Outcome{}, Permanent(fmt.Errorf("archive step %q has no link or path: it was not planned by Plan", step.Key()))
	}
	target := cleanDir(ar.Path)
	if !a.inArchiveDir(target) {
		return Outcome{}, Permanent(fmt.Errorf("archive step %q writes to %s, which is inside no configured archive.dir: "+
			"the configuration changed since the step was planned, or the step was altered", step.Key(), target))
	}
	sidecar := target + ".sha256"
	if sum, ok := archived(target, sidecar); ok {
		return Outcome{Detail: "already archived at " + target, SHA256: sum}, nil
	}

	dir, base := filepath.Split(target)
	if err := os.MkdirAll(dir, archiveDirMode); err != nil {
		return Outcome{}, fmt.Errorf("creating the archive directory: %w (check that switchboard may write there)", err)
	}
	removeStale(dir, base)
	tmp, err := os.CreateTemp(dir, "."+base+".*.part")
	if err != nil {
		return Outcome{}, fmt.Errorf("creating a file in the archive directory: %w (check that switchboard may write there)", err)
	}
	defer func() {
		if tmp != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	n := &countingWriter{}
	if err := api.Fetch(ctx, ar.URL, io.MultiWriter(tmp, h, n)); err != nil {
		err = fmt.Errorf("downloading the call's %s: %w", ar.Source, err)
		if IsPermanent(err) {
			return Outcome{}, Permanent(fmt.Errorf("%w (Hipcall's recording links expire soon after the call; this one cannot be fetched again)", err))
		}
		return Outcome{}, err
	}
	if n.n == 0 {
		return Outcome{}, fmt.Errorf("downloading the call's %s: the answer was empty; it will be fetched again", ar.Source)
	}
	if err := tmp.Chmod(archiveFileMode); err != nil {
		return Outcome{}, fmt.Errorf("archiving the call's %s: %w", ar.Source, err)
	}
	if err := tmp.Sync(); err != nil {
		return Outcome{}, fmt.Errorf("archiving the call's %s: syncing to disk: %w (is the disk full?)", ar.Source, err)
	}
	if err := tmp.Close(); err != nil {
		return Outcome{}, fmt.Errorf("archiving the call's %s: %w (is the disk full?)", ar.Source, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := writeSidecar(dir, sidecar, sum, base); err != nil {
		return Outcome{}, err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return Outcome{}, fmt.Errorf("archiving the call's %s: moving it into place: %w", ar.Source, err)
	}
	tmp = nil
	syncDir(dir)
	return Outcome{Detail: fmt.Sprintf("archived %d bytes to %s", n.n, target), SHA256: sum}, nil
}

// archived reports whether target exists and matches the SHA-256 in its
// sidecar, and returns the digest.
func archived(target, sidecar string) (string, bool) {
	raw, err := os.ReadFile(sidecar)
	if err != nil {
		return "", false
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 || len(fields[0]) != sha256.Size*2 {
		return "", false
	}
	want := strings.ToLower(fields[0])
	f, err := os.Open(target)
	if err != nil {
		return "", false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", false
	}
	got := hex.EncodeToString(h.Sum(nil))
	return got, got == want
}

// writeSidecar writes "<sum>  <name>\n" (the form `sha256sum -c` reads)
// to path through a synced temporary file.
func writeSidecar(dir, path, sum, name string) error {
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return fmt.Errorf("writing the checksum file: %w (check that switchboard may write to the archive directory)", err)
	}
	_, err = f.WriteString(sum + "  " + name + "\n")
	if err == nil {
		err = f.Chmod(archiveFileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("writing the checksum file %s: %w (is the disk full?)", path, err)
	}
	return nil
}

// removeStale removes temporary files a crashed run left for the target
// named base. The job journal runs one step at a time, so none is in use.
func removeStale(dir, base string) {
	matches, err := filepath.Glob(filepath.Join(dir, "."+base+".*.part"))
	if err != nil {
		return
	}
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// syncDir makes the renames in dir durable where the system allows.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync() // not supported everywhere; the data itself is synced
	_ = d.Close()
}

// countingWriter counts what passes through it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
