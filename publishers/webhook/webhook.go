// Package webhook posts each post as JSON to a URL, signed the Standard
// Webhooks way (https://www.standardwebhooks.com/), for automations and
// networks crieur has no adapter for.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

func init() {
	publishers.Register(publishers.Network{
		Name:        "webhook",
		Description: "POSTs each post as signed JSON (Standard Webhooks) to a URL",
		Settings: []publishers.Field{
			{Name: "url", Help: "deprecated: give the URL as --secret url=… (a setting is shown by channel show)"},
			publishers.InsecureHTTP,
		},
		Secrets: []publishers.Field{
			{Name: "url", Required: true, Help: "the http(s) URL that receives the posts (a capability URL, so a secret)"},
			{Name: "signing_key", Help: "HMAC key: whsec_<base64> as Standard Webhooks issues it, or any string"},
		},
		// Every attempt carries the delivery's key in webhook-id and
		// Idempotency-Key, which a receiver deduplicates on.
		Safety: publishers.RetryIdempotent,
		New:    New,
		// A webhook takes any post: its rules need neither the URL nor the key.
		Offline: func(settings map[string]string) (publishers.Validator, error) { return offline(settings) },
	})
}

// offline checks what the settings hold (a URL still kept as a setting) and
// gives the rules, which take any post.
func offline(settings map[string]string) (*Publisher, error) {
	if raw := strings.TrimSpace(settings["url"]); raw != "" {
		u, ok := publishers.HTTPURL(raw)
		if !ok {
			return nil, errors.New("webhook: setting url must be an absolute http(s) URL")
		}
		if err := publishers.CheckHTTPS("webhook: setting url", u, settings); err != nil {
			return nil, err
		}
	} else if err := publishers.CheckHTTPS("webhook", nil, settings); err != nil {
		return nil, err // a misspelt insecure_http
	}
	return &Publisher{}, nil
}

// Publisher posts to one webhook URL.
type Publisher struct {
	url    string
	key    []byte // nil: unsigned
	client *http.Client
	now    func() time.Time
}

// New builds a webhook publisher from the channel's settings and secrets.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	what := "secret url"
	raw := strings.TrimSpace(cfg.Secrets["url"])
	if raw == "" {
		what = "setting url"
		raw = strings.TrimSpace(cfg.Settings["url"])
	}
	if raw == "" {
		return nil, errors.New("webhook: secret url is required (--secret url=env:WEBHOOK_URL)")
	}
	u, ok := publishers.HTTPURL(raw)
	if !ok {
		return nil, fmt.Errorf("webhook: %s must be an absolute http(s) URL", what)
	}
	if err := publishers.CheckHTTPS("webhook: "+what, u, cfg.Settings); err != nil {
		return nil, err
	}
	// The path and query are the capability: never echoed back either.
	cfg.Redact.Add(u.RequestURI())
	key, err := signingKey(cfg.Secrets["signing_key"])
	if err != nil {
		return nil, err
	}
	return &Publisher{url: raw, key: key, client: cfg.Client(), now: cfg.Clock}, nil
}

// signingKey decodes a Standard Webhooks secret ("whsec_" + base64); any
// other non-empty value is used as raw bytes.
func signingKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		// The error would quote the secret's bytes; say only what is wrong.
		return nil, errors.New("webhook: secret signing_key starts with whsec_ but the rest is not base64")
	}
	return key, nil
}

// Validate accepts every post: the receiver decides what it takes.
func (p *Publisher) Validate(publishers.Post) []publishers.Problem { return nil }

// payload is the JSON body a receiver gets; its field names are a contract.
type payload struct {
	ID             int64      `json:"id"`
	IdempotencyKey string     `json:"idempotency_key"`
	Slug           string     `json:"slug"`
	Title          string     `json:"title"`
	Text           string     `json:"text"`
	Link           string     `json:"link"`
	Media          []media    `json:"media"`
	Thread         []string   `json:"thread"`
	Tags           []string   `json:"tags"`
	ScheduledAt    *time.Time `json:"scheduled_at"`
}

type media struct {
	Path string `json:"path"`
	Alt  string `json:"alt"`
}

func newPayload(p publishers.Post) payload {
	out := payload{
		ID: p.DeliveryID, IdempotencyKey: p.IdempotencyKey, Slug: p.Slug, Title: p.Title,
		Text: p.Text, Link: p.Link,
		// Empty lists are [] rather than null, so receivers need no null checks.
		Media: []media{}, Thread: append([]string{}, p.Thread...), Tags: append([]string{}, p.Tags...),
	}
	for _, m := range p.Media {
		out.Media = append(out.Media, media{Path: m.Path, Alt: m.Alt})
	}
	if !p.ScheduledAt.IsZero() {
		t := p.ScheduledAt.UTC()
		out.ScheduledAt = &t
	}
	return out
}

// Publish POSTs the post; any 2xx is a success.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	body, err := json.Marshal(newPayload(post))
	if err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: "encoding the post: " + err.Error(), Err: err}
	}
	id := post.IdempotencyKey
	if id == "" {
		id = "delivery-" + strconv.FormatInt(post.DeliveryID, 10)
	}
	now := p.now()
	ts := strconv.FormatInt(now.Unix(), 10)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: "building the request", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "crieur")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("Idempotency-Key", id)
	if p.key != nil {
		req.Header.Set("webhook-signature", Sign(p.key, id, ts, body))
	}

	resp, err := p.client.Do(req)
	if err != nil {
		return publishers.Result{}, transportError(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return publishers.Result{}, publishers.FromResponse(resp, message(answer), p.now())
	}
	res := publishers.Result{RemoteID: id, PublishedAt: now}
	var reply struct {
		ID  json.RawMessage `json:"id"`
		URL string          `json:"url"`
	}
	if json.Unmarshal(answer, &reply) == nil {
		if rid := rawID(reply.ID); rid != "" {
			res.RemoteID = rid
		}
		res.RemoteURL = reply.URL
	}
	return res, nil
}

// Sign returns the webhook-signature header value for one message:
// "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)).
func Sign(key []byte, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, timestamp)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// rawID accepts a JSON string or number id.
func rawID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// message takes the receiver's words from a JSON error or a short text body.
func message(body []byte) string {
	var e struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch v := e.Error.(type) {
		case string:
			return v
		case map[string]any:
			if m, ok := v["message"].(string); ok {
				return m
			}
		}
		if e.Message != "" {
			return e.Message
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 || strings.HasPrefix(s, "<") {
		return "" // an HTML page or a dump: the status text says more
	}
	return s
}

// transportError drops the URL from a client error: webhook URLs often carry
// a token in their path or query.
func transportError(err error) *publishers.Error {
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, publishers.ErrRedirectOtherHost) {
		return &publishers.Error{Class: publishers.Transient, Message: "POST webhook: " + ue.Err.Error(), Err: ue.Err}
	}
	return publishers.Transport(err)
}
