package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Mode says how a source is asked.
type Mode string

// Source modes.
const (
	// ModeIndex: every record is listed into an in-memory index at start
	// and on every refresh; lookups never call the connector.
	ModeIndex Mode = "index"
	// ModeLive: every lookup calls the connector's LookupByPhone.
	ModeLive Mode = "live"
)

// Defaults.
const (
	DefaultTimeout         = 300 * time.Millisecond
	DefaultDeadline        = time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 10 * time.Second
	// DefaultMaxShrink is the share of its records an index rebuild may
	// lose before it is held.
	DefaultMaxShrink = 0.5
)

// Source is one connector instance the directory asks.
type Source struct {
	// Name is the connector instance name (unique; used in results, logs
	// and metrics).
	Name string
	// Connector answers for the source. A connector that is a replaceable
	// process (a supervised plugin) implements Generational, so that a
	// live source's circuit breaker closes as soon as a new process takes
	// over.
	Connector connectors.Connector
	// Mode is ModeIndex (the default when empty) or ModeLive.
	Mode Mode
	// Timeout bounds each live call (default DefaultTimeout); the overall
	// deadline bounds it too.
	Timeout time.Duration
	// Refresh is the index rebuild interval; 0 builds once.
	Refresh time.Duration
	// Poll is how often an index source whose connector declares
	// changed_since is asked for the records changed since its previous
	// poll, which are laid over the index without a rebuild (see
	// poll.go); 0 does not poll (changes wait for the next rebuild).
	Poll time.Duration
	// PageSize is the List page size hint (default DefaultPageSize).
	PageSize int
	// BreakerFailures is how many consecutive live failures open the
	// source's circuit breaker (default DefaultBreakerFailures).
	BreakerFailures int
	// BreakerCooldown is how long an open breaker skips the source before
	// letting one trial call through (default DefaultBreakerCooldown).
	BreakerCooldown time.Duration
	// Keys are the keys its records may be found by (LookupKey) and
	// checked by (VerifyKey): an index source indexes them, a live one
	// asks its connector, which must then implement
	// connectors.KeyLookuper and, when it describes itself without a call
	// (a plugin), declare connectors.CapLookupByKey. The fields of hashed
	// keys are stripped from every record the source answers with.
	Keys []Key
}

// Generational is implemented by a connector standing for a process that
// can be replaced, such as a supervised plugin (plugins/manager.Plugin):
// Generation changes whenever a new process takes over from one that died
// or hung. A live source's circuit breaker judges the process it was
// opened by: after a replacement the next lookup goes to the new process
// at once rather than after the breaker's cooldown.
type Generational interface {
	Generation() uint64
}

// CacheOptions sizes the lookup cache.
type CacheOptions struct {
	// Size is the most entries held; 0 disables the cache.
	Size int `yaml:"size"`
	// PositiveTTL is how long found and ambiguous answers are kept; 0 does
	// not cache them.
	PositiveTTL time.Duration `yaml:"positive_ttl"`
	// NegativeTTL is how long not-found answers are kept; 0 does not cache
	// them.
	NegativeTTL time.Duration `yaml:"negative_ttl"`
}

// Options configures a Directory.
type Options struct {
	// Sources are asked in this order.
	Sources []Source
	// Parser reads caller numbers and stored numbers. Required.
	Parser *phone.Parser
	// SuffixDigits turns on suffix matching on the last N digits; 0 is off.
	SuffixDigits int
	// Deadline bounds a whole lookup (default DefaultDeadline).
	Deadline time.Duration
	// Cache sizes the answer cache.
	Cache CacheOptions
	// MaxShrink is the share of an index's records a rebuild may lose: a
	// rebuild that lists fewer than (1 - MaxShrink) of the records being
	// served is held (the old index keeps answering, Ready says why) until
	// a later rebuild confirms the smaller size or recovers (see build.go).
	// It must be above 0 and at most 1 (which turns the guard off); 0 is
	// DefaultMaxShrink.
	MaxShrink float64
	// CheckInterval is how often each source's connector is checked
	// (health.go); 0 is DefaultCheckInterval.
	CheckInterval time.Duration
	// Logger receives build and breaker events (default: none).
	Logger hclog.Logger
	// Registerer, when set, receives the directory's metrics.
	Registerer prometheus.Registerer
	// Now is the clock used for cache expiry and stats (default time.Now).
	Now func() time.Time
	// IndexBytes, when set, is told what every index together holds
	// (bytes) each time one is swapped in: the host sizes the garbage
	// collector's headroom from it (core/heapgoal).
	IndexBytes func(total int64)
}

