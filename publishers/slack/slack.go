// Package slack publishes posts to a Slack channel through an incoming
// webhook.
//
// A post is one message: its text in section blocks (Slack's mrkdwn), then
// one image block per media, which must be a public http(s) URL because an
// incoming webhook cannot upload files. Slack answers "ok" and no message id,
// so the delivery's idempotency key stands in for it. Slack offers no
// deduplication and, to the webhook, no way to read a message back: a retry
// after an unknown outcome is unsafe, and there is no Checker, since the only
// way to test a webhook is to post through it.
package slack

import (
	"context"
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
		Name:        "slack",
		Description: "Slack channel, through an incoming webhook",
		Settings:    []publishers.Field{publishers.InsecureHTTP},
		Secrets: []publishers.Field{
			{Name: "webhook_url", Required: true, Help: "https://hooks.slack.com/services/T…/B…/… (a Slack app's Incoming Webhooks page)"},
		},
		Safety: publishers.RetryUnsafe,
		New:    New,
		// Its rules are Slack's own: the webhook plays no part in them.
		Offline: func(settings map[string]string) (publishers.Validator, error) {
			if err := publishers.CheckHTTPS("slack", nil, settings); err != nil {
				return nil, err // a misspelt insecure_http
			}
			return &Publisher{cfg: publishers.Config{Settings: settings}}, nil
		},
	})
}

// Publisher posts through one incoming webhook.
type Publisher struct {
	cfg     publishers.Config
	webhook string
}

// New builds a publisher. Its errors never quote the webhook URL: the URL is
// the credential.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	raw := strings.TrimSpace(cfg.Secrets["webhook_url"])
	if raw == "" {
		return nil, fmt.Errorf("slack: secret webhook_url is required")
	}
	u, ok := publishers.HTTPURL(raw)
	if !ok || !strings.Contains(u.Path, "/services/") {
		return nil, fmt.Errorf("slack: secret webhook_url is not an incoming webhook URL (https://hooks.slack.com/services/…)")
	}
	if err := publishers.CheckHTTPS("slack: secret webhook_url", u, cfg.Settings); err != nil {
		return nil, err
	}
	cfg.Redact.Add(u.Path)
	return &Publisher{cfg: cfg, webhook: raw}, nil
}

// Publish posts the message. The answer carries no id, so the result's
// RemoteID is the delivery's idempotency key.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	body, err := marshal(build(post))
	if err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.webhook, strings.NewReader(string(body)))
	if err != nil {
		return publishers.Result{}, p.transport(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.cfg.Client().Do(req)
	if err != nil {
		return publishers.Result{}, p.transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return publishers.Result{}, p.transport(err)
	}
	answer := strings.TrimSpace(string(data))
	if resp.StatusCode/100 != 2 {
		return publishers.Result{}, p.failure(resp, answer)
	}
	if answer != "ok" {
		// Not Slack's answer (a proxy, a captive portal): the message may or
		// may not be out, and posting again could duplicate it.
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Status: resp.StatusCode,
			Message: "unexpected answer from the webhook instead of ok"}
	}
	id := post.IdempotencyKey
	if id == "" {
		id = "delivery-" + strconv.FormatInt(post.DeliveryID, 10)
	}
	return publishers.Result{RemoteID: id, PublishedAt: p.cfg.Clock().UTC()}, nil
}

// Slack's webhook error codes that mean the webhook itself is gone or
// refused: only a person can fix them (a new webhook, a new secret).
var authCodes = map[string]string{
	"no_service":        "the webhook was revoked or disabled",
	"no_team":           "the workspace is gone",
	"team_disabled":     "the workspace is disabled",
	"invalid_token":     "the webhook's token is invalid",
	"channel_not_found": "the webhook's channel is gone",
}

// Codes that refuse this post, or posting in this channel, for good.
var permanentCodes = map[string]string{
	"action_prohibited":                 "an admin restricted posting in this channel",
	"posting_to_general_channel_denied": "only admins may post in this channel",
	"channel_is_archived":               "the channel is archived",
}

// failure classifies Slack's plain-text error answer.
func (p *Publisher) failure(resp *http.Response, code string) *publishers.Error {
	if len(code) > 200 || strings.HasPrefix(code, "<") {
		code = "" // an HTML page from something in front of Slack
	}
	e := publishers.FromResponse(resp, p.redact(code), p.cfg.Clock())
	if why, ok := authCodes[code]; ok || resp.StatusCode == http.StatusNotFound {
		if !ok {
			why = "the webhook is gone"
		}
		e.Class = publishers.Auth
		e.Message += " (" + why + ": create a webhook and update the secret webhook_url)"
	} else if why, ok := permanentCodes[code]; ok {
		e.Class = publishers.Permanent
		e.Message += " (" + why + ")"
	}
	if e.Class == publishers.RateLimited && e.RetryAfter == 0 {
		// Slack allows about one message per second per webhook.
		e.RetryAfter = time.Second
	}
	return e
}

// transport turns a failed request into a transient error that never quotes
// the webhook URL.
func (p *Publisher) transport(err error) *publishers.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: "slack webhook", Err: ue.Err}
	}
	e := publishers.Transport(err)
	e.Message = p.redact(e.Message)
	return e
}

// redact removes the webhook's secret path from a text that may echo it.
func (p *Publisher) redact(s string) string {
	s = strings.ReplaceAll(s, p.webhook, "<webhook_url>")
	if u, err := url.Parse(p.webhook); err == nil && len(u.Path) > len("/services/") {
		s = strings.ReplaceAll(s, u.Path, "/services/<redacted>")
	}
	return s
}
