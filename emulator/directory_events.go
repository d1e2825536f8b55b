package emulator

import (
	"encoding/json"
	"slices"
	"time"
)

// dirIndex is the hub's index of directory and watch-list filters.
// Guarded by Platform.mu.
type dirIndex struct {
	list      []*Subscription           // extension list
	info      map[int64][]*Subscription // extension info, by extension
	favorites map[int64][]*Subscription // favorites list changes, by list owner
	lines     map[int64][]*Subscription // monitored-lines list changes, by list owner
	// watchers are the watch-presence subscriptions by list owner;
	// watched by watched extension; watching is what each one is in.
	watchers map[int64][]*Subscription
	watched  map[int64][]*Subscription
	watching map[*Subscription][]int64
}

func addSub(m *map[int64][]*Subscription, id int64, sub *Subscription) {
	if *m == nil {
		*m = map[int64][]*Subscription{}
	}
	if !slices.Contains((*m)[id], sub) {
		(*m)[id] = append((*m)[id], sub)
	}
}

func dropSub(m map[int64][]*Subscription, id int64, sub *Subscription) {
	s := slices.DeleteFunc(m[id], func(x *Subscription) bool { return x == sub })
	if len(s) == 0 {
		delete(m, id)
	} else {
		m[id] = s
	}
}

// indexDirectory adds one of sub's directory filters to the index.
func (h *hub) indexDirectory(sub *Subscription, f eventFilter) {
	d := &h.dir
	switch f.Kind {
	case filterExtensionList:
		if !slices.Contains(d.list, sub) {
			d.list = append(d.list, sub)
		}
	case filterExtensionInfo:
		addSub(&d.info, f.Ext.ID, sub)
	case filterFavoriteList:
		addSub(&d.favorites, f.Ext.ID, sub)
	case filterLineList:
		addSub(&d.lines, f.Ext.ID, sub)
	case filterWatchPresence:
		addSub(&d.watchers, f.List.owner.ID, sub)
		h.indexWatched(sub)
	}
}

// indexWatched puts sub under every extension its watch lists hold now.
func (h *hub) indexWatched(sub *Subscription) {
	d := &h.dir
	if d.watching == nil {
		d.watching = map[*Subscription][]int64{}
	}
	for _, f := range sub.Filters {
		if f.Kind != filterWatchPresence {
			continue
		}
		for _, e := range f.List.exts {
			if !slices.Contains(d.watching[sub], e.ID) {
				addSub(&d.watched, e.ID, sub)
				d.watching[sub] = append(d.watching[sub], e.ID)
			}
		}
	}
}

func (h *hub) unindexWatched(sub *Subscription) {
	d := &h.dir
	for _, id := range d.watching[sub] {
		dropSub(d.watched, id, sub)
	}
	delete(d.watching, sub)
}

// unindexDirectory removes sub from the directory index.
func (h *hub) unindexDirectory(sub *Subscription) {
	d := &h.dir
	d.list = slices.DeleteFunc(d.list, func(x *Subscription) bool { return x == sub })
	for _, f := range sub.Filters {
		switch f.Kind {
		case filterExtensionInfo:
			dropSub(d.info, f.Ext.ID, sub)
		case filterFavoriteList:
			dropSub(d.favorites, f.Ext.ID, sub)
		case filterLineList:
			dropSub(d.lines, f.Ext.ID, sub)
		case filterWatchPresence:
			dropSub(d.watchers, f.List.owner.ID, sub)
		}
	}
	h.unindexWatched(sub)
}

// directoryChange is one extension created, updated or deleted.
type directoryChange struct {
	ext       *Extension
	eventType string   // Create, Update or Delete
	hints     []string // Update only
}

// Extension event types and the hint the emulator's changes carry.
const (
	extCreate   = "Create"
	extUpdate   = "Update"
	extDelete   = "Delete"
	hintExtInfo = "ExtensionInfo"
	shapeSpec   = "spec"
)

