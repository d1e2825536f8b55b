package emulator

import (
	"math"
	"math/rand/v2"
	"time"
)

// SimStats counts what the simulated call centre has done.
type SimStats struct {
	CallsOffered     int64 `json:"callsOffered"`     // inbound calls from outside callers
	QueueCalls       int64 `json:"queueCalls"`       // of those, the ones that came through a call queue
	AgentRings       int64 `json:"agentRings"`       // times a queue call rang an agent
	CallsAnswered    int64 `json:"callsAnswered"`    // inbound calls a user picked up (once per call)
	CallsAbandoned   int64 `json:"callsAbandoned"`   // queue callers who hung up before an answer
	QueueFull        int64 `json:"queueFull"`        // queue callers sent to the queue's voicemail: it held its maxCallers
	CallsTransferred int64 `json:"callsTransferred"` // blind transfers
	CallsParked      int64 `json:"callsParked"`
	Voicemails       int64 `json:"voicemails"` // calls that ended in voicemail
	OutboundCalls    int64 `json:"outboundCalls"`
	InternalCalls    int64 `json:"internalCalls"`
	StatusChanges    int64 `json:"statusChanges"` // status, DND, meeting and queue-availability changes people made
}

// span is a uniform range of durations.
type span struct{ lo, hi time.Duration }

func (s span) draw(r *rand.Rand) time.Duration {
	if s.hi <= s.lo {
		return s.lo
	}
	return s.lo + time.Duration(r.Int64N(int64(s.hi-s.lo)))
}

// logNormal is a right-skewed duration: most calls are short, a few run long.
type logNormal struct {
	median   time.Duration
	sigma    float64
	min, max time.Duration
}

func (l logNormal) draw(r *rand.Rand) time.Duration {
	d := time.Duration(float64(l.median) * math.Exp(l.sigma*r.NormFloat64()))
	return min(max(d, l.min), l.max)
}

// mean is the distribution's mean before clamping (for the warm-up share).
func (l logNormal) mean() time.Duration {
	return time.Duration(float64(l.median) * math.Exp(l.sigma*l.sigma/2))
}

// callModel is every rate, probability and duration the call centre uses.
// defaultModel derives it from CallsPerMinute; tests set fields directly.
type callModel struct {
	// Event rates per second of simulated time; 0 turns a stream off.
	inboundPerSec  float64 // calls from outside
	outboundPerSec float64 // users calling out (skipped when the chosen user is busy)
	internalPerSec float64 // users calling colleagues
	statusPerSec   float64 // people changing their status

	queueShare    float64 // share of inbound calls that go to a call queue
	mainLineShare float64 // share that ring the receptionist from the main number

	// warmShare is the share of users already on a call at start.
	warmShare float64

	answerQueue    float64 // an idle agent picks up a queue call
	answerFree     float64 // a free user picks up a direct call
	answerBusy     float64 // a user on a call picks up a second (call waiting)
	answerMainLine float64 // the receptionist picks up the main line
	answerOutbound float64 // the far end picks up an outbound call

	declineShare    float64       // of transferred calls a colleague does not answer, the share they decline
	declineDelay    span          // ringing before a colleague declines
	answerDelay     span          // ringing before someone picks up
	queueRing       time.Duration // an agent's ring before the queue tries the next one
	directRing      time.Duration // ringing before voicemail takes a direct call
	outboundRing    span          // ringing before an outbound call gives up
	queueRetry      span          // how often a waiting caller is offered again
	queuePatience   span          // how long a waiting caller holds before hanging up
	maxLegs         int           // a user with this many calls sends the next to voicemail
	voicemailLength span          // how long a caller talks to a voicemail box
	holdPatience    span          // how long a caller a client put on hold waits before hanging up

	talk         logNormal // inbound calls from outside
	shortShare   float64   // share of calls that are quick ("wrong number", "just a question")
	shortTalk    span
	mainLineTalk logNormal // the receptionist finding out whom to transfer to
	outboundTalk logNormal
	internalTalk logNormal

	holdChance        float64 // at each talk segment, the call goes on hold
	holdTime          logNormal
	transferChance    float64 // an agent or user blind-transfers the caller
	mainLineTransfer  float64 // the receptionist transfers a main-line caller
	parkChance        float64
	parkTime          span
	parkPickup        float64 // a parked call is picked up (otherwise the caller hangs up)
	episodeLength     map[episodeKind]span
	episodeWeights    []episodeWeight
	initialIdleSpread time.Duration // how long ago agents' last calls ended at start
}

type episodeWeight struct {
	kind   episodeKind
	weight int
}

