package ui

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rchud/rchud/state"
)

func ids(prefix string, n int) []state.ID {
	out := make([]state.ID, n)
	for i := range out {
		out[i] = state.ID(fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

func TestSelectionKeepsItsPlaceOnScreenThroughAResort(t *testing.T) {
	var g grid
	g.sel = -1
	list := ids("x", 100)
	g.setProjection(state.Projection{Groups: []state.Group{{IDs: list}}, Total: 100}, false)
	g.setHeight(10)
	g.selectLine(45)
	g.top = 40
	g.clamp()
	// x45 moves to position 70 and everyone else shifts.
	moved := slices.Delete(slices.Clone(list), 45, 46)
	moved = slices.Insert(moved, 70, state.ID("x45"))
	g.setProjection(state.Projection{Groups: []state.Group{{IDs: moved}}, Total: 100}, false)
	if id, _, _ := g.selected(); id != "x45" || g.sel != 70 || g.sel-g.top != 5 {
		t.Fatalf("selected %s at line %d, top %d: want x45 at 70, 5 lines down the window", id, g.sel, g.top)
	}
	// Gone: the selection stays at the same line, on another person.
	gone := slices.Delete(slices.Clone(moved), 70, 71)
	g.setProjection(state.Projection{Groups: []state.Group{{IDs: gone}}, Total: 99}, false)
	if g.sel != 70 {
		t.Fatalf("selection jumped to %d when its person left", g.sel)
	}
	// Empty, then back.
	g.setProjection(state.Projection{Groups: []state.Group{{}}}, false)
	if g.sel != -1 || len(g.window()) != 0 {
		t.Fatalf("an empty list must have no selection")
	}
	g.setProjection(state.Projection{Groups: []state.Group{{IDs: list}}, Total: 100}, false)
	if g.sel < 0 {
		t.Fatalf("rows are back and nothing is selected")
	}
}

func TestGroupedGridKeepsThePersonInTheirGroup(t *testing.T) {
	var g grid
	g.sel = -1
	p := state.Projection{Groups: []state.Group{
		{Key: "q1", Title: "A", IDs: []state.ID{"1", "2"}},
		{Key: "q2", Title: "B", IDs: []state.ID{"2", "3"}},
		{Key: "", Title: "None", IDs: nil},
	}}
	g.setProjection(p, true)
	g.setHeight(20)
	if len(g.proj.Groups) != 2 || g.lines != 6 {
		t.Fatalf("empty groups must not be drawn: %d groups, %d lines", len(g.proj.Groups), g.lines)
	}
	g.last() // "3" in q2
	g.move(-1)
	if id, gr, _ := g.selected(); id != "2" || gr.Key != "q2" {
		t.Fatalf("selected %s in %s, want 2 in q2", id, gr.Key)
	}
	g.move(-1) // skips q2's header
	if id, gr, _ := g.selected(); id != "2" || gr.Key != "q1" {
		t.Fatalf("selected %s in %s, want 2 in q1", id, gr.Key)
	}
	g.move(1)
	// q1 loses "1": "2" in q2 is found in q2, not in q1.
	p.Groups[0].IDs = []state.ID{"2"}
	g.setProjection(p, true)
	if id, gr, _ := g.selected(); id != "2" || gr.Key != "q2" {
		t.Fatalf("after the change: %s in %s, want 2 in q2", id, gr.Key)
	}
	g.first()
	if g.top != 0 || g.at(g.sel).row != 0 {
		t.Fatalf("the first row must show with its group header above")
	}
}

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
