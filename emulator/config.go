package emulator

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Config describes the emulated account, its timing and its faults. The zero
// value of a field means "RingCentral's documented default" (see Defaults).
type Config struct {
	// Listen is the TCP address to serve on; port 0 picks a free port.
	// Only loopback addresses are accepted.
	Listen string

	// Users is the number of User extensions; Queues the number of call
	// queues (Department extensions). A few IvrMenu, ParkLocation and
	// Announcement extensions are always added.
	Users  int
	Queues int
	// Agents is how many agent (non-admin) JWT credentials to issue.
	Agents int
	// Seed makes the directory, the credentials and the simulation
	// deterministic.
	Seed int64

	// CallsPerMinute is the simulated inbound call rate; 0 disables all
	// simulated traffic (calls and status changes).
	CallsPerMinute float64

	// QueueMaxCallers is how many callers a call queue holds at once (0:
	// DefaultQueueMaxCallers). A caller who finds the queue full is sent
	// to the queue's voicemail, RingCentral's default maxCallersAction.
	QueueMaxCallers int

	// OAuth lifetimes. When set below RingCentral's 600 s minimum they win
	// over the clamp, so tests can force short token TTLs.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	WSTokenTTL time.Duration
	// MaxSessions is the number of parallel OAuth sessions per user and app
	// (the next one revokes the oldest).
	MaxSessions int

	// WebSocket gateway session parameters (sent in ConnectionDetails).
	RecoveryTimeout    time.Duration
	RecoveryBufferSize int
	IdleTimeout        time.Duration
	AbsoluteTimeout    time.Duration
	// PingInterval is how often the gateway sends RFC 6455 pings; 0 means 30 s.
	PingInterval time.Duration

	// Rate limits per group. RateLimitsOff disables them (load tests).
	RateLimits    map[Group]RateLimit
	RateLimitsOff bool

	// SubscriptionsPerUser caps subscriptions per user and app (SUB-505).
	SubscriptionsPerUser int

	// NoCallControl withholds the app's CallControl permission: every
	// telephony/sessions endpoint answers 403 and telephony session event
	// filters are disabled (rc-api.md §6.4).
	NoCallControl bool

	// QueueEventShape selects the call-queue presence event body:
	// "docs" (records[] of member/acceptCurrentQueueCalls, the DOCS sample)
	// or "spec" ({extensionId, callQueueId, acceptCalls}, the SPEC schema).
	QueueEventShape string

	// ExtensionEventShape selects the extension-list event body (rc-api.md
	// §3.4): "docs" ({extensions:[{extensionId, eventType, hints}]}, the
	// DOCS sample) or "spec" ({extensionId, eventType, ownerId}).
	ExtensionEventShape string

	// CHS gives the account the "new communication handling service": User
	// extensions carry dndStatusPersonal and acceptCallQueueCalls, and
	// dndStatus does not apply to them (rc-api.md §3.2, §4.3).
	CHS bool

	// Faults to inject from the start; they can be changed later through
	// Emulator.SetFaults or the /_emulator/faults control endpoint.
	Faults Faults

	// Permissions are the app's scopes and the users' permissions from the
	// start (the zero value: every scope, each role's defaults); they can
	// be changed later through Emulator.SetPermissions or the
	// /_emulator/permissions control endpoint.
	Permissions Permissions

	// Now overrides the clock used for timestamps in generated data (tests).
	Now func() time.Time
}

// DefaultQueueMaxCallers is the most callers a RingCentral call queue
// holds: the public schema's QueueInfo.maxCallers, "the limitation is 25
// callers" (maximum 25). Beyond it the queue's maxCallersAction applies.
const DefaultQueueMaxCallers = 25

// queueMaxCallers is cfg's QueueMaxCallers, or the default.
func (cfg Config) queueMaxCallers() int {
	if cfg.QueueMaxCallers > 0 {
		return cfg.QueueMaxCallers
	}
	return DefaultQueueMaxCallers
}

// Group is a RingCentral rate-limit group.
type Group string

