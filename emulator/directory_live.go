package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The directory follows the account live: people join (AddUser), leave or
// are disabled (RemoveExtension), and are renamed (RenameExtension). Each
// change is one Tx: whatever it does to presence (a leaver's calls end) is
// announced first, then the extension-list and extension-info events
// (rc-api.md §3.4) and the changed favorites and monitored-lines lists.

// NewUser describes a User to add; every field is optional, and what is
// left out is generated as the directory's own people are.
type NewUser struct {
	Name            string `json:"name,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	Department      string `json:"department,omitempty"`
	JobTitle        string `json:"jobTitle,omitempty"`
	Email           string `json:"email,omitempty"`
	// QueueIDs are the call queues the user joins. Absent (nil): the queue
	// named like their department, if there is one; empty: none.
	QueueIDs *[]string `json:"queueIds,omitempty"`
}

// DirectoryError is a refused directory change; Status is the HTTP status
// the control API answers with.
type DirectoryError struct {
	Status int
	Msg    string
}

func (e *DirectoryError) Error() string { return e.Msg }

func dirErr(status int, format string, args ...any) error {
	return &DirectoryError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// AddedUser is the user AddUser added (and POST /_emulator/extensions answers).
type AddedUser struct {
	ID              string   `json:"id"`
	ExtensionNumber string   `json:"extensionNumber"`
	Name            string   `json:"name"`
	Department      string   `json:"department"`
	Email           string   `json:"email"`
	QueueIDs        []string `json:"queueIds"`
}

// AddUser adds a User extension and announces it (extension list Create).
func (e *Emulator) AddUser(u NewUser) (AddedUser, error) {
	var out AddedUser
	var err error
	e.p.Mutate(func(tx *Tx) {
		var ext *Extension
		if ext, err = tx.addUser(u); err != nil {
			return
		}
		out = AddedUser{ID: ext.IDString(), ExtensionNumber: ext.Number, Name: ext.Name,
			Department: ext.Department, Email: ext.Email, QueueIDs: []string{}}
		for _, q := range ext.Queues {
			out.QueueIDs = append(out.QueueIDs, q.Ext.IDString())
		}
	})
	return out, err
}

// RemoveExtension has a User leave the account: deleted (gone from the
// list, presence and queues, with extension list and info Delete events),
// or with disable set, kept as a Disabled extension (Update events) that
// is Offline, in no queue, and takes no calls. Either way their calls end
// and their OAuth sessions are revoked. The receptionist and the agents,
// who hold the emulator's credentials, cannot leave.
func (e *Emulator) RemoveExtension(id int64, disable bool) error {
	var err error
	e.p.Mutate(func(tx *Tx) { err = tx.removeUser(id, disable) })
	return err
}

// RenameExtension renames an extension (extension list and info Update).
func (e *Emulator) RenameExtension(id int64, name string) error {
	var err error
	e.p.Mutate(func(tx *Tx) {
		ext, ok := tx.p.dir.ByID[id]
		if !ok {
			err = dirErr(http.StatusNotFound, "no extension %d", id)
			return
		}
		ext.Name = name
		if ext.Type == TypeUser {
			ext.FirstName, ext.LastName, _ = strings.Cut(name, " ")
		}
		tx.directoryChanged(ext, extUpdate, hintExtInfo)
	})
	return err
}

// credentialed reports whether ext signs in with one of the emulator's JWTs.
func (d *Directory) credentialed(ext *Extension) bool {
	return ext == d.Receptionist || slices.Contains(d.Agents, ext)
}

func (tx *Tx) addUser(u NewUser) (*Extension, error) {
	p, d := tx.p, tx.p.dir
	if len(u.Name) > 128 || len(u.Department) > 128 || len(u.JobTitle) > 128 || len(u.Email) > 128 {
		return nil, dirErr(http.StatusBadRequest, "name, department, jobTitle and email are at most 128 bytes")
	}
	number := u.ExtensionNumber
	if number == "" {
		number = p.nextUserNumber()
		if number == "" {
			return nil, dirErr(http.StatusConflict, "no free extension number left in the users' range")
		}
	} else if len(number) > 8 || strings.Trim(number, "0123456789") != "" || number[0] == '0' {
		return nil, dirErr(http.StatusBadRequest, "extensionNumber must be 1 to 8 digits, not starting with 0")
	} else if _, taken := d.ByNumber[number]; taken {
		return nil, dirErr(http.StatusConflict, "extension number %s is taken", number)
	}
	var queues []*Queue
	if u.QueueIDs != nil {
		for _, s := range *u.QueueIDs {
			id, _ := strconv.ParseInt(s, 10, 64)
			qe, ok := d.ByID[id]
			if !ok || qe.Queue == nil {
				return nil, dirErr(http.StatusBadRequest, "no call queue %q", s)
			}
			if !slices.Contains(queues, qe.Queue) {
				queues = append(queues, qe.Queue)
			}
		}
	}

	r := p.rng
	first, last := "", ""
	if u.Name != "" {
		first, last, _ = strings.Cut(u.Name, " ")
	} else {
		for try := 0; try < 20; try++ {
			first = firstNames[r.IntN(len(firstNames))]
			last = lastNames[r.IntN(len(lastNames))]
			if !d.hasName(first + " " + last) {
				break
			}
		}
	}
	name := strings.TrimSpace(first + " " + last)
	if u.Name != "" {
		name = u.Name
	}
	dept := u.Department
	if dept == "" {
		dept = departments[r.IntN(len(departments))]
	}
	title := u.JobTitle
	if title == "" {
		title = "Associate"
		if titles := jobTitles[dept]; len(titles) > 0 {
			title = titles[r.IntN(len(titles))]
		}
	}
	email := u.Email
	if email == "" {
		local := emailLocal(first)
		if l := emailLocal(last); l != "" && local != "" {
			local += "." + l
		}
		if local == "" {
			local = "user" + number
		}
		email = local + "@" + d.Domain
	}
	if u.QueueIDs == nil {
		for _, q := range d.Queues {
			if strings.EqualFold(q.Ext.Name, dept) {
				queues = append(queues, q)
			}
		}
	}
	area := "650"
	if len(d.MainNumber) >= 5 {
		area = d.MainNumber[2:5]
	}
	ext := &Extension{
		ID:         p.nextExtensionID(),
		Number:     number,
		Type:       TypeUser,
		Status:     "Enabled",
		FirstName:  first,
		LastName:   last,
		Name:       name,
		Email:      email,
		Department: dept,
		JobTitle:   title,
		Phone:      "+1" + area + "555" + fmt.Sprintf("%04d", 1000+r.IntN(9000)),
		Site:       d.Sites[r.IntN(len(d.Sites))],
		Created:    p.now().UTC().Truncate(time.Millisecond),
		Presence: Presence{
			UserStatus: StatusAvailable, DNDStatus: DNDTakeAll, MeetingStatus: MeetingDisconnected,
			CallerIDVisibility: "All", AllowSeeMyPresence: true,
		},
	}
	for _, q := range queues {
		q.Members = append(q.Members, ext)
		q.AcceptCurrent[ext.ID] = true
		ext.Queues = append(ext.Queues, q)
	}
	if p.cfg.CHS {
		chsPresence(&ext.Presence, len(ext.Queues) > 0)
	}
	d.insert(ext)
	if p.onDirectory != nil {
		p.onDirectory(ext, true)
	}
	tx.directoryChanged(ext, extCreate)
	return ext, nil
}

func (tx *Tx) removeUser(id int64, disable bool) error {
	p, d := tx.p, tx.p.dir
	ext, ok := d.ByID[id]
	switch {
	case !ok:
		return dirErr(http.StatusNotFound, "no extension %d", id)
	case ext.Type != TypeUser:
		return dirErr(http.StatusBadRequest, "extension %d is a %s: only Users leave", id, ext.Type)
	case d.credentialed(ext):
		return dirErr(http.StatusConflict, "extension %d signs in with one of the emulator's credentials and cannot leave", id)
	case ext.Status != "Enabled":
		return dirErr(http.StatusConflict, "extension %d is already %s", id, ext.Status)
	}
	if p.onDirectory != nil {
		p.onDirectory(ext, false)
	}
	// Their calls end, and so do the other ends inside the account
	// (a colleague they were talking to).
	for _, l := range slices.Clone(ext.Presence.Legs) {
		for _, other := range d.Extensions {
			if other == ext {
				continue
			}
			for _, ol := range slices.Clone(other.Presence.Legs) {
				if ol.TelephonySessionID == l.TelephonySessionID {
					tx.EndLeg(other, ol)
				}
			}
		}
		tx.EndLeg(ext, l)
	}
	for _, q := range ext.Queues {
		q.Members = slices.DeleteFunc(q.Members, func(m *Extension) bool { return m == ext })
		delete(q.AcceptCurrent, ext.ID)
	}
	ext.Queues = nil
	tx.listsWithout(ext)
	for _, s := range slices.Clone(p.auth.sessions) {
		if s.ext == ext {
			p.revoke(s, EndUserRemoved)
		}
	}
	if disable {
		ext.Status = "Disabled"
		pr := tx.Touch(ext)
		pr.UserStatus = StatusOffline
		tx.directoryChanged(ext, extUpdate, hintExtInfo)
		return nil
	}
	d.remove(ext)
	tx.directoryChanged(ext, extDelete)
	return nil
}

// insert adds ext in extension-number order.
func (d *Directory) insert(ext *Extension) {
	i, _ := slices.BinarySearchFunc(d.Extensions, ext, func(a, b *Extension) int {
		if len(a.Number) != len(b.Number) {
			return len(a.Number) - len(b.Number)
		}
		return strings.Compare(a.Number, b.Number)
	})
	d.Extensions = slices.Insert(d.Extensions, i, ext)
	d.ByID[ext.ID] = ext
	d.ByNumber[ext.Number] = ext
}

// remove deletes ext from the directory.
func (d *Directory) remove(ext *Extension) {
	d.Extensions = slices.DeleteFunc(d.Extensions, func(e *Extension) bool { return e == ext })
	delete(d.ByID, ext.ID)
	delete(d.ByNumber, ext.Number)
}

func (d *Directory) hasName(name string) bool {
	for _, e := range d.Extensions {
		if e.Name == name {
			return true
		}
	}
	return false
}

// nextUserNumber is the lowest free number in the users' range (below the
// queues' 8xx), or "" when the range is full.
func (p *Platform) nextUserNumber() string {
	userStart, queueStart, _ := numberPlan(p.cfg.Users)
	for n := userStart; n < queueStart; n++ {
		if _, taken := p.dir.ByNumber[strconv.Itoa(n)]; !taken {
			return strconv.Itoa(n)
		}
	}
	return ""
}

// nextExtensionID continues the account's id sequence: ids are never
// reused, even after someone leaves.
func (p *Platform) nextExtensionID() int64 {
	if p.lastExtID == 0 {
		for _, e := range p.dir.Extensions {
			p.lastExtID = max(p.lastExtID, e.ID)
		}
	}
	p.lastExtID += (p.rng.Int64N(7) + 1) * 1000
	return p.lastExtID
}

// live reports whether ext is still in the directory and enabled.
func (p *Platform) live(ext *Extension) bool {
	return p.dir.ByID[ext.ID] == ext && ext.Status == "Enabled"
}
