package ui

import (
	"charm.land/bubbles/v2/key"
)

// KeyMap is every key of the HUD with its help text. The model enables
// and disables bindings by state, so help lists only live keys; the
// bindings that change the server are Server(), and --readonly unbinds
// them.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding

	Detail, Focus, Filter, Quick, Sort, Group, Jump, Back key.Binding

	// Pin keeps someone at the top; Watch tells when someone is free.
	Pin, Watch key.Binding

	// My status, queues and, for supervisors, members: these change the
	// server.
	Available, Busy, Invisible, DND, Message, QueueCalls, Toggle key.Binding

	// My calls: these act through the phone system.
	Answer, Hold, Transfer, Voicemail, Dial, Park, HangUp, Pickup key.Binding

	// Board shows the queue board; Parked the parked calls.
	Board, Parked key.Binding

	Queues, Help, Quit key.Binding

	// Prompts: the filter and message editors, the sort chooser, y/n.
	Accept, Cancel, Yes, No, SortBy, Type key.Binding
}

// NewKeyMap makes the key map; readOnly removes every key that changes
// the server.
func NewKeyMap(readOnly bool) *KeyMap {
	k := &KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		End:      key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),

		Detail: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Focus:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "scroll details")),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Quick:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "quick filter")),
		Sort:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Group:  key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "group")),
		Jump: key.NewBinding(key.WithKeys("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
			key.WithHelp("0-9", "jump to extension")),
		Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),

		Pin:   key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "pin to the top")),
		Watch: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "tell me when free")),

		Available:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "I'm available")),
		Busy:       key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "I'm busy")),
		Invisible:  key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "I'm invisible")),
		DND:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "do not disturb")),
		Message:    key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "my message")),
		QueueCalls: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "accept queue calls")),
		Toggle:     key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "toggle")),

		Answer:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "answer my ringing call")),
		Hold:      key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hold my call")),
		Transfer:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "transfer my call to them")),
		Voicemail: key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "transfer to their voicemail")),
		Dial:      key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "transfer to a number")),
		Park:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "park my call")),
		HangUp:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hang up")),
		Pickup:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "pick up their call")),

		Board:  key.NewBinding(key.WithKeys("Q"), key.WithHelp("Q", "queue board")),
		Parked: key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "parked calls")),

		Queues: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "my queues")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		SortBy: key.NewBinding(key.WithKeys(sortLetters()...), key.WithHelp("letter", "sort by that column")),
		Type:   key.NewBinding(key.WithKeys("type"), key.WithHelp("type", "edit")), // help only: no key press reads "type"
	}
	if readOnly {
		for _, b := range k.Server() {
			b.Unbind()
		}
	}
	return k
}

// Server lists the bindings that change the server.
func (k *KeyMap) Server() []*key.Binding {
	return append([]*key.Binding{&k.Available, &k.Busy, &k.Invisible, &k.DND, &k.Message, &k.QueueCalls, &k.Toggle}, k.Calls()...)
}

// Calls lists the bindings that act on calls.
func (k *KeyMap) Calls() []*key.Binding {
	return []*key.Binding{&k.Answer, &k.Hold, &k.Transfer, &k.Voicemail, &k.Dial, &k.Park, &k.HangUp, &k.Pickup}
}

// only enables the given bindings and disables every other.
func (k *KeyMap) only(live ...*key.Binding) {
	// Every binding, in an array: updateKeys runs on every message, and a
	// slice of them would be allocated each time.
	all := [...]*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End,
		&k.Detail, &k.Focus, &k.Filter, &k.Quick, &k.Sort, &k.Group, &k.Jump, &k.Back, &k.Pin, &k.Watch,
		&k.Available, &k.Busy, &k.Invisible, &k.DND, &k.Message, &k.QueueCalls, &k.Toggle,
		&k.Answer, &k.Hold, &k.Transfer, &k.Voicemail, &k.Dial, &k.Park, &k.HangUp, &k.Pickup,
		&k.Board, &k.Parked, &k.Queues, &k.Help, &k.Quit, &k.Accept, &k.Cancel, &k.Yes, &k.No, &k.SortBy, &k.Type}
	for _, b := range all {
		b.SetEnabled(false)
	}
	for _, b := range live {
		b.SetEnabled(true)
	}
}

// enabled filters bindings to the live ones (an unbound key is never live).
func enabled(bs ...key.Binding) []key.Binding {
	return appendEnabled(make([]key.Binding, 0, len(bs)), bs...)
}

// appendEnabled appends the live ones of bs to out.
func appendEnabled(out []key.Binding, bs ...key.Binding) []key.Binding {
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}