// ErrNotReady is the error of an index-mode source whose index has not been
// built yet.
var ErrNotReady = errors.New("index not built yet; wait for the first build (see Directory.Ready) or check the source's build errors")

// ErrDeadline is the error of a source that was not asked because the
// overall deadline had passed.
var ErrDeadline = errors.New("not asked: the overall lookup deadline passed; raise the directory's deadline or lower the timeouts of the sources before it")

// Directory answers "who is this number?" over its sources. It is safe for
// concurrent use.
type Directory struct {
	sources      []*source
	byName       map[string]*source
	parser       *phone.Parser
	suffixDigits int
	deadline     time.Duration
	cacheOpts    CacheOptions
	maxShrink    float64
	cache        *lru
	log          hclog.Logger
	metrics      *metrics
	now          func() time.Time
	indexBytes   func(total int64) // Options.IndexBytes

	// retryMin and retryMax bound the backoff between failed first builds.
	retryMin, retryMax time.Duration
	// checkEvery is how often each source's connector is checked.
	checkEvery time.Duration
	// pollOverlap is how far before the previous poll each poll asks
	// (DefaultPollOverlap).
	pollOverlap time.Duration

	// keyed lists the sources that configure each key, in lookup order;
	// keyNames are the keys' names, sorted.
	keyed map[string][]*source
	// anyLive: some source is in live mode (InMemory).
	anyLive  bool
	keyNames []string
	// origins remembers which live source returned which record, for
	// VerifyKey (nil when no key is configured).
	origins *origins

	bgCtx     context.Context
	bgCancel  context.CancelFunc
	wg        sync.WaitGroup
	startOnce sync.Once
	closeOnce sync.Once
}

// source is a Source with its running state.
type source struct {
	Source
	log     hclog.Logger
	breaker *liveBreaker // live mode only

	// keys are the source's keys by name; strip lists the fields of its
	// hashed ones, which no record it answers with may hold.
	keys  map[string]*Key
	strip []string

	index     atomic.Pointer[Index]
	built     chan struct{} // closed after the first successful build
	builtOnce sync.Once
	buildMu   sync.Mutex // one build at a time
	// listed counts the records the running build has listed so far
	// (0 when none runs), building when it began (Unix nanoseconds).
	listed, building atomic.Int64
	// swapMu orders the swaps of index: a build's and a poll's.
	swapMu sync.Mutex
	// fold asks the run loop for an early rebuild (too many changes).
	fold chan struct{}

	// pollMu is held by a poll; it guards pollSince and pollDesc.
	pollMu    sync.Mutex
	pollSince time.Time                    // when the last successful poll began
	pollDesc  *connectors.DescribeResponse // the connector's description, once known

	mu    sync.Mutex // guards stats, held and servedFrom
	stats SourceStats
	held  *heldBuild // the rebuild the shrink guard keeps out, if any
	// servedFrom is when the build being served began listing.
	servedFrom time.Time
}

