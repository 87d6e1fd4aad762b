package sdk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Base is Describe and Configure for a connector whose configuration is a
// struct C of its own (its YAML block, by `yaml` tags, plus what Open
// keeps in unexported fields: a *sql.DB, a loaded file). Embed a *Base[C]
// in the connector, set its fields, and write the other methods with
// Current:
//
//	type Connector struct{ *sdk.Base[config] }
//
//	func New(hclog.Logger) connectors.Connector {
//		return &Connector{&sdk.Base[config]{Name: "mycrm", Version: "0.1.0",
//			Capabilities: []connectors.Capability{connectors.CapLookup},
//			Check: check, Open: open}}
//	}
//
// Configure decodes the block strictly into a new C (conf.Decode: unknown
// keys, wrong types, each problem with its path), runs Check, and answers
// every problem found. With ValidateOnly it stops there. Otherwise it runs
// Open and, when that adds no problem, makes the new C the current one in
// one atomic step: a call sees the old configuration or the new one, and a
// rejected block leaves the old one serving. When *C is an io.Closer, the
// replaced configuration is closed after the swap (a call still using it
// may then fail once), and so is a new one that Open rejected (Close must
// cope with what Open left half open).
//
// The fields are read, never written, once the connector is in use. A
// Base must not be copied: use it through a pointer.
type Base[C any] struct {
	// Name, Version, Description and Capabilities are what Describe says
	// (ProtocolVersion is connectors.ProtocolVersion). Name is also the
	// name in the not-configured error.
	Name, Version, Description string
	Capabilities               []connectors.Capability
	// Capable, when set, returns the capabilities a configuration adds to
	// Capabilities (a write its block turns on). Describe lists them once
	// that configuration is current; the host describes a connector again
	// after configuring it.
	Capable func(cfg *C) []connectors.Capability
	// Defaults, when set, fills a new C before the block is decoded into
	// it: keys the block leaves out keep these values.
	Defaults func(cfg *C)
	// Check checks a decoded block and adds a problem (s.Addf, s.Require,
	// s.ExistingFile) for each mistake. It runs with ValidateOnly too, so
	// it opens nothing; looking at a file's metadata (ExistingFile) is
	// fine. A problem at a path the decoding already reported is dropped.
	Check func(s *Setup, cfg *C)
	// Open makes a checked block usable: it opens the database, reads the
	// file, and keeps what it needs in unexported fields of cfg. It is not
	// called with ValidateOnly. A problem it adds (s.Addf: "cannot read
	// path: ...") rejects the block; an error is for a failure that is not
	// the block's fault (the context ended).
	Open func(ctx context.Context, s *Setup, cfg *C) error

	current atomic.Pointer[configured[C]]
}

// configured is one accepted configuration and the parser of its request's
// default region.
type configured[C any] struct {
	cfg    *C
	parser *phone.Parser
}

// Setup is what Check and Open work with: the request, a parser for the
// host's default region, and the problems found so far.
type Setup struct {
	// Request is the ConfigureRequest (DefaultRegion, BaseDir,
	// ValidateOnly).
	Request *connectors.ConfigureRequest
	// Parser reads numbers in the host's default region.
	Parser *phone.Parser
	// Problems are the problems found by Check or Open.
	Problems connectors.Problems
}

// Addf adds a problem at path ("columns.phones.1"; "" for the block).
func (s *Setup) Addf(path, format string, args ...any) { s.Problems.Addf(path, format, args...) }

// Require adds "missing <path>: <what>" when value is empty, and reports
// whether it was set.
func (s *Setup) Require(path, value, what string) bool {
	if value == "" {
		s.Addf(path, "missing %s: %s", path, what)
		return false
	}
	return true
}

// Resolve makes *file absolute, relative to the directory of the host's
// config (Request.BaseDir); an empty *file stays empty.
func (s *Setup) Resolve(file *string) {
	if *file != "" && !filepath.IsAbs(*file) {
		*file = filepath.Join(s.Request.BaseDir, *file)
	}
}

