package emulator

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
)

// Control endpoints for the live directory and the watch lists (see the
// table in control.go).

// controlDirError turns a DirectoryError into the control API's error.
func controlDirError(err error) error {
	var de *DirectoryError
	if errors.As(err, &de) {
		return &controlError{de.Status, de.Msg}
	}
	return err
}

func (e *Emulator) addExtension(_ *http.Request, body []byte) (int, any, error) {
	var u NewUser
	if len(body) > 0 {
		if err := decodeStrict(body, &u); err != nil {
			return 0, nil, err
		}
	}
	added, err := e.AddUser(u)
	if err != nil {
		return 0, nil, controlDirError(err)
	}
	return http.StatusCreated, added, nil
}

func (e *Emulator) removeExtension(r *http.Request, _ []byte) (int, any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, nil, notFound("no extension %q", r.PathValue("id"))
	}
	disable := false
	switch v := r.URL.Query().Get("disable"); v {
	case "", "false":
	case "true":
		disable = true
	default:
		return 0, nil, badRequest("disable must be true or false, got %q", v)
	}
	if err := e.RemoveExtension(id, disable); err != nil {
		return 0, nil, controlDirError(err)
	}
	return http.StatusNoContent, nil, nil
}

// watchListJSON is a favorites or monitored-lines list in the control API.
type watchListJSON struct {
	ExtensionIDs []string `json:"extensionIds"`
}

func renderWatchList(l *watchList) watchListJSON {
	out := watchListJSON{ExtensionIDs: []string{}}
	for _, x := range l.exts {
		out.ExtensionIDs = append(out.ExtensionIDs, x.IDString())
	}
	return out
}

// userList resolves {id} to a User and its list of kind (under p.mu).
func (e *Emulator) userList(r *http.Request, kind listKind) (*watchList, error) {
	ext, err := e.controlExtensionLocked(r)
	if err != nil {
		return nil, err
	}
	if ext.Type != TypeUser {
		return nil, badRequest("extension %d is a %s: only Users keep favorites and monitored lines", ext.ID, ext.Type)
	}
	return e.p.watchList(ext, kind), nil
}

func (e *Emulator) getWatchList(kind listKind) controlHandler {
	return func(r *http.Request, _ []byte) (int, any, error) {
		e.p.mu.Lock()
		defer e.p.mu.Unlock()
		l, err := e.userList(r, kind)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, renderWatchList(l), nil
	}
}

// putWatchList replaces a list as the user's own client would, and the
// list's subscribers are told.
func (e *Emulator) putWatchList(kind listKind) controlHandler {
	return func(r *http.Request, body []byte) (int, any, error) {
		var req watchListJSON
		if err := decodeStrict(body, &req); err != nil {
			return 0, nil, err
		}
		var out watchListJSON
		var err error
		e.p.mu.Lock()
		defer e.p.mu.Unlock()
		e.p.mutateLocked(func(tx *Tx) {
			var l *watchList
			if l, err = e.userList(r, kind); err != nil {
				return
			}
			var exts []*Extension
			for _, s := range req.ExtensionIDs {
				id, _ := strconv.ParseInt(s, 10, 64)
				x, ok := e.p.dir.ByID[id]
				switch {
				case !ok:
					err = badRequest("no extension %q", s)
					return
				case x == l.owner:
					err = badRequest("extension %s cannot be on its own list", s)
					return
				}
				if !slices.Contains(exts, x) {
					exts = append(exts, x)
				}
			}
			if len(exts) > maxMonitoredLines {
				err = badRequest("at most %d extensions", maxMonitoredLines)
				return
			}
			tx.setWatchList(l, exts)
			out = renderWatchList(l)
		})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, out, nil
	}
}
