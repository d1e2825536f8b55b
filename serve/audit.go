package serve

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rchud/rchud/state"
)

// Audit writes one line per thing a user did or was refused:
//
//	time=2026-01-02T15:04:05.000Z key=SHA256:… ext=101 role=agent action=status value=Busy result=sent
//
// time is UTC; key the SSH key's fingerprint; ext the extension number
// acted as; action one of the Action names (or connect, disconnect,
// refused); value what was asked; result sent, confirmed, refused: why,
// failed: why. A change is logged when asked (sent or refused) and again
// when the server has answered (confirmed or failed). Values are the
// user's own choices and sanitised server text; no credential ever passes
// through the hub's writer, so none can be logged.
type Audit struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewAudit writes the audit log to w (nil: nowhere).
func NewAudit(w io.Writer, now func() time.Time) *Audit {
	if w == nil {
		w = io.Discard
	}
	if now == nil {
		now = time.Now
	}
	return &Audit{w: w, now: now}
}

// Record is one audit line.
type Record struct {
	Key    string // fingerprint
	Ext    string // extension number
	Role   Role
	Action string
	Value  string
	Result string
}

// Log writes one record.
func (a *Audit) Log(r Record) {
	var b strings.Builder
	b.WriteString("time=")
	b.WriteString(a.now().UTC().Format("2006-01-02T15:04:05.000Z"))
	field(&b, "key", r.Key)
	field(&b, "ext", r.Ext)
	field(&b, "role", string(r.Role))
	field(&b, "action", r.Action)
	field(&b, "value", r.Value)
	field(&b, "result", r.Result)
	b.WriteByte('\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	_, _ = io.WriteString(a.w, b.String())
}

// field appends key=value, quoting a value with spaces, quotes or
// anything unprintable (values may come from users and the network).
func field(b *strings.Builder, k, v string) {
	if v == "" {
		return
	}
	v = state.Sanitize(v)
	b.WriteByte(' ')
	b.WriteString(k)
	b.WriteByte('=')
	if v == "" || strings.ContainsAny(v, " \"=\\") || strconv.Quote(v) != `"`+v+`"` {
		b.WriteString(strconv.Quote(v))
		return
	}
	b.WriteString(v)
}

// describe names an action for a refusal the user reads.
func describe(a Action) string {
	switch a {
	case ActionStatus:
		return "change your status"
	case ActionDND:
		return "turn on Do Not Disturb"
	case ActionMessage:
		return "change your status message"
	case ActionQueueCalls:
		return "change your queue availability"
	case ActionMyQueue:
		return "change your availability in a queue"
	case ActionMember:
		return "change a member's availability in a queue"
	}
	return string(a)
}
