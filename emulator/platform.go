package emulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Platform is the emulated account's live state: directory, presence,
// queues, calls, OAuth sessions and subscriptions. One mutex guards it all;
// the notification hub runs under it so that notifications leave in the
// order the changes happened. Sinks the hub delivers to must not block and
// must not call back into the Platform.
type Platform struct {
	mu     sync.Mutex
	cfg    Config
	dir    *Directory
	rng    *rand.Rand // ids and uuids; guarded by mu
	hub    *hub
	tel    *switchboard
	auth   *authStore
	limits *limiter
	faults *faultBox
	perms  permState
	base   string // http://host:port, set when the server listens
	// onSessionEnd is called (under mu) when an OAuth session is revoked,
	// so the gateway can close that session's sockets.
	onSessionEnd func(sessionID string)
	// onTouch, when set, is told (under mu) of every extension a committed
	// Tx touched, so the simulation's routing index never goes stale.
	onTouch func(ext *Extension)
	// onDirectory, when set, is told (under mu) of a User who joined or
	// left the account, so the simulation adds or drops them at once.
	onDirectory func(ext *Extension, joined bool)
	// lists holds the users' favorites and monitored lines (watchlists.go).
	lists watchLists
	// lastExtID is the last extension id handed out (directory_live.go).
	lastExtID int64
	stats     Stats
	issued    map[string]string // every token issued -> its kind (FindSecrets)
}

// Stats counts what the emulator has done; tests read them.
type Stats struct {
	TokenRequests    int            `json:"tokenRequests"`
	RefreshRequests  int            `json:"refreshRequests"`
	JWTGrants        int            `json:"jwtGrants"`
	Revocations      int            `json:"revocations"`
	WSTokens         int            `json:"wsTokens"`
	Requests         map[Group]int  `json:"requests"`
	Throttled        map[Group]int  `json:"throttled"`
	PresenceChanges  int64          `json:"presenceChanges"`
	Notifications    int64          `json:"notifications"`
	RequestsByMethod map[string]int `json:"requestsByRoute"`
	// Hanging counts requests the emulator holds unanswered on purpose
	// (hang faults, an unresponsive server) whose client is still waiting.
	Hanging int          `json:"hanging"`
	Sim     SimStats     `json:"sim"`
	Gateway GatewayStats `json:"gateway"`
}

func newPlatform(cfg Config, faults *faultBox) *Platform {
	p := &Platform{
		cfg:    cfg,
		dir:    generateDirectory(cfg),
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), 0x1d5)),
		faults: faults,
		stats: Stats{
			Requests:         map[Group]int{},
			Throttled:        map[Group]int{},
			RequestsByMethod: map[string]int{},
		},
	}
	p.hub = newHub(p)
	p.tel = newSwitchboard(p)
	p.auth = newAuthStore()
	p.perms = permState{app: everything(appScopeNames), users: map[int64]userOverride{}}
	p.limits = newLimiter(cfg.RateLimits, cfg.RateLimitsOff)
	return p
}

// now is the platform clock.
func (p *Platform) now() time.Time { return p.cfg.Now() }

// newUUID returns a random RFC 4122 version 4 UUID string (from the seeded
// generator, under mu).
func (p *Platform) newUUID() string {
	a, b := p.rng.Uint64(), p.rng.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// newHex returns n random hex digits (under mu).
func (p *Platform) newHex(n int) string {
	const digits = "0123456789abcdef"
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = digits[p.rng.IntN(16)]
	}
	return string(buf)
}

// NewLeg makes a leg with fresh ids for a user's side of a call in the
// telephony session tsid (empty: a new session), and the session's party
// it stands for, which joins the session when the leg is added. Call under
// mu (inside Mutate).
func (p *Platform) NewLeg(tsid string, direction string) *Leg {
	s := p.tel.session(tsid, p.now())
	pt := s.newParty(direction)
	l := &Leg{
		ID:                 p.newHex(32),
		SessionID:          s.LegacyID,
		TelephonySessionID: s.ID,
		PartyID:            pt.ID,
		Direction:          direction,
		Start:              p.now(),
		party:              pt,
	}
	pt.leg = l
	return l
}

