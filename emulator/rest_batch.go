package emulator

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
)

// maxBatchIDs is the most ids one batch request may name (rc-api.md §4.5).
const maxBatchIDs = 30

// multipartJSON is the Accept type that asks for a batch as a JSON array.
const multipartJSON = "application/vnd.ringcentral.multipart+json"

// batchPart is one id's answer inside a batch.
type batchPart struct {
	resourceID string
	href       string
	status     int
	body       json.RawMessage
}

// batch answers each id in request order; an unknown id keeps its part,
// holding the 404 CMN-102 error body.
func (c *restCall) batch(ids []string, suffix string, render func(*Extension) any) []batchPart {
	parts := make([]batchPart, 0, len(ids))
	for _, id := range ids {
		part := batchPart{resourceID: id, href: c.p.accountURI() + "/extension/" + url.PathEscape(id) + suffix}
		ext, ae := c.extension(id)
		if ae == nil {
			part.resourceID = ext.IDString()
			part.href = c.p.extensionURI(ext) + suffix
			part.status = http.StatusOK
			part.body, _ = marshalJSON(render(ext))
		} else {
			part.status = ae.Status
			part.body = ae.body()
		}
		parts = append(parts, part)
	}
	return parts
}

// batchJSON renders a batch as the 207 JSON array of
// application/vnd.ringcentral.multipart+json (UnifiedPresenceList).
func batchJSON(parts []batchPart) (reply, *apiError) {
	type entry struct {
		ResourceID string          `json:"resourceId"`
		Status     int             `json:"status"`
		Body       json.RawMessage `json:"body"`
	}
	out := make([]entry, len(parts))
	for i, p := range parts {
		out[i] = entry{ResourceID: p.resourceID, Status: p.status, Body: p.body}
	}
	return jsonReply(http.StatusMultiStatus, out)
}

// batchMultipart renders a batch as RingCentral's 207 multipart/mixed
// body: a status summary, then one JSON part per id (CRLF line endings).
func (c *restCall) batchMultipart(parts []batchPart) (reply, *apiError) {
	type summary struct {
		Href                string `json:"href"`
		Status              int    `json:"status"`
		ResponseDescription string `json:"responseDescription"`
	}
	sum := struct {
		Response []summary `json:"response"`
	}{Response: make([]summary, len(parts))}
	for i, p := range parts {
		sum.Response[i] = summary{Href: p.href, Status: p.status, ResponseDescription: http.StatusText(p.status)}
	}
	first, _ := marshalJSON(sum)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	boundary := "Boundary_" + strconv.Itoa(1+c.p.rng.IntN(99)) + "_" + strconv.Itoa(c.p.rng.IntN(1<<31)) +
		"_" + strconv.FormatInt(c.p.now().UnixMilli(), 10)
	if err := mw.SetBoundary(boundary); err != nil {
		return reply{}, errInternal()
	}
	header := textproto.MIMEHeader{"Content-Type": {"application/json"}}
	for _, body := range append([][]byte{first}, bodiesOf(parts)...) {
		w, err := mw.CreatePart(header)
		if err != nil {
			return reply{}, errInternal()
		}
		_, _ = w.Write(body)
	}
	if err := mw.Close(); err != nil {
		return reply{}, errInternal()
	}
	return reply{status: http.StatusMultiStatus, contentType: "multipart/mixed; boundary=" + boundary, body: buf.Bytes()}, nil
}

func bodiesOf(parts []batchPart) [][]byte {
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = p.body
	}
	return out
}
