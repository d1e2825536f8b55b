package state

import (
	"time"
)

// Frame is everything one viewer's screen shows, built under one lock
// from one version of the mirror: the screen draws it and never asks the
// mirror anything. Frames are immutable once published; the entries they
// hold are shared between frames and viewers.
type Frame struct {
	// Seq increases with every frame of a view; Ops is the last view
	// operation applied (see View.Apply).
	Seq uint64
	Ops uint64
	// At is when the frame was built (the mirror's clock).
	At time.Time

	Health Health
	// Company is the account's company name ("" until known).
	Company string
	// Directory is how many extensions the directory holds (0 while it
	// loads).
	Directory int
	Me        Me
	// Counts tallies everyone in the account by availability (the header).
	Counts Counts

	// Query is what the grid shows, as applied.
	Query Query
	// Shown is how many extensions the query selects.
	Shown int
	// Lines is the length of the whole list: rows, and a header per group
	// when grouping.
	Lines int
	// Top is the first line on screen, Height how many lines the screen
	// has for the list.
	Top, Height int
	// Sel is the selected line (always a row), -1 when there are no rows.
	Sel int
	// First is the line of Window[0]; Window holds the lines on screen
	// and a margin around them.
	First  int
	Window []Line
	// Sticky is the header of the first row's group when the window opens
	// in the middle of a group: it stays on the screen's first line, and
	// the list shows Height-1 lines under it.
	Sticky *Heading

	// Desk is the viewer's calls and call actions.
	Desk *Desk

	// Detail is the selected extension's details when the view asks for
	// them.
	Detail *Detail
	// Jump is the answer to the last digits typed (nil when none).
	Jump *Jump
	// Watched are the people the viewer waits for; Alerts the latest news
	// of them, oldest first, numbered (a frame missed loses none of the
	// last few).
	Watched []ID
	Alerts  []Alert
	// Next is when the frame would read differently without any new event
	// (a link turning stale or offline, a failure expiring); zero: never.
	Next time.Time
}

// Line is one line of the list: a group header or a row.
type Line struct {
	// Group is the header's group, or the group the row is in.
	Group *Heading
	// Header marks a group header line.
	Header bool
	Entry  *Entry
	// Stale marks a row that may be out of date.
	Stale bool
	// Me marks the viewer's own row.
	Me bool
	// InQueue is the row's availability in its group's queue, when
	// grouping by queue.
	InQueue QueueCell
}

// Heading is a group of rows as its header shows it.
type Heading struct {
	// Key is the queue's id or the department's name ("" for the rows in
	// no group).
	Key    ID
	Title  string
	Rows   int
	Counts Counts
	// Queue marks a call queue's group; CanTake counts its members who
	// could take one of its calls now (available, taking queue calls,
	// available in it).
	Queue   bool
	CanTake int
}

// QueueCell is a member's availability in one queue, with a change of it
// in flight or failed.
type QueueCell struct {
	Known, Accept bool
	Write         *Write
}

// Shown is the availability as it should show: the pending choice, else
// what the server said.
func (c QueueCell) Shown() (accept, known bool) {
	if c.Write != nil && c.Write.Pending() {
		return c.Write.Accept, true
	}
	return c.Accept, c.Known
}

// Me is the viewer as they should see themselves: the server's state with
// their choices still on their way laid over it.
type Me struct {
	ID    ID
	Admin bool
	// Entry is the viewer's extension (nil until the directory has it).
	Entry *Entry
	// Status, InDND and QueueCalls are as shown: a pending choice wins
	// over the server's state.
	Status     Status
	InDND      bool
	QueueCalls bool
	// The writes in flight or failed, nil when none.
	StatusWrite, MessageWrite, QueueCallsWrite *Write
	// Queues are the viewer's call queues and their availability in each.
	Queues []MyQueue
}

// Known reports whether the viewer's own presence has arrived.
func (m *Me) Known() bool { return m.Entry != nil && m.Entry.Known }

// MyQueue is one of a person's queues and their availability in it.
type MyQueue struct {
	ID       ID
	Name     string
	Number   string
	Editable bool
	QueueCell
}

// Detail is everything the detail pane shows about one extension.
type Detail struct {
	Entry *Entry
	Group *Heading
	Stale bool
	Me    bool
	// Queues are the extension's queues and its availability in each.
	Queues []MyQueue
}

// Alert is news of someone the viewer waits for.
type Alert struct {
	Seq          uint64
	ID           ID
	Name, Number string
	// What happened: "is available", "finished their call".
	What      string
	Available bool
	At        time.Time
}

// Jump is where the digits typed led.
type Jump struct {
	Prefix string
	Found  bool
}

// Visible returns the lines of the list on screen (under the sticky
// header, when there is one).
func (f *Frame) Visible() []Line {
	from := f.Top - f.First
	n := f.Height
	if f.Sticky != nil {
		n--
	}
	to := min(len(f.Window), from+n)
	if from < 0 || from >= to {
		return nil
	}
	return f.Window[from:to]
}

// Line returns line l when the frame holds it.
func (f *Frame) Line(l int) (Line, bool) {
	if i := l - f.First; i >= 0 && i < len(f.Window) {
		return f.Window[i], true
	}
	return Line{}, false
}

// Selected returns the selected line.
func (f *Frame) Selected() (Line, bool) {
	if f.Sel < 0 {
		return Line{}, false
	}
	return f.Line(f.Sel)
}

// Rows reports whether the list has any row.
func (f *Frame) Rows() bool { return f.Sel >= 0 }