// SourceStats describes one source's state.
type SourceStats struct {
	Name string
	Mode Mode
	// Ready: a live source always; an index source once built.
	Ready bool
	// Records and Phones are what the current index holds (index mode).
	Records int
	Phones  int
	// SkippedNumbers counts the stored phone numbers the current index
	// could not read (or had no key to index them by): they match no
	// call; fix them in the CRM. SkippedRecords counts the records with
	// at least one such number. No record is left out for its numbers:
	// each is indexed by the numbers that could be read, and one with
	// none is in Records but found by no number. Index mode.
	SkippedNumbers int
	SkippedRecords int
	// Builds and BuildErrors count index build attempts and failures.
	Builds      int
	BuildErrors int
	// LastBuild is when the last build attempt ended, LastBuildDuration
	// how long it took and LastBuildError why it failed (nil: it worked).
	LastBuild         time.Time
	LastBuildDuration time.Duration
	LastBuildError    error
	// LastSuccess is when the current index was built.
	LastSuccess time.Time
	// Changed is how many changed records are laid over the current
	// index (the next build folds them in).
	Changed int
	// Polls and PollErrors count polls for changed records and their
	// failures; Changes counts the changed records they applied.
	Polls      int
	PollErrors int
	Changes    int
	// LastPoll is when the last poll began and LastPollError why it
	// failed (nil: it worked).
	LastPoll      time.Time
	LastPollError error
	// Held says why the last rebuild was not swapped in by the shrink
	// guard; empty when no rebuild is held.
	Held string
	// Breaker is the live circuit breaker's state ("closed", "open",
	// "half-open"); empty in index mode.
	Breaker string
	// LastCheck is when the connector was last checked (health.go) and
	// CheckError why that Check failed (nil: it passed, or none ran yet).
	LastCheck  time.Time
	CheckError error
	// Building is how many records the build now running has listed
	// (0: none runs), BuildingFor how long it has run.
	Building    int
	BuildingFor time.Duration
}