// Directory returns the generated account. Its identity fields never change.
func (p *Platform) Directory() *Directory { return p.dir }

// Tx is one atomic change to the platform. Every extension it touches gets
// exactly one presence change (one sequence step, one notification per
// matching subscription) when the Tx commits, and only if its presence
// really changed.
type Tx struct {
	p       *Platform
	order   []*Extension
	before  map[*Extension]presenceSnapshot
	ended   map[*Extension][]Leg
	queueEv []queueChange
	// Directory and watch-list changes, announced after the presence and
	// queue events (directory_live.go).
	dirEv  []directoryChange
	listEv []*watchList
	// parties are the telephony session party changes, in order.
	parties []partyEvent
	// now, when set, is the time the Tx happens at (the simulation's clock).
	now time.Time
}

type queueChange struct {
	queue  *Queue
	member *Extension
	accept bool
}

// Mutate runs fn under the platform lock and then emits the changes it made.
func (p *Platform) Mutate(fn func(tx *Tx)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mutateLocked(fn)
}

func (p *Platform) mutateLocked(fn func(tx *Tx)) {
	tx := &Tx{p: p, before: map[*Extension]presenceSnapshot{}, ended: map[*Extension][]Leg{}}
	fn(tx)
	tx.commit()
}

// Platform gives the Tx's platform (for ids and the directory).
func (tx *Tx) Platform() *Platform { return tx.p }

// Touch records ext's presence before the Tx changes it. Every mutator
// calls it; code that edits Presence fields directly must call it first.
func (tx *Tx) Touch(ext *Extension) *Presence {
	if _, ok := tx.before[ext]; !ok {
		tx.before[ext] = snapshotOf(&ext.Presence)
		tx.order = append(tx.order, ext)
	}
	return &ext.Presence
}

// AddLeg starts a call leg on ext.
func (tx *Tx) AddLeg(ext *Extension, l *Leg) {
	p := tx.Touch(ext)
	p.Legs = append(p.Legs, l)
	tx.legAdded(ext, l)
}

// SetLegStatus moves one of ext's legs to status.
func (tx *Tx) SetLegStatus(ext *Extension, l *Leg, status string) {
	tx.Touch(ext)
	l.Status = status
	tx.legStatusSet(l)
}

// EndLeg removes the leg from ext; its last notification reports it as
// NoCall/final.
func (tx *Tx) EndLeg(ext *Extension, l *Leg) {
	p := tx.Touch(ext)
	i := slices.Index(p.Legs, l)
	if i < 0 {
		return
	}
	p.Legs = slices.Delete(p.Legs, i, i+1)
	ended := *l
	ended.Ended = true
	tx.ended[ext] = append(tx.ended[ext], ended)
	tx.legEnded(l)
}

// SetQueueAccept sets member's availability in queue q.
func (tx *Tx) SetQueueAccept(q *Queue, member *Extension, accept bool) {
	if cur, ok := q.AcceptCurrent[member.ID]; !ok || cur == accept {
		return
	}
	q.AcceptCurrent[member.ID] = accept
	tx.queueEv = append(tx.queueEv, queueChange{queue: q, member: member, accept: accept})
}

func (tx *Tx) commit() {
	p := tx.p
	at := p.now()
	for _, ext := range tx.order {
		before := tx.before[ext]
		after := snapshotOf(&ext.Presence)
		ended := tx.ended[ext]
		if len(ended) == 0 && samePresence(&before, &after) {
			continue
		}
		ext.Presence.Sequence++
		after.Sequence = ext.Presence.Sequence
		p.stats.PresenceChanges++
		p.hub.presenceChanged(ext, &before, &after, ended, at)
	}
	for _, qc := range tx.queueEv {
		p.hub.queueChanged(qc, at)
	}
	p.tel.commit(tx, at)
	tx.commitDirectory(at)
	if p.onTouch != nil {
		for _, ext := range tx.order {
			p.onTouch(ext)
		}
		for _, qc := range tx.queueEv {
			p.onTouch(qc.member)
		}
	}
}

