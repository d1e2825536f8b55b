package ui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/state"
)

// People keeps who the user pinned to the top and who they wait for,
// across restarts (a small file of the user's; nil: for this run only).
type People interface {
	Load() (pinned, watched []state.ID, err error)
	Save(pinned, watched []state.ID) error
}

// peopleMsg is what People.Load found.
type peopleMsg struct {
	pinned, watched []state.ID
	err             error
}

// savedMsg is People.Save's answer.
type savedMsg struct{ err error }

// loadPeople reads the pins and watches in a Cmd.
func (m *Model) loadPeople() tea.Cmd {
	p := m.opts.People
	if p == nil {
		return nil
	}
	return func() tea.Msg {
		pinned, watched, err := p.Load()
		return peopleMsg{pinned, watched, err}
	}
}

// savePeople writes the pins and watches in a Cmd.
func (m *Model) savePeople() tea.Cmd {
	p := m.opts.People
	if p == nil {
		return nil
	}
	pinned, watched := slices.Clone(m.query.Pinned), slices.Clone(m.watched)
	return func() tea.Msg { return savedMsg{p.Save(pinned, watched)} }
}

// toggle adds id to a set kept as a sorted list, or takes it away; it
// reports whether id is in it now. The list is a new one: the old may
// still be on its way to the view (a command runs on its own goroutine).
func toggle(ids *[]state.ID, id state.ID) bool {
	next := slices.Clone(*ids)
	defer func() { *ids = next }()
	if i := slices.Index(next, id); i >= 0 {
		next = slices.Delete(next, i, i+1)
		return false
	}
	next = append(next, id)
	slices.Sort(next)
	return true
}

// togglePin pins the selected person to the top, or unpins them.
func (m *Model) togglePin() tea.Cmd {
	l, ok := m.frame.Selected()
	if !ok {
		return nil
	}
	if toggle(&m.query.Pinned, l.Entry.ID) {
		m.setFlash("★ "+l.Entry.Name+" pinned to the top", false)
	} else {
		m.setFlash(l.Entry.Name+" unpinned", false)
	}
	return tea.Batch(m.rearrange(), m.savePeople())
}

// toggleWatch starts or stops waiting for the selected person.
func (m *Model) toggleWatch() tea.Cmd {
	l, ok := m.frame.Selected()
	if !ok {
		return nil
	}
	if toggle(&m.watched, l.Entry.ID) {
		m.setFlash("⚑ you will hear when "+l.Entry.Name+" is free", false)
	} else {
		m.setFlash("no longer waiting for "+l.Entry.Name, false)
	}
	return tea.Batch(m.do(state.SetWatched(m.watched)), m.savePeople())
}

// onAlerts tells the user the news of the people they wait for: in the
// header, with the terminal's bell, and as a desktop notification where
// the terminal shows one.
func (m *Model) onAlerts() tea.Cmd {
	var cmds []tea.Cmd
	for _, a := range m.frame.Alerts {
		if a.Seq <= m.alertSeen {
			continue
		}
		m.alertSeen = a.Seq
		text := a.Name + " (ext " + a.Number + ") " + a.What
		m.setFlash("⚑ "+text, false)
		cmds = append(cmds, tea.Raw(notification(m.notify, "rchud: "+text)))
	}
	return tea.Batch(cmds...)
}

// notifier is how the terminal shows a desktop notification.
type notifier int

const (
	notifyBell   notifier = iota // the bell only
	notifyOSC9                   // iTerm2, WezTerm, Ghostty, Windows Terminal and others
	notifyOSC777                 // rxvt-unicode, foot, Ghostty, Konsole
)

// notifierFor picks the desktop notification the terminal understands,
// from what it says it is; elsewhere only the bell rings.
func notifierFor(env tea.EnvMsg) notifier {
	prog, term := env.Getenv("TERM_PROGRAM"), env.Getenv("TERM")
	switch {
	case prog == "iTerm.app", prog == "WezTerm", prog == "ghostty", env.Getenv("WT_SESSION") != "":
		return notifyOSC9
	case strings.HasPrefix(term, "rxvt-unicode"), strings.HasPrefix(term, "foot"), env.Getenv("KONSOLE_VERSION") != "":
		return notifyOSC777
	}
	return notifyBell
}

// notification is the bytes that ring the bell and, where the terminal
// understands it, raise a desktop notification (text sanitised: no
// control character reaches the terminal).
func notification(n notifier, text string) string {
	text = strings.NewReplacer(";", ",").Replace(state.Sanitize(text))
	text = ansi.Truncate(text, 120, "…")
	switch n {
	case notifyOSC9:
		return "\a\x1b]9;" + text + "\x07"
	case notifyOSC777:
		return "\a\x1b]777;notify;rchud;" + text + "\x07"
	}
	return "\a"
}