// The rate-limit groups (rc-api.md §5.3).
const (
	Light  Group = "Light"
	Medium Group = "Medium"
	Heavy  Group = "Heavy"
	Auth   Group = "Auth"
)

// RateLimit is one group's budget: Limit requests per Window, and a Penalty
// interval that restarts on every request made during it.
type RateLimit struct {
	Limit   int           `json:"limit"`
	Window  time.Duration `json:"window"`
	Penalty time.Duration `json:"penalty"`
}

// DefaultRateLimits are RingCentral's documented default per-user limits.
func DefaultRateLimits() map[Group]RateLimit {
	return map[Group]RateLimit{
		Light:  {Limit: 50, Window: time.Minute, Penalty: time.Minute},
		Medium: {Limit: 40, Window: time.Minute, Penalty: time.Minute},
		Heavy:  {Limit: 10, Window: time.Minute, Penalty: time.Minute},
		Auth:   {Limit: 5, Window: time.Minute, Penalty: time.Minute},
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.Users == 0 {
		c.Users = 120
	}
	if c.Queues == 0 {
		c.Queues = 6
	}
	if c.Agents == 0 {
		c.Agents = 3
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = time.Hour
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 7 * 24 * time.Hour
	}
	if c.WSTokenTTL == 0 {
		c.WSTokenTTL = 30 * time.Second
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 5
	}
	if c.RecoveryTimeout == 0 {
		c.RecoveryTimeout = 180 * time.Second
	}
	if c.RecoveryBufferSize == 0 {
		c.RecoveryBufferSize = 100
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.AbsoluteTimeout == 0 {
		c.AbsoluteTimeout = 24 * time.Hour
	}
	if c.PingInterval == 0 {
		c.PingInterval = 30 * time.Second
	}
	limits := DefaultRateLimits()
	for g, l := range c.RateLimits {
		limits[g] = l
	}
	c.RateLimits = limits
	if c.SubscriptionsPerUser == 0 {
		c.SubscriptionsPerUser = 30
	}
	if c.QueueEventShape == "" {
		c.QueueEventShape = "docs"
	}
	if c.ExtensionEventShape == "" {
		c.ExtensionEventShape = "docs"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate reports the first impossible setting.
func (c Config) validate() error {
	switch {
	case c.Users < 2:
		return fmt.Errorf("need at least 2 users, got %d", c.Users)
	case c.Users > 200000:
		return fmt.Errorf("at most 200000 users, got %d", c.Users)
	case c.Queues < 0 || c.Queues > 500:
		return fmt.Errorf("queues must be between 0 and 500, got %d", c.Queues)
	case c.Agents < 0 || c.Agents >= c.Users:
		return fmt.Errorf("agents must be between 0 and users-1, got %d", c.Agents)
	case c.CallsPerMinute < 0:
		return fmt.Errorf("calls per minute must not be negative, got %v", c.CallsPerMinute)
	case c.RecoveryBufferSize < 1:
		return fmt.Errorf("recovery buffer size must be at least 1")
	case c.QueueEventShape != "docs" && c.QueueEventShape != "spec":
		return fmt.Errorf("queue event shape must be docs or spec, got %q", c.QueueEventShape)
	case c.ExtensionEventShape != "docs" && c.ExtensionEventShape != "spec":
		return fmt.Errorf("extension event shape must be docs or spec, got %q", c.ExtensionEventShape)
	}
	for g, l := range c.RateLimits {
		if l.Limit < 1 || l.Window <= 0 || l.Penalty < 0 {
			return fmt.Errorf("rate limit for %s must have a positive limit and window", g)
		}
	}
	if c.SubscriptionsPerUser < 0 {
		return fmt.Errorf("subscriptions per user must not be negative, got %d", c.SubscriptionsPerUser)
	}
	return validateOAuthRules(c.Faults.OAuthRules)
}

// Faults are the injected misbehaviours. Durations are JSON numbers of
// milliseconds in the control API (see faultsJSON).
type Faults struct {
	// DropInterval closes every WebSocket connection abruptly (no close
	// frame) about this often; DropJitter spreads it by ± that much.
	DropInterval time.Duration `json:"-"`
	DropJitter   time.Duration `json:"-"`
	// RecoveryFail makes every session recovery answer Failed.
	RecoveryFail bool `json:"recoveryFail"`
	// HalfOpen stops the gateway sending anything (pings included) on
	// every connection, without closing it.
	HalfOpen bool `json:"halfOpen"`
	// RefuseUpgrades answers every WebSocket upgrade with 503 (dial errors).
	RefuseUpgrades bool `json:"refuseUpgrades"`
	// REST429Rate and REST5xxRate are fractions of REST calls (oauth and
	// /_emulator excluded) answered with 429 or 503.
	REST429Rate float64 `json:"rest429Rate"`
	REST5xxRate float64 `json:"rest5xxRate"`
	// Latency is added to every REST response and WebSocket send.
	Latency time.Duration `json:"-"`
	// ReorderRate delays that fraction of notifications by up to
	// ReorderMaxDelay; DuplicateRate sends that fraction twice.
	ReorderRate     float64       `json:"reorderRate"`
	ReorderMaxDelay time.Duration `json:"-"`
	DuplicateRate   float64       `json:"duplicateRate"`
	// PartialBodies leaves out of presence notifications every field that
	// did not change.
	PartialBodies bool `json:"partialBodies"`
	// OmitAccountCalls leaves activeCalls out of account-level presence
	// notifications (SPEC's AccountPresenceEventBody has none).
	OmitAccountCalls bool `json:"omitAccountCalls"`
	// Rules answer matching REST requests with a given status.
	Rules []FaultRule `json:"rules,omitempty"`
	// OAuthRules answer matching requests to the OAuth endpoints (token,
	// wstoken, revoke), which Rules and the rates above leave alone.
	OAuthRules []OAuthFaultRule `json:"oauthRules,omitempty"`
	// Unresponsive makes the server answer nothing: every REST, OAuth and
	// WebSocket upgrade request hangs until the client gives up or the
	// emulator closes. Sockets already open carry on (HalfOpen silences
	// them); the control API still answers.
	Unresponsive bool `json:"unresponsive"`
}

// FaultRule answers up to Count requests (0 = unlimited) whose method and
// path match with Status; for 429 it sets Retry-After to RetryAfter seconds
// and starts that group's penalty, as the real limiter would. With Hang it
// never answers them instead (Status is then ignored).
type FaultRule struct {
	Method     string `json:"method"`
	PathPrefix string `json:"pathPrefix"`
	Status     int    `json:"status"`
	RetryAfter int    `json:"retryAfter,omitempty"`
	Count      int    `json:"count,omitempty"`
	Hang       bool   `json:"hang,omitempty"`
}

// faultBox holds the live Faults; readers take a copy.
type faultBox struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand // draws for OAuthRules probabilities; seeded by Config.Seed
}

func (b *faultBox) get() Faults {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.f
	f.Rules = append([]FaultRule(nil), b.f.Rules...)
	f.OAuthRules = append([]OAuthFaultRule(nil), b.f.OAuthRules...)
	return f
}

func (b *faultBox) set(f Faults) {
	b.mu.Lock()
	b.f = f
	b.mu.Unlock()
}

// takeRule returns the first rule matching the request and consumes one of
// its uses.
func (b *faultBox) takeRule(method, path string) (FaultRule, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.f.Rules {
		r := &b.f.Rules[i]
		if r.Method != "" && r.Method != method {
			continue
		}
		if len(path) < len(r.PathPrefix) || path[:len(r.PathPrefix)] != r.PathPrefix {
			continue
		}
		out := *r
		if r.Count > 0 {
			r.Count--
			if r.Count == 0 {
				b.f.Rules = append(b.f.Rules[:i], b.f.Rules[i+1:]...)
			}
		}
		return out, true
	}
	return FaultRule{}, false
}