func samePresence(a, b *presenceSnapshot) bool {
	if a.UserStatus != b.UserStatus || a.DNDStatus != b.DNDStatus || a.Message != b.Message ||
		a.MeetingStatus != b.MeetingStatus || a.CallerIDVisibility != b.CallerIDVisibility ||
		a.AllowSeeMyPresence != b.AllowSeeMyPresence || a.RingOnMonitored != b.RingOnMonitored ||
		a.PickUpCallsOnHold != b.PickUpCallsOnHold || a.GlipDND != b.GlipDND || len(a.Legs) != len(b.Legs) ||
		a.DNDPersonal != b.DNDPersonal || a.AcceptCQ != b.AcceptCQ {
		return false
	}
	for i := range a.Legs {
		if a.Legs[i] != b.Legs[i] {
			return false
		}
	}
	return true
}

// PresenceUpdate is a change to the user-settable presence fields; nil
// fields are left alone. It is what a presence PUT, a unified presence
// PATCH, the simulation and the control API all apply.
type PresenceUpdate struct {
	UserStatus         *string `json:"userStatus,omitempty"`
	DNDStatus          *string `json:"dndStatus,omitempty"`
	Message            *string `json:"message,omitempty"`
	AllowSeeMyPresence *bool   `json:"allowSeeMyPresence,omitempty"`
	RingOnMonitored    *bool   `json:"ringOnMonitoredCall,omitempty"`
	PickUpCallsOnHold  *bool   `json:"pickUpCallsOnHold,omitempty"`
	CallerIDVisibility *string `json:"callerIdVisibility,omitempty"`
	MeetingStatus      *string `json:"meetingStatus,omitempty"`
	GlipDND            *bool   `json:"-"`
	// The CHS fields (chs.go); accounts without CHS check and ignore them.
	DNDStatusPersonal    *string `json:"dndStatusPersonal,omitempty"`
	AcceptCallQueueCalls *bool   `json:"acceptCallQueueCalls,omitempty"`
}

// MaxMessageLen is the longest status message RingCentral accepts.
const MaxMessageLen = 75

// validateUpdate applies RingCentral's rules for a presence PUT on ext
// (rc-api.md §4.3, §4.4) and returns the error a client would get.
func validateUpdate(ext *Extension, u PresenceUpdate) *apiError {
	if !ext.HasPresence() {
		return errFeatureForType()
	}
	if u.UserStatus != nil && !oneOf(*u.UserStatus, StatusOffline, StatusBusy, StatusAvailable) {
		return errInvalidParam("userStatus")
	}
	if err := validateCHS(ext, u); err != nil {
		return err
	}
	if u.DNDStatus != nil && !ext.Presence.CHS {
		switch *u.DNDStatus {
		case DNDTakeAll, DNDNoCalls:
		case DNDNoDepartment:
			if len(ext.Queues) == 0 {
				return errInvalidParam("dndStatus")
			}
		default: // TakeDepartmentCallsOnly is legacy and Unknown read-only
			return errInvalidParam("dndStatus")
		}
	}
	if u.Message != nil && len([]rune(*u.Message)) > MaxMessageLen {
		return errInvalidParam("message")
	}
	if u.CallerIDVisibility != nil && !oneOf(*u.CallerIDVisibility, "All", "None", "PermittedUsers") {
		return errInvalidParam("callerIdVisibility")
	}
	if u.MeetingStatus != nil && !oneOf(*u.MeetingStatus, MeetingConnected, MeetingDisconnected) {
		return errInvalidParam("meetingStatus")
	}
	return nil
}

