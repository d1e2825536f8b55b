package state

import (
	"sync"
	"sync/atomic"
)

// callWord is a word a call's direction or status is, as a code: a call
// keeps two bytes instead of two strings (16,000 calls at the front desk).
// Codes index callWords; the words of the API come first, and a word the
// API does not list is added when first heard, so that every word reads
// back as it came.
type callWord uint16

// The codes of the words calls are read by.
const (
	wordNone callWord = iota
	wordInbound
	wordOutbound
	wordRinging
	wordConnected
	wordOnHold
	wordParked
)

// unknownCallWord stands for a word heard after the table filled.
const unknownCallWord = "Unknown"

// The words of activeCalls' direction and telephonyStatus, in the order
// of their codes, and Unknown.
var knownCallWords = []string{"", "Inbound", "Outbound", "Ringing", "CallConnected", "OnHold", "ParkedCall", "NoCall", unknownCallWord}

// maxCallWords bounds the table against a server that makes up words: a
// word heard after it is full reads as "Unknown".
const maxCallWords = 1 << 12

// callWordTable is the words coded so far. Readers load the words without
// the lock: the slice is replaced whole, never written in place.
type callWordTable struct {
	mu    sync.Mutex
	words atomic.Pointer[[]string]
	code  map[string]callWord // under mu
	max   int
}

func newCallWordTable(max int) *callWordTable {
	t := &callWordTable{code: map[string]callWord{}, max: max}
	ws := append([]string(nil), knownCallWords...)
	for i, w := range ws {
		t.code[w] = callWord(i)
	}
	t.words.Store(&ws)
	return t
}

// callWords is the package's table.
var callWords = newCallWordTable(maxCallWords)

// codeCallWord is w's code (w sanitised already).
func codeCallWord(w string) callWord {
	switch w { // the common words without the lock
	case "":
		return wordNone
	case "Inbound":
		return wordInbound
	case "Outbound":
		return wordOutbound
	case "Ringing":
		return wordRinging
	case "CallConnected":
		return wordConnected
	case "OnHold":
		return wordOnHold
	case "ParkedCall":
		return wordParked
	}
	return callWords.codeOf(w)
}

// codeOf is w's code, w added when new.
func (t *callWordTable) codeOf(w string) callWord {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.code[w]; ok {
		return c
	}
	ws := *t.words.Load()
	if len(ws) >= t.max {
		return t.code[unknownCallWord]
	}
	c := callWord(len(ws))
	ws = append(ws[:len(ws):len(ws)], w)
	t.code[w] = c
	t.words.Store(&ws)
	return c
}

// word is c's word.
func (t *callWordTable) word(c callWord) string {
	if ws := *t.words.Load(); int(c) < len(ws) {
		return ws[c]
	}
	return unknownCallWord
}

// String is the word.
func (c callWord) String() string { return callWords.word(c) }
