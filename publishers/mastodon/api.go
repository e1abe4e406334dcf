package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"time"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
)

// statusRequest is the body of POST /api/v1/statuses.
type statusRequest struct {
	Status      string   `json:"status"`
	MediaIDs    []string `json:"media_ids,omitempty"`
	Visibility  string   `json:"visibility"`
	InReplyToID string   `json:"in_reply_to_id,omitempty"`
}

// status is the part of a Status entity crieur keeps.
type status struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	URI       string `json:"uri"`
	CreatedAt string `json:"created_at"`
}

func (p *Publisher) postStatus(ctx context.Context, req statusRequest, idempotencyKey string) (status, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return status{}, &publishers.Error{Class: publishers.Permanent, Message: "encoding the status", Err: err}
	}
	h := http.Header{}
	if idempotencyKey != "" {
		h.Set("Idempotency-Key", idempotencyKey)
	}
	var st status
	if _, err := p.do(ctx, http.MethodPost, "/api/v1/statuses", body, "application/json", h, &st); err != nil {
		return status{}, err
	}
	if st.ID == "" {
		return status{}, &publishers.Error{Class: publishers.Transient, Message: "the instance answered without a status id"}
	}
	if st.URL == "" {
		st.URL = st.URI
	}
	return st, nil
}

// attachment is the part of a MediaAttachment entity crieur needs.
type attachment struct {
	ID  string  `json:"id"`
	URL *string `json:"url"`
}

// upload sends one file with its alt text and waits, within bounds, until
// the instance has processed it.
func (p *Publisher) upload(ctx context.Context, m publishers.Media) (string, error) {
	data, err := safefile.ReadFile(m.Path, mediaLimit(m.Path))
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + m.Path, Err: err}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": filepath.Base(m.Path)}))
	h.Set("Content-Type", contentType(m.Path, data))
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil && m.Alt != "" {
		err = mw.WriteField("description", m.Alt)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "encoding the upload", Err: err}
	}

	var att attachment
	code, err := p.do(ctx, http.MethodPost, "/api/v2/media", buf.Bytes(), mw.FormDataContentType(), nil, &att)
	if err != nil {
		return "", err
	}
	if att.ID == "" {
		return "", &publishers.Error{Class: publishers.Transient, Message: "the instance answered the upload without an id"}
	}
	if code == http.StatusOK && att.URL != nil {
		return att.ID, nil
	}
	// 202: still processing. GET answers 206 until it is done, then 200.
	for range p.PollLimit {
		if err := wait(ctx, p.PollInterval); err != nil {
			return "", err
		}
		code, err := p.do(ctx, http.MethodGet, "/api/v1/media/"+att.ID, nil, "", nil, nil)
		if err != nil {
			return "", err
		}
		if code == http.StatusOK {
			return att.ID, nil
		}
	}
	return "", &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf("%s is still being processed after %d checks", m.Path, p.PollLimit)}
}

func contentType(path string, data []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(path))); t != "" {
		return t
	}
	return http.DetectContentType(data)
}

// wait is the one pause an adapter makes: between checks of a processing
// upload. It gives up when ctx does.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return publishers.Transport(ctx.Err())
	}
}

// do sends one authenticated request and decodes a JSON answer into out. It
// returns the status code, and a classified error for anything but a 2xx.
func (p *Publisher) do(ctx context.Context, method, path string, body []byte, contentType string, header http.Header, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if err != nil {
		return 0, &publishers.Error{Class: publishers.Permanent, Message: "building the request", Err: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crieur")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, publishers.Transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, publishers.Transport(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, publishers.FromResponse(resp, errorMessage(data), p.now())
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			// A 2xx that is not the API's JSON is a proxy or a maintenance
			// page; the request may not have been seen, and retries are safe.
			return resp.StatusCode, &publishers.Error{Class: publishers.Transient, Status: resp.StatusCode, Message: method + " " + path + ": the answer is not Mastodon's JSON", Err: err}
		}
	}
	return resp.StatusCode, nil
}

// errorMessage takes Mastodon's words from {"error": …, "error_description": …}.
func errorMessage(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if e.Description != "" {
			return e.Error + ": " + e.Description
		}
		return e.Error
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 || strings.HasPrefix(s, "<") {
		return ""
	}
	return s
}