// ApplyPresence validates u and applies it to ext within tx.
func (tx *Tx) ApplyPresence(ext *Extension, u PresenceUpdate) *apiError {
	if err := validateUpdate(ext, u); err != nil {
		return err
	}
	p := tx.Touch(ext)
	set(&p.UserStatus, u.UserStatus)
	set(&p.DNDStatus, u.DNDStatus)
	set(&p.Message, u.Message)
	set(&p.AllowSeeMyPresence, u.AllowSeeMyPresence)
	set(&p.RingOnMonitored, u.RingOnMonitored)
	set(&p.PickUpCallsOnHold, u.PickUpCallsOnHold)
	set(&p.CallerIDVisibility, u.CallerIDVisibility)
	set(&p.MeetingStatus, u.MeetingStatus)
	set(&p.GlipDND, u.GlipDND)
	if p.CHS {
		set(&p.DNDPersonal, u.DNDStatusPersonal)
		set(&p.AcceptCQ, u.AcceptCallQueueCalls)
	}
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func oneOf(s string, options ...string) bool { return slices.Contains(options, s) }

// Truth is the platform's ground truth, what a perfect mirror holds.
type Truth struct {
	AccountID  string           `json:"accountId"`
	Company    string           `json:"company"`
	CHS        bool             `json:"chs"`
	Extensions []TruthExtension `json:"extensions"`
	Queues     []TruthQueue     `json:"queues"`
}

// TruthExtension is one extension's full presence and identity.
type TruthExtension struct {
	ID              string       `json:"id"`
	ExtensionNumber string       `json:"extensionNumber"`
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	Status          string       `json:"status"`
	Sequence        int64        `json:"sequence"`
	Presence        presenceJSON `json:"presence"`
}

// TruthQueue is a queue's membership and per-member availability.
type TruthQueue struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ExtensionNumber      string          `json:"extensionNumber"`
	EditableMemberStatus bool            `json:"editableMemberStatus"`
	Members              map[string]bool `json:"members"` // id -> acceptCurrentQueueCalls
}

// Truth returns a consistent snapshot of every extension's presence (with
// every active call) and every queue's membership.
func (p *Platform) Truth() Truth {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := Truth{AccountID: strconv.FormatInt(p.dir.AccountID, 10), Company: p.dir.Company, CHS: p.cfg.CHS}
	for _, e := range p.dir.Extensions {
		snap := snapshotOf(&e.Presence)
		pj := presenceResource(p.base, p.dir, e, snap, detailCalls)
		if e.HasPresence() {
			pj.ActiveCalls = nil
			for i := range snap.Legs {
				pj.ActiveCalls = append(pj.ActiveCalls, legJSON(&snap.Legs[i], detailCalls))
			}
		}
		t.Extensions = append(t.Extensions, TruthExtension{
			ID: e.IDString(), ExtensionNumber: e.Number, Name: e.Name, Type: e.Type, Status: e.Status,
			Sequence: e.Presence.Sequence, Presence: pj,
		})
	}
	for _, q := range p.dir.Queues {
		tq := TruthQueue{
			ID: q.Ext.IDString(), Name: q.Ext.Name, ExtensionNumber: q.Ext.Number,
			EditableMemberStatus: q.EditableMemberStatus, Members: map[string]bool{},
		}
		for _, m := range q.Members {
			tq.Members[m.IDString()] = q.AcceptCurrent[m.ID]
		}
		t.Queues = append(t.Queues, tq)
	}
	return t
}

// lookupExtension resolves an {extensionId} path segment ("~" is the caller).
func (p *Platform) lookupExtension(seg string, caller *Extension) (*Extension, bool) {
	if seg == "~" {
		return caller, caller != nil
	}
	id, err := strconv.ParseInt(seg, 10, 64)
	if err != nil {
		return nil, false
	}
	e, ok := p.dir.ByID[id]
	return e, ok
}

// accountMatches reports whether an {accountId} path segment names this account.
func (p *Platform) accountMatches(seg string) bool {
	return seg == "~" || seg == strconv.FormatInt(p.dir.AccountID, 10)
}