// extensionChanged announces a directory change to the extension-list
// subscriptions (in the configured body shape) and to the extension-info
// subscriptions of that extension.
func (h *hub) extensionChanged(ch directoryChange, at time.Time) {
	d := &h.dir
	if len(d.list) == 0 && len(d.info[ch.ext.ID]) == 0 {
		return
	}
	id := ch.ext.IDString()
	var docs []byte
	if h.p.cfg.ExtensionEventShape != shapeSpec {
		type entry struct {
			ExtensionID string   `json:"extensionId"`
			EventType   string   `json:"eventType"`
			Hints       []string `json:"hints,omitempty"`
		}
		docs, _ = json.Marshal(map[string][]entry{"extensions": {{id, ch.eventType, ch.hints}}})
	}
	for _, sub := range d.list {
		body := docs
		if body == nil {
			body, _ = json.Marshal(map[string]string{"extensionId": id, "eventType": ch.eventType, "ownerId": sub.Owner.IDString()})
		}
		h.sendDirectory(sub, filterExtensionList, nil, body, at)
	}
	if ch.eventType == extCreate {
		return // nobody can have subscribed to a new extension's info
	}
	for _, sub := range d.info[ch.ext.ID] {
		body, _ := json.Marshal(struct {
			ExtensionID string   `json:"extensionId"`
			EventType   string   `json:"eventType"`
			Hints       []string `json:"hints,omitempty"`
			OwnerID     string   `json:"ownerId"`
		}{id, ch.eventType, ch.hints, sub.Owner.IDString()})
		h.sendDirectory(sub, filterExtensionInfo, ch.ext, body, at)
	}
}

// listChanged re-indexes the watch-presence subscriptions of l's owner and
// announces the change to the list's subscribers: favorites get
// {extensionId, ownerId} (SPEC ExtensionFavoritesEventBody), monitored
// lines {extension:[{id}], sequence} (DOCS extension-presence-line.json).
func (h *hub) listChanged(l *watchList, at time.Time) {
	d := &h.dir
	h.rewatch(l.owner)
	if l.kind == linesList {
		l.seq++
		type ref struct {
			ID string `json:"id"`
		}
		refs := []ref{}
		for _, e := range l.exts {
			refs = append(refs, ref{e.IDString()})
		}
		body, _ := json.Marshal(struct {
			Extension []ref `json:"extension"`
			Sequence  int64 `json:"sequence"`
		}{refs, l.seq})
		for _, sub := range d.lines[l.owner.ID] {
			h.sendDirectory(sub, filterLineList, l.owner, body, at)
		}
		return
	}
	for _, sub := range d.favorites[l.owner.ID] {
		body, _ := json.Marshal(map[string]string{"extensionId": l.owner.IDString(), "ownerId": sub.Owner.IDString()})
		h.sendDirectory(sub, filterFavoriteList, l.owner, body, at)
	}
}

// rewatch re-indexes the watch-presence subscriptions on owner's lists.
func (h *hub) rewatch(owner *Extension) {
	for _, sub := range h.dir.watchers[owner.ID] {
		h.unindexWatched(sub)
		h.indexWatched(sub)
	}
}

// sendDirectory sends body under the first filter of sub of the given
// kind (and extension), as the event string names the filter.
func (h *hub) sendDirectory(sub *Subscription, kind filterKind, ext *Extension, body []byte, at time.Time) {
	if sub.Sink == nil {
		return
	}
	for _, f := range sub.Filters {
		if f.Kind == kind && (ext == nil || f.Ext == ext) {
			h.send(sub, f.Expanded, body, at)
			return
		}
	}
}

// commitDirectory announces tx's directory and list changes, after its
// presence and queue events.
func (tx *Tx) commitDirectory(at time.Time) {
	for _, ch := range tx.dirEv {
		tx.p.hub.extensionChanged(ch, at)
	}
	for _, l := range tx.listEv {
		tx.p.hub.listChanged(l, at)
	}
}

// directoryChanged records a directory change to announce at commit.
func (tx *Tx) directoryChanged(ext *Extension, eventType string, hints ...string) {
	tx.dirEv = append(tx.dirEv, directoryChange{ext: ext, eventType: eventType, hints: hints})
}
