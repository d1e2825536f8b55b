package rc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// maxParts bounds a batch response whatever the server sends.
const maxParts = MaxBatch + 1

// parseBatch reads a 207 multipart/mixed batch response (rc-api.md §4.5):
// part 1 is {"response":[{status},...]}, then one JSON part per id in
// request order. LF and CRLF line endings both work (mime/multipart
// accepts either), and so does the JSON-array form
// application/vnd.ringcentral.multipart+json.
func parseBatch(contentType string, body []byte) ([]BatchResult, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("batch response content type: %w", err)
	}
	if mt == "application/vnd.ringcentral.multipart+json" || mt == "application/json" {
		var items []struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("batch response: %w", err)
		}
		out := make([]BatchResult, len(items))
		for i, it := range items {
			out[i] = decodePart(it.Status, it.Body)
		}
		return out, nil
	}
	if !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, fmt.Errorf("batch response is %s, not multipart", mt)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var statuses []int
	var out []BatchResult
	for i := 0; ; i++ {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("batch response part %d: %w", i+1, err)
		}
		if i >= maxParts {
			return nil, fmt.Errorf("batch response has more than %d parts", maxParts)
		}
		data, err := io.ReadAll(io.LimitReader(part, 8<<20))
		if err != nil {
			return nil, fmt.Errorf("batch response part %d: %w", i+1, err)
		}
		if i == 0 {
			var summary struct {
				Response []struct {
					Status int `json:"status"`
				} `json:"response"`
			}
			if err := json.Unmarshal(data, &summary); err != nil {
				return nil, fmt.Errorf("batch response summary: %w", err)
			}
			for _, s := range summary.Response {
				statuses = append(statuses, s.Status)
			}
			continue
		}
		if i > len(statuses) {
			return nil, fmt.Errorf("batch response has more parts than statuses")
		}
		out = append(out, decodePart(statuses[i-1], data))
	}
	if statuses == nil {
		return nil, fmt.Errorf("batch response has no status summary")
	}
	if len(out) != len(statuses) {
		return nil, fmt.Errorf("batch response: %d parts for %d statuses", len(out), len(statuses))
	}
	return out, nil
}
