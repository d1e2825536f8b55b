package ui

import (
	"fmt"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rchud/rchud/state"
)

// CallActor makes call actions: a *state.Caller, or a hub's that checks
// the viewer's role. Act only records the action and returns; the desk in
// the frames shows it pending, then done or failed.
type CallActor interface {
	Act(r state.CallRequest) error
}

// callDoneMsg is the immediate answer of a call action: only a refusal
// before sending.
type callDoneMsg struct {
	what string
	err  error
}

// maxStrip is the most lines the strip of my calls takes.
const maxStrip = 3

// callKeysLive reports whether call actions are possible at all: a call
// actor, not read-only, and the phone system allows them.
func (m *Model) callKeysLive() bool {
	d := m.frame.Desk
	return m.opts.Caller != nil && !m.c.ReadOnly && d != nil && d.CallControl
}

// myCall finds the first of my calls in one of the states given (the desk
// lists my calls with the one my badge shows first), with no action on
// its way.
func (m *Model) myCall(ok func(c *state.MyCall) bool) (state.MyCall, bool) {
	d := m.frame.Desk
	if d == nil {
		return state.MyCall{}, false
	}
	for _, c := range d.Calls {
		if ok(&c) && (c.Action == nil || !c.Action.Live()) {
			return c, true
		}
	}
	return state.MyCall{}, false
}

func ringingIn(c *state.MyCall) bool { return c.Status() == "Ringing" && c.Inbound() }
func talking(c *state.MyCall) bool   { return c.Status() == "CallConnected" }
func held(c *state.MyCall) bool      { return c.Status() == "OnHold" }

// callInHand is the call a transfer, a park or a hang-up acts on: the one
// I talk on, else the one I hold.
func (m *Model) callInHand() (state.MyCall, bool) {
	if c, ok := m.myCall(talking); ok {
		return c, true
	}
	return m.myCall(held)
}

// colleague is the selected row when it is someone to send a call to.
func (m *Model) colleague() (*state.Entry, bool) {
	l, ok := m.frame.Selected()
	if !ok || l.Me || !l.Entry.Person() {
		return nil, false
	}
	return l.Entry, true
}

// pickable is the selected colleague's call I could pick up: a parked
// one, or (for an admin) one ringing them.
func (m *Model) pickable() (*state.Entry, *state.Call, bool) {
	l, ok := m.frame.Selected()
	if !ok || l.Me || m.pane == paneParked {
		return nil, nil, false
	}
	for i := range l.Entry.Calls {
		c := &l.Entry.Calls[i]
		if c.SessionID == "" || c.PartyID == "" {
			continue
		}
		if c.Status() == "ParkedCall" || c.Status() == "Ringing" && c.Inbound() && m.frame.Me.Admin {
			return l.Entry, c, true
		}
	}
	return nil, nil, false
}

// callKeys appends the call keys live now to live.
func (m *Model) callKeys(live []*key.Binding) []*key.Binding {
	if !m.callKeysLive() {
		return live
	}
	k := m.c.Keys
	if _, ok := m.myCall(ringingIn); ok {
		live = append(live, &k.Answer)
	}
	if _, ok := m.myCall(talking); ok {
		live = append(live, &k.Hold)
		k.Hold.SetHelp("h", "hold my call")
	} else if _, ok := m.myCall(held); ok {
		live = append(live, &k.Hold)
		k.Hold.SetHelp("h", "resume my call")
	}
	if _, ok := m.callInHand(); ok {
		live = append(live, &k.Dial, &k.Park, &k.HangUp)
		if _, ok := m.colleague(); ok {
			live = append(live, &k.Transfer, &k.Voicemail)
		}
	}
	if _, _, ok := m.pickable(); ok {
		live = append(live, &k.Pickup)
	} else if _, ok := m.selectedParked(); ok && m.pane == paneParked {
		live = append(live, &k.Pickup)
		k.Pickup.SetHelp("u", "pick up this parked call")
	}
	return live
}

// callWho is a call as the strip and the questions name it: the arrow,
// the other party, and how long it has run.
func (m *Model) callWho(c *state.Call) string {
	s := callArrow(c) + " " + c.Who()
	if !c.Start.IsZero() {
		s += " (" + state.FormatDuration(m.c.Now().Sub(c.Start)) + ")"
	}
	return s
}

// personLabel names a colleague as a transfer question does.
func personLabel(e *state.Entry) string {
	return fmt.Sprintf("%s, ext %s", orName(e.Name), e.Number)
}

func orName(s string) string {
	if s == "" {
		return "(no name)"
	}
	return s
}

// act sends a call action in a Cmd.
func (m *Model) act(r state.CallRequest) tea.Cmd {
	c := m.opts.Caller
	if c == nil {
		return nil
	}
	what := r.Kind.Verb()
	return func() tea.Msg { return callDoneMsg{what: what, err: c.Act(r)} }
}