// defaultModel is a busy but believable call centre at cpm inbound calls
// per minute.
func defaultModel(cpm float64) callModel {
	m := callModel{
		inboundPerSec:  cpm / 60,
		outboundPerSec: 0.3 * cpm / 60,
		internalPerSec: 0.15 * cpm / 60,
		statusPerSec:   cpm / 20 / 60,
		queueShare:     0.7,
		// The receptionist's phone rings about once a minute: she answers
		// from her console, so the simulation leaves them to her.
		mainLineShare: min(0.08, 1/max(cpm, 1)),

		answerQueue:    0.9,
		answerFree:     0.75,
		answerBusy:     0.25,
		answerMainLine: 0.95,
		answerOutbound: 0.75,

		declineShare:    0.3,
		declineDelay:    span{2 * time.Second, 6 * time.Second},
		answerDelay:     span{2 * time.Second, 9 * time.Second},
		queueRing:       15 * time.Second,
		directRing:      20 * time.Second,
		outboundRing:    span{20 * time.Second, 35 * time.Second},
		queueRetry:      span{3 * time.Second, 7 * time.Second},
		queuePatience:   span{60 * time.Second, 120 * time.Second},
		maxLegs:         2,
		voicemailLength: span{10 * time.Second, 40 * time.Second},
		holdPatience:    span{90 * time.Second, 5 * time.Minute},

		talk:         logNormal{median: 100 * time.Second, sigma: 0.8, min: 8 * time.Second, max: 40 * time.Minute},
		shortShare:   0.12,
		shortTalk:    span{4 * time.Second, 25 * time.Second},
		mainLineTalk: logNormal{median: 25 * time.Second, sigma: 0.5, min: 6 * time.Second, max: 5 * time.Minute},
		outboundTalk: logNormal{median: 80 * time.Second, sigma: 0.9, min: 5 * time.Second, max: 40 * time.Minute},
		internalTalk: logNormal{median: 60 * time.Second, sigma: 0.8, min: 5 * time.Second, max: 20 * time.Minute},

		holdChance:       0.15,
		holdTime:         logNormal{median: 25 * time.Second, sigma: 0.6, min: 5 * time.Second, max: 4 * time.Minute},
		transferChance:   0.07,
		mainLineTransfer: 0.7,
		parkChance:       0.02,
		parkTime:         span{15 * time.Second, 90 * time.Second},
		parkPickup:       0.7,

		episodeLength: map[episodeKind]span{
			lunch:       {20 * time.Minute, 45 * time.Minute},
			meeting:     {15 * time.Minute, 45 * time.Minute},
			dnd:         {5 * time.Minute, 30 * time.Minute},
			leaveQueues: {3 * time.Minute, 20 * time.Minute},
			invisible:   {5 * time.Minute, 30 * time.Minute},
			queueToggle: {3 * time.Minute, 20 * time.Minute},
		},
		episodeWeights: []episodeWeight{
			{lunch, 20}, {meeting, 25}, {dnd, 15}, {leaveQueues, 15}, {invisible, 10}, {queueToggle, 15},
		},
		initialIdleSpread: 20 * time.Minute,
	}
	return m
}

// maxBusyShare is the share of users the rates may keep on calls before
// talk times shrink.
const maxBusyShare = 0.6

// busyShare estimates the share of users on a call in the steady state the
// rates lead to (offered load in erlangs per user).
func (m *callModel) busyShare(users int) float64 {
	erlangs := (m.inboundPerSec+m.answerOutbound*m.outboundPerSec)*m.talk.mean().Seconds() +
		2*m.answerFree*m.internalPerSec*m.internalTalk.mean().Seconds()
	return erlangs / float64(max(users, 1))
}

// fitTo shapes the model to an account of users: when the rate would keep
// more than maxBusyShare of them on calls, talk and hold times shrink in
// proportion, so that a high rate shows up as more calls (and more
// notifications) rather than as a jammed floor where most callers abandon.
// It also caps the rate of status changes by headcount and sets the share
// of users already on a call at start.
func (m *callModel) fitTo(users int) {
	if load := m.busyShare(users); load > maxBusyShare {
		k := maxBusyShare / load
		for _, l := range []*logNormal{&m.talk, &m.mainLineTalk, &m.outboundTalk, &m.internalTalk, &m.holdTime} {
			l.median = time.Duration(float64(l.median) * k)
			l.min = max(2*time.Second, time.Duration(float64(l.min)*k))
		}
		m.shortTalk.hi = max(m.shortTalk.lo+time.Second, time.Duration(float64(m.shortTalk.hi)*k))
	}
	// Spells away last about 20 minutes: at most users/80 a minute keeps
	// about a quarter of the floor away at the busiest.
	m.statusPerSec = min(m.statusPerSec, float64(users)/80/60)
	m.warmShare = min(0.5, max(0.03, m.busyShare(users)))
}

// exp draws the wait until the next event of a Poisson stream.
func expWait(r *rand.Rand, perSec float64) time.Duration {
	return time.Duration(r.ExpFloat64() / perSec * float64(time.Second))
}

// caller is the outside party of a call.
type caller struct {
	number string
	name   string
}

// newCaller draws an outside party: a person, a business, a carrier label
// such as WIRELESS CALLER, or no name at all, with a number in the
// fictional 555-01xx range.
func newCaller(r *rand.Rand) caller {
	var b [12]byte
	area := areaCodes[r.IntN(len(areaCodes))]
	copy(b[:], "+1")
	copy(b[2:], area)
	copy(b[5:], "55501")
	n := r.IntN(100)
	b[10], b[11] = byte('0'+n/10), byte('0'+n%10)
	c := caller{number: string(b[:])}
	switch x := r.IntN(100); {
	case x < 45:
		c.name = firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
	case x < 70:
		c.name = callerBusinesses[r.IntN(len(callerBusinesses))]
	case x < 90:
		c.name = callerLabels[r.IntN(len(callerLabels))]
	}
	return c
}

// newCallee draws whom a user calls out to: mostly businesses or nameless
// numbers, as the dialled number rarely carries a name.
func newCallee(r *rand.Rand) caller {
	c := newCaller(r)
	switch x := r.IntN(100); {
	case x < 45:
		c.name = callerBusinesses[r.IntN(len(callerBusinesses))]
	case x < 65:
		c.name = firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
	default:
		c.name = ""
	}
	return c
}