// ExistingFile resolves *file (Resolve) and adds a problem at path unless
// it names a file that exists, for a file the connector reads: a database,
// a data file. It looks, it does not open, so Check may call it and
// `switchboard validate` (ValidateOnly) reports a file that is missing. An
// empty *file is left to Require.
func (s *Setup) ExistingFile(path string, file *string) bool {
	if *file == "" {
		return false
	}
	written := *file
	s.Resolve(file)
	info, err := os.Stat(*file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if written != *file {
			s.Addf(path, "%s does not exist (%s, relative to the directory of the config file): fix %s or create the file", written, *file, path)
		} else {
			s.Addf(path, "%s does not exist: fix %s or create the file", *file, path)
		}
	case err != nil:
		s.Addf(path, "cannot read %s: %v", *file, err)
	case info.IsDir():
		s.Addf(path, "%s is a directory: %s names a file", *file, path)
	default:
		return true
	}
	return false
}

// Describe implements connectors.Connector. It works before Configure.
func (b *Base[C]) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := slices.Clone(b.Capabilities)
	if cur := b.current.Load(); cur != nil && b.Capable != nil {
		caps = append(caps, b.Capable(cur.cfg)...)
	}
	return &connectors.DescribeResponse{
		Name:            b.Name,
		Version:         b.Version,
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities:    caps,
		Description:     b.Description,
	}, nil
}

// Configure implements connectors.Connector (see Base).
func (b *Base[C]) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	parser, err := phone.NewParser(req.DefaultRegion)
	if err != nil {
		return &connectors.ConfigureResponse{Problems: connectors.Problems{
			conf.Problemf("", "the host's default region: %v", err)}}, nil
	}
	s := &Setup{Request: req, Parser: parser}
	cfg := new(C)
	if b.Defaults != nil {
		b.Defaults(cfg)
	}
	problems := conf.Decode(req.Config, cfg)
	if b.Check != nil && !unreadable(problems) {
		b.Check(s, cfg)
		for _, p := range s.Problems {
			if !slices.ContainsFunc(problems, func(d connectors.Problem) bool { return d.Path == p.Path }) {
				problems = append(problems, p)
			}
		}
	}
	if len(problems) > 0 || req.ValidateOnly {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	if b.Open != nil {
		s.Problems = nil
		if err := b.Open(ctx, s, cfg); err != nil || len(s.Problems) > 0 {
			closeConfig(cfg)
			return &connectors.ConfigureResponse{Problems: s.Problems}, err
		}
	}
	if old := b.current.Swap(&configured[C]{cfg: cfg, parser: parser}); old != nil {
		closeConfig(old.cfg)
	}
	return &connectors.ConfigureResponse{}, nil
}

// unreadable reports whether decoding found the block not to be YAML (a
// problem at the block as a whole): nothing was decoded to check.
func unreadable(problems connectors.Problems) bool {
	return slices.ContainsFunc(problems, func(p connectors.Problem) bool { return p.Path == "" })
}

func closeConfig(cfg any) {
	if c, ok := cfg.(io.Closer); ok {
		_ = c.Close()
	}
}

// Current returns the current configuration, or, before the first
// accepted Configure, the ClassBadConfig error every call of an
// unconfigured connector answers (conf.Current), for the call op.
func (b *Base[C]) Current(op string) (*C, error) {
	cur, err := conf.Current(&b.current, b.Name, op)
	if err != nil {
		return nil, err
	}
	return cur.cfg, nil
}

// Parser returns the parser of the current configuration's default
// region (what Rank wants), nil before the first accepted Configure.
func (b *Base[C]) Parser() *phone.Parser {
	if cur := b.current.Load(); cur != nil {
		return cur.parser
	}
	return nil
}

// Close forgets the current configuration, closing it when *C is an
// io.Closer: afterwards the connector answers as an unconfigured one until
// it is configured again. It releases what Open opened when the connector
// is done with (connectortest checks that nothing is left behind).
func (b *Base[C]) Close() error {
	if old := b.current.Swap(nil); old != nil {
		if c, ok := any(old.cfg).(io.Closer); ok {
			return c.Close()
		}
	}
	return nil
}
