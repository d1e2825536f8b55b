package ui

import (
	"strings"

	"github.com/rchud/rchud/state"
)

// queuePane is my call queues with my availability in each.
type queuePane struct {
	items []state.MyQueue
	sel   int
}

// lockReason says why I cannot change my availability in q, or "".
func lockReason(q state.MyQueue, admin, readOnly bool) string {
	switch {
	case readOnly:
		return "read-only"
	case !q.Editable && !admin:
		return "locked: only a supervisor can change it"
	case !q.Known:
		return "availability not loaded yet"
	}
	return ""
}

func (p *queuePane) move(n int) {
	if len(p.items) == 0 {
		p.sel = 0
		return
	}
	p.sel = min(max(0, p.sel+n), len(p.items)-1)
}

// selected returns the queue under the cursor.
func (p *queuePane) selected() (state.MyQueue, bool) {
	if p.sel < 0 || p.sel >= len(p.items) {
		return state.MyQueue{}, false
	}
	return p.items[p.sel], true
}

// render draws the pane in exactly w x h cells.
func (p *queuePane) render(st *Styles, admin, readOnly bool, global string, titled bool, backlog func(state.ID) (waiting, counts string), w, h int) []string {
	var lines []string
	add := func(s string) { lines = append(lines, fitLine(s, w)) }
	if !titled {
		add(st.Bold.wrap(" My queues"))
	}
	add(" " + global)
	if len(p.items) == 0 {
		add(st.Faint.wrap(" You are in no call queue."))
		return padLines(lines, w, h)
	}
	head := len(lines)
	// Each queue is a line, and a second one for why it cannot change or
	// how its change is going.
	var rows []string
	selAt := 0
	for i, q := range p.items {
		mark := "  "
		if i == p.sel {
			mark = "› "
			selAt = len(rows)
		}
		accept, known := q.Shown()
		box := "[ ? ]"
		if known {
			box = map[bool]string{true: "[on ]", false: "[off]"}[accept]
		}
		line := mark + box + " " + q.Name + " (" + q.Number + ")"
		waiting, counts := backlog(q.ID)
		if waiting != "" {
			line += " · " + waiting
		}
		if i == p.sel {
			line = st.row[rowSelected].wrap(fit(line, w))
		}
		rows = append(rows, line)
		var notes []string
		if counts != "" {
			notes = append(notes, st.Faint.wrap(counts))
		}
		if q.Write != nil {
			notes = append(notes, queueState(st, q.QueueCell))
		}
		if why := lockReason(q, admin, readOnly); why != "" {
			notes = append(notes, st.Faint.wrap(why))
		}
		if len(notes) > 0 {
			rows = append(rows, "        "+strings.Join(notes, " · "))
		}
	}
	room := max(1, h-head)
	start := 0
	if selAt >= room {
		start = selAt - room + 1
	}
	for _, r := range rows[start:min(len(rows), start+room)] {
		add(r)
	}
	return padLines(lines, w, h)
}