var sourceName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// New checks opts and returns a Directory. Call Start to build the indexes
// and Close to stop them.
func New(opts Options) (*Directory, error) {
	if opts.Parser == nil {
		return nil, errors.New("directory: no phone parser; pass Options.Parser (phone.NewParser with the default region)")
	}
	if len(opts.Sources) == 0 {
		return nil, errors.New("directory: no sources; configure at least one connector")
	}
	if opts.SuffixDigits < 0 {
		return nil, fmt.Errorf("directory: suffix digits %d is negative; use 0 to turn suffix matching off", opts.SuffixDigits)
	}
	if opts.Deadline < 0 {
		return nil, fmt.Errorf("directory: deadline %v is negative; leave it 0 for the default %v", opts.Deadline, DefaultDeadline)
	}
	if opts.Deadline == 0 {
		opts.Deadline = DefaultDeadline
	}
	if opts.MaxShrink == 0 {
		opts.MaxShrink = DefaultMaxShrink
	}
	if opts.CheckInterval == 0 {
		opts.CheckInterval = DefaultCheckInterval
	}
	if !validShrink(opts.MaxShrink) {
		return nil, fmt.Errorf("directory: max shrink %v must be above 0 and at most 1 (1 turns the guard off); leave it 0 for the default %v",
			opts.MaxShrink, DefaultMaxShrink)
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	d := &Directory{
		byName:       make(map[string]*source, len(opts.Sources)),
		parser:       opts.Parser,
		suffixDigits: opts.SuffixDigits,
		deadline:     opts.Deadline,
		cacheOpts:    opts.Cache,
		maxShrink:    opts.MaxShrink,
		log:          opts.Logger,
		metrics:      m,
		now:          opts.Now,
		indexBytes:   opts.IndexBytes,
		retryMin:     time.Second,
		retryMax:     time.Minute,
		pollOverlap:  DefaultPollOverlap,
		checkEvery:   opts.CheckInterval,
	}
	if opts.Cache.Size > 0 && (opts.Cache.PositiveTTL > 0 || opts.Cache.NegativeTTL > 0) {
		d.cache = newLRU(opts.Cache.Size)
	}
	for i, cfg := range opts.Sources {
		s, err := d.newSource(cfg)
		if err != nil {
			return nil, fmt.Errorf("directory: source %d (%q): %w", i+1, cfg.Name, err)
		}
		d.sources = append(d.sources, s)
		d.anyLive = d.anyLive || s.Mode == ModeLive
		d.byName[s.Name] = s
		for name := range s.keys {
			if d.keyed == nil {
				d.keyed = make(map[string][]*source)
				d.origins = newOrigins()
			}
			if d.keyed[name] == nil {
				d.keyNames = append(d.keyNames, name)
			}
			d.keyed[name] = append(d.keyed[name], s)
		}
	}
	slices.Sort(d.keyNames)
	d.bgCtx, d.bgCancel = context.WithCancel(context.Background())
	return d, nil
}

func (d *Directory) newSource(cfg Source) (*source, error) {
	switch {
	case cfg.Name == "":
		return nil, errors.New("no name; give every source a unique name")
	case !sourceName.MatchString(cfg.Name):
		return nil, errors.New("name may hold only letters, digits, '_', '-' and '.'")
	case d.byName[cfg.Name] != nil:
		return nil, errors.New("name used twice; give every source a unique name")
	case cfg.Connector == nil:
		return nil, errors.New("no connector")
	case cfg.Timeout < 0 || cfg.Refresh < 0 || cfg.Poll < 0 || cfg.PageSize < 0 || cfg.BreakerFailures < 0 || cfg.BreakerCooldown < 0:
		return nil, errors.New("timeout, refresh, poll, page size and breaker settings must not be negative; leave them 0 for the defaults")
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeIndex
	case ModeIndex, ModeLive:
	default:
		return nil, fmt.Errorf("unknown mode %q; use %q or %q", cfg.Mode, ModeIndex, ModeLive)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.BreakerFailures == 0 {
		cfg.BreakerFailures = DefaultBreakerFailures
	}
	if cfg.BreakerCooldown == 0 {
		cfg.BreakerCooldown = DefaultBreakerCooldown
	}
	if err := checkKeys(cfg.Keys); err != nil {
		return nil, err
	}
	if cfg.Mode == ModeLive && len(cfg.Keys) > 0 {
		if err := liveKeys(cfg.Connector, cfg.Keys); err != nil {
			return nil, err
		}
	}
	cfg.Keys = slices.Clone(cfg.Keys)
	s := &source{
		Source: cfg,
		log:    d.log.With("source", cfg.Name),
		built:  make(chan struct{}),
		fold:   make(chan struct{}, 1),
		strip:  hashedFields(cfg.Keys),
	}
	if len(cfg.Keys) > 0 {
		s.keys = make(map[string]*Key, len(cfg.Keys))
		for i := range s.Keys {
			s.keys[s.Keys[i].Name] = &s.Keys[i]
		}
	}
	s.stats.Name, s.stats.Mode = cfg.Name, cfg.Mode
	if cfg.Mode == ModeLive {
		s.breaker = newLiveBreaker(s)
		// A live source is ready as it is.
		s.builtOnce.Do(func() { close(s.built) })
	}
	return s, nil
}

// Lookup reads raw as a caller number and looks it up. An unreadable
// number asks no source and comes back with InvalidNumber set.
func (d *Directory) Lookup(ctx context.Context, raw string) Result {
	start := time.Now()
	n, err := d.parser.ParseCaller(raw)
	if err != nil {
		return d.invalid(phone.Number{Raw: raw}, err, start)
	}
	return d.lookup(ctx, n, start)
}

// LookupNumber looks up an already parsed number.
func (d *Directory) LookupNumber(ctx context.Context, n phone.Number) Result {
	return d.lookup(ctx, n, time.Now())
}

func (d *Directory) invalid(n phone.Number, err error, start time.Time) Result {
	res := Result{Query: n, InvalidNumber: err, Via: ViaNone, Duration: time.Since(start)}
	d.metrics.lookup("", ViaNone, OutcomeInvalid, res.Duration)
	return res
}

func (d *Directory) lookup(ctx context.Context, n phone.Number, start time.Time) Result {
	key := n.E164
	if key == "" {
		key = n.National
	}
	if key == "" {
		return d.invalid(n, fmt.Errorf("cannot look up %q: it holds no phone number", n.Raw), start)
	}
	if d.cache != nil {
		if res, ok := d.cache.get(key, d.now()); ok {
			res.Query = n
			res.Via = ViaCache
			res.Matches, res.Match = copyMatches(res.Matches, res.Match != nil)
			res.Duration = time.Since(start)
			d.metrics.lookup(res.Source, ViaCache, res.Outcome(), res.Duration)
			return res
		}
	}

	res := d.ask(ctx, n)
	res.Query = n
	res.Duration = time.Since(start)
	d.metrics.lookup(res.Source, res.Via, res.Outcome(), res.Duration)
	if d.cache != nil && len(res.Errors) == 0 {
		d.store(key, res)
	}
	return res
}

// store caches a result that had no errors under its TTL.
func (d *Directory) store(key string, res Result) {
	ttl := d.cacheOpts.NegativeTTL
	if res.Found || res.Ambiguous {
		ttl = d.cacheOpts.PositiveTTL
	}
	if ttl <= 0 {
		return
	}
	// Keep a private copy so that a caller changing its Matches cannot
	// change what later callers get.
	res.Matches, res.Match = copyMatches(res.Matches, res.Match != nil)
	d.cache.put(key, res, d.now().Add(ttl))
}

func copyMatches(ms []connectors.Match, found bool) ([]connectors.Match, *connectors.Match) {
	if ms == nil {
		return nil, nil
	}
	cp := append([]connectors.Match(nil), ms...)
	if found {
		return cp, &cp[0]
	}
	return cp, nil
}

// InMemory reports whether every lookup answers from memory: no source is
// live, so a lookup never waits on a connector (an index not built yet
// answers "not ready" at once).
func (d *Directory) InMemory() bool { return !d.anyLive }

// ask asks the sources in order under the overall deadline.
func (d *Directory) ask(ctx context.Context, n phone.Number) Result {
	// Index sources answer from memory: the deadline (and its timer) is
	// only set once a live source is to be asked, but it counts from the
	// start of the lookup.
	dctx, limited := ctx, false
	deadline := time.Now().Add(d.deadline)

	var res Result
	for i, s := range d.sources {
		if s.Mode == ModeLive && !limited {
			var cancel context.CancelFunc
			dctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
			limited = true
		}
		if err := dctx.Err(); err != nil {
			for _, rest := range d.sources[i:] {
				err := ErrDeadline
				if ctx.Err() != nil {
					err = fmt.Errorf("not asked: the lookup was cancelled: %w", ctx.Err())
				}
				res.Errors = append(res.Errors, SourceError{Source: rest.Name, Err: err})
			}
			break
		}
		var (
			matches []connectors.Match
			via     Via
			err     error
		)
		if s.Mode == ModeLive {
			via = ViaLive
			matches, err = d.askLive(ctx, dctx, s, n)
			d.fromLive(s, matches)
		} else {
			via = ViaIndex
			if ix := s.index.Load(); ix != nil {
				matches = ix.Lookup(n, d.suffixDigits)
				if d.keyed != nil {
					d.origins.note(matches, s.Name)
				}
			} else {
				err = ErrNotReady
			}
		}
		if err != nil {
			s.log.Debug("source failed; asking the next one", "error", err)
			res.Errors = append(res.Errors, SourceError{Source: s.Name, Err: err})
			continue
		}
		if len(matches) == 0 {
			continue
		}
		res.answer(s.Name, via, matches)
		return res
	}
	res.Via = ViaNone
	return res
}

// dedupe drops later matches of a record already listed (a connector may
// list a record twice), keeping the order.
func dedupe(ms []connectors.Match) []connectors.Match {
	if len(ms) < 2 {
		return ms
	}
	out := ms[:1]
	for _, m := range ms[1:] {
		dup := false
		for i := range out {
			if sameRecord(&out[i], &m) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}

// sameRecord compares Match.Key without building the strings.
func sameRecord(a, b *connectors.Match) bool {
	switch {
	case a.Contact != nil && b.Contact != nil:
		return a.Contact.ID == b.Contact.ID
	case a.Company != nil && b.Company != nil:
		return a.Company.ID == b.Company.ID
	}
	return false
}

// Close stops the background builds and waits for them. Lookups keep
// working on the indexes already built.
func (d *Directory) Close() {
	d.closeOnce.Do(func() {
		d.bgCancel()
		d.wg.Wait()
	})
}

// answer records a source's matches (at least one) as the result: found
// when one record holds the number or key, ambiguous when several do.
func (res *Result) answer(source string, via Via, matches []connectors.Match) {
	matches = dedupe(matches)
	res.Source, res.Via, res.Matches = source, via, matches
	if len(matches) == 1 {
		res.Found, res.Match = true, &matches[0]
	} else {
		res.Ambiguous = true
	}
}