// onCallKey handles a call key; false when msg is none.
func (m *Model) onCallKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Answer):
		c, ok := m.myCall(ringingIn)
		if !ok {
			return nil, true
		}
		return m.act(state.CallRequest{Kind: state.ActAnswer, Call: c.Ref(), Caller: c.Who()}), true
	case key.Matches(msg, k.Hold):
		if c, ok := m.myCall(talking); ok {
			return m.act(state.CallRequest{Kind: state.ActHold, Call: c.Ref(), Caller: c.Who()}), true
		}
		if c, ok := m.myCall(held); ok {
			return m.act(state.CallRequest{Kind: state.ActUnhold, Call: c.Ref(), Caller: c.Who()}), true
		}
	case key.Matches(msg, k.Park):
		if c, ok := m.callInHand(); ok {
			return m.act(state.CallRequest{Kind: state.ActPark, Call: c.Ref(), Caller: c.Who()}), true
		}
	case key.Matches(msg, k.Transfer), key.Matches(msg, k.Voicemail):
		c, ok := m.callInHand()
		e, okE := m.colleague()
		if !ok || !okE {
			return nil, true
		}
		r := state.CallRequest{Kind: state.ActTransfer, Call: c.Ref(), Caller: c.Who(), Target: personLabel(e), To: state.TransferTo{Ext: e.ID}}
		q := fmt.Sprintf("Transfer %s to %s, %s?", m.callWho(&c.Call), personLabel(e), BadgeLabel(e.Availability))
		if key.Matches(msg, k.Voicemail) {
			r.Kind, r.Target = state.ActVoicemail, orName(e.Name)+"'s voicemail"
			q = fmt.Sprintf("Send %s to %s's voicemail (ext %s)?", m.callWho(&c.Call), orName(e.Name), e.Number)
		}
		m.confirm = confirmation{question: q, yes: func() tea.Cmd { return m.act(r) }}
		m.mode = modeConfirm
		return nil, true
	case key.Matches(msg, k.Dial):
		if _, ok := m.callInHand(); ok {
			m.mode = modeNumber
			m.number = newInput("", 32)
		}
		return nil, true
	case key.Matches(msg, k.HangUp):
		if c, ok := m.callInHand(); ok {
			r := state.CallRequest{Kind: state.ActHangUp, Call: c.Ref(), Caller: c.Who()}
			m.confirm = confirmation{question: fmt.Sprintf("Hang up on %s?", m.callWho(&c.Call)), yes: func() tea.Cmd { return m.act(r) }}
			m.mode = modeConfirm
		}
		return nil, true
	case key.Matches(msg, k.Pickup) && m.pane == paneParked:
		pc, ok := m.selectedParked()
		if !ok {
			return nil, true
		}
		who := pc.Caller
		if who == "" {
			who = pc.CallerNumber
		}
		orbit := pc.Orbit
		if pc.LocationName != "" {
			orbit = pc.LocationName
		}
		return m.act(state.CallRequest{Kind: state.ActPickup, Call: state.CallRef{Session: pc.Session, Party: pc.Party, Ext: pc.ParkedBy},
			Caller: who, Target: "parked at " + orbit}), true
	case key.Matches(msg, k.Pickup):
		e, c, ok := m.pickable()
		if !ok {
			return nil, true
		}
		what := "parked by"
		if c.Status() == "Ringing" {
			what = "ringing"
		}
		r := state.CallRequest{Kind: state.ActPickup, Call: state.CallRef{Session: c.SessionID, Party: c.PartyID, Ext: e.ID},
			Caller: c.Who(), Target: fmt.Sprintf("%s %s", what, orName(e.Name))}
		return m.act(r), true
	}
	return nil, false
}

// keyNumber edits the number a call is transferred to.
func (m *Model) keyNumber(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.mode = modeGrid
		return nil
	case key.Matches(msg, k.Accept):
		num, err := dialable(m.number.Value())
		if err != nil {
			m.setFlash(err.Error(), true)
			return nil
		}
		m.mode = modeGrid
		c, ok := m.callInHand()
		if !ok {
			m.setFlash("the call is no longer in hand", true)
			return nil
		}
		return m.act(state.CallRequest{Kind: state.ActTransfer, Call: c.Ref(), Caller: c.Who(), Target: num, To: state.TransferTo{Number: num}})
	}
	m.number.handle(msg)
	return nil
}

// dialable cleans a typed phone number: digits with an optional leading
// +, and * or # for feature codes; spaces, dots, dashes and brackets are
// dropped.
func dialable(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsDigit(r) && r < 128, r == '*', r == '#':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("%q is not part of a phone number", r)
		}
	}
	if strings.Trim(b.String(), "+") == "" {
		return "", fmt.Errorf("type a phone number, or esc")
	}
	return b.String(), nil
}

// stripHeight is the lines the strip of my calls takes: one per call or
// action to tell, at most maxStrip, and none without any.
func (m *Model) stripHeight() int {
	d := m.frame.Desk
	if d == nil || m.help {
		return 0
	}
	n := len(d.Calls) + len(d.Others)
	if n == 0 {
		return 0
	}
	room := m.c.Height - headerHeight - 1 - 5 // the grid keeps a few rows
	return max(0, min(n, maxStrip, room))
}

