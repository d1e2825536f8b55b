package ui

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/state"
)

func TestLayoutDropsColumnsByPriority(t *testing.T) {
	var prev []colID
	for w := MinWidth; w <= 260; w++ {
		for _, inQueue := range []bool{false, true} {
			lay := newLayout(w, inQueue)
			if !lay.has(colName) || !lay.has(colState) {
				t.Fatalf("width %d: the name and the badge must never drop", w)
			}
			last := lay.cols[len(lay.cols)-1]
			if last.x+last.w != w {
				t.Fatalf("width %d: columns end at %d", w, last.x+last.w)
			}
			for i := 1; i < len(lay.cols); i++ {
				if lay.cols[i].x != lay.cols[i-1].x+lay.cols[i-1].w+1 || lay.cols[i].w < 1 {
					t.Fatalf("width %d: columns overlap or vanish: %+v", w, lay.cols)
				}
			}
			if inQueue != lay.has(colInQueue) {
				t.Fatalf("width %d: IN QUEUE shows only grouped by queue", w)
			}
			if inQueue {
				continue
			}
			// A column only gives way to a more important one arriving.
			var got []colID
			for _, c := range lay.cols {
				got = append(got, c.spec.id)
			}
			for _, lost := range prev {
				if slices.Contains(got, lost) {
					continue
				}
				ok := false
				for _, id := range got {
					if !slices.Contains(prev, id) && columns[id].prio < columns[lost].prio {
						ok = true
					}
				}
				if !ok {
					t.Fatalf("width %d lost column %d that width %d had, for nothing more important", w, lost, w-1)
				}
			}
			prev = got
		}
	}
	if lay := newLayout(80, false); !lay.has(colCall) || !lay.has(colSince) {
		t.Fatalf("80 columns must show the call and the time in state")
	}
	if lay := newLayout(250, false); len(lay.cols) != len(columns)-1 {
		t.Fatalf("250 columns must show every column")
	}
}

// TestCallCellsTellTheCallAndItsTime: FOR counts a call from its start, as
// the server gives it, and a call ringing behind a conversation shows.
func TestCallCellsTellTheCallAndItsTime(t *testing.T) {
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	e := &state.Entry{ID: "1", Name: "Ann", Known: true, Availability: state.OnCall,
		AvailSince: now.Add(-10 * time.Second), // seen answering 10 s ago
		Calls: []state.Call{
			{ID: "a", FromName: "Globex", Start: now.Add(-95 * time.Second)},
			{ID: "b", FromName: "Initech", Start: now.Add(-5 * time.Second)},
		}}
	for i, st := range []string{"CallConnected", "Ringing"} {
		e.Calls[i].SetDirection("Inbound")
		e.Calls[i].SetStatus(st)
	}
	if got := stateSince(e); !got.Equal(now.Add(-95 * time.Second)) {
		t.Fatalf("on a call, FOR starts at the call's start, got %v", now.Sub(got))
	}
	cell := callCell(e, now, 40)
	if !strings.Contains(cell, "Globex") || !strings.Contains(cell, "+1 ringing") || !strings.Contains(cell, "1:35") {
		t.Fatalf("call cell %q: want the caller talked to, +1 ringing and the call's 1:35", cell)
	}
	e.Availability, e.AvailSince = state.OnHold, now.Add(-20*time.Second)
	e.Calls[0].SetStatus("OnHold")
	if got := stateSince(e); !got.Equal(now.Add(-20 * time.Second)) {
		t.Fatalf("on hold, FOR starts when the hold was seen, got %v", now.Sub(got))
	}
}

// TestWriteFitIsFit: a cell written in place is the cell fit makes.
func TestWriteFitIsFit(t *testing.T) {
	for _, s := range []string{"", "Ann Lee", "a name far longer than the cell", "Åsa García", "Nuño Iyer wider than it", "–",
		"日本語の名前", "→off…"} {
		for _, w := range []int{-1, 0, 1, 2, 5, 12, 40} {
			var b bytes.Buffer
			writeFit(&b, s, w)
			if got, want := b.String(), fit(s, w); got != want {
				t.Errorf("writeFit(%q, %d) = %q, fit = %q", s, w, got, want)
			}
		}
	}
}