// callStrip draws my calls, each with the action on it and, on the first,
// the keys that act on it.
func (m *Model) callStrip(w, h int) []string {
	if h <= 0 {
		return nil
	}
	st := m.c.Styles
	d := m.frame.Desk
	now := m.c.Now()
	var lines []string
	for i, c := range d.Calls {
		var b strings.Builder
		b.WriteString(" " + st.Bold.wrap(callArrow(&c.Call)+" "+c.Who()))
		if name, num := c.Party(); name != "" && num != "" {
			b.WriteString(" " + num)
		}
		if c.Queue {
			via := "queue"
			if c.QueueName != "" {
				via = c.QueueName
			}
			b.WriteString(st.Faint.wrap(" via ") + via)
		}
		b.WriteString(" · " + callStateWord(&c.Call))
		if !c.Start.IsZero() {
			b.WriteString(" " + state.FormatDuration(now.Sub(c.Start)))
		}
		if a := c.Action; a != nil {
			b.WriteString(" · " + actionText(st, a))
		}
		if i == 0 && (c.Action == nil || !c.Action.Live()) {
			if hints := m.callHints(); hints != "" {
				b.WriteString("  " + hints)
			}
		}
		lines = append(lines, fitLine(b.String(), w))
	}
	for i := range d.Others {
		a := &d.Others[i]
		who := a.Caller
		if who == "" {
			who = "the call"
		}
		lines = append(lines, fitLine(" "+who+" · "+actionText(st, a), w))
	}
	if len(lines) > h {
		more := len(lines) - h + 1
		lines = append(lines[:h-1], fitLine(st.Faint.wrap(fmt.Sprintf(" … %d more calls", more)), w))
	}
	return lines
}

// callStateWord names a call's state in a receptionist's words (state's
// rule), "–" when the call does not say.
func callStateWord(c *state.Call) string {
	if w := c.State(); w != "" {
		return w
	}
	return "–"
}

// actionText tells where an action is: on its way, done, or failed and why.
func actionText(st *Styles, a *state.CallAction) string {
	target := ""
	if a.Target != "" {
		target = " to " + a.Target
		if a.Kind == state.ActPickup {
			target = " (" + a.Target + ")"
		}
	}
	switch a.State {
	case state.ActionDone:
		s := "✓ " + a.Kind.Done() + target
		if a.Result != "" {
			s += " at " + a.Result
		}
		return st.OK.wrap(s)
	case state.ActionFailed:
		return st.Error.wrap("✗ " + a.Kind.Verb() + " failed: " + a.Err)
	}
	return st.Pending.wrap("→ " + a.Kind.Doing() + target + "…")
}

// callHints are the keys that act on my first call, in a word each.
func (m *Model) callHints() string {
	k := m.c.Keys
	short := []struct {
		b    *key.Binding
		word string
	}{{&k.Answer, "answer"}, {&k.Transfer, "transfer"}, {&k.Voicemail, "voicemail"}, {&k.Hold, "hold"},
		{&k.Park, "park"}, {&k.Dial, "to number"}, {&k.HangUp, "hang up"}}
	var out []string
	for _, s := range short {
		if !s.b.Enabled() {
			continue
		}
		word := s.word
		if s.b == &k.Hold && strings.HasPrefix(k.Hold.Help().Desc, "resume") {
			word = "resume"
		}
		out = append(out, m.c.Styles.Key.wrap(s.b.Help().Key)+" "+word)
	}
	return strings.Join(out, " · ")
}

// numberPrompt is the line that edits a number to transfer to.
func (m *Model) numberPrompt(w int) string {
	st := m.c.Styles
	c, _ := m.callInHand()
	label := " Transfer " + callArrow(&c.Call) + " " + c.Who() + " to number: "
	tail := "  " + st.Key.wrap("enter") + " transfer · " + st.Key.wrap("esc") + " cancel "
	if m.flash != "" && m.flashErr {
		tail = "  " + st.Error.wrap(m.flash) + " "
	}
	room := w - textWidth(label) - textWidth(tail)
	if room < 12 {
		tail, room = "", w-textWidth(label)
	}
	return fitLine(st.Bold.wrap(label)+m.number.view(max(1, room), st.Cursor)+tail, w)
}

// noCallsReason is what help says when the call keys are missing.
func (m *Model) noCallsReason() string {
	d := m.frame.Desk
	switch {
	case m.c.ReadOnly:
		return "Call keys are hidden (--readonly)."
	case m.opts.Caller == nil:
		return ""
	case d == nil || d.CallControl:
		return ""
	case d.Why != "":
		return "Call keys are hidden: " + d.Why + "."
	}
	return "Call keys are hidden: the app needs RingCentral's CallControl permission."
}

// deviceLabel is the phone calls are answered on, when call keys are live.
func (m *Model) deviceLabel() string {
	if !m.callKeysLive() {
		return ""
	}
	return m.frame.Desk.Device
}
