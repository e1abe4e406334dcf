// Package messages turns a post into the messages a chat network (Discord,
// Telegram, Slack) receives: the text with its link, cut into messages that
// fit, and the error for a thread that went out only in part.
package messages

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// Piece is one message's text and the field Validate reports it under.
type Piece struct {
	Field string
	Text  string
}

// Pieces cuts the post into messages: explicit thread parts as given, else
// the text (with its link) split at sentence and word bounds to fit rules.
// render turns a text as written into what the network receives, trimmed.
func Pieces(post publishers.Post, rules publishers.Rules, render func(string) string) []Piece {
	text := WithLink(render(post.Text), post.Link)
	var out []Piece
	if len(post.Thread) == 0 {
		for _, s := range publishers.Split(text, rules, false) {
			if strings.TrimSpace(s) != "" {
				out = append(out, Piece{"text", s})
			}
		}
		return out
	}
	if strings.TrimSpace(text) != "" {
		out = append(out, Piece{"text", text})
	}
	for i, t := range post.Thread {
		if t = strings.TrimSpace(render(t)); t != "" {
			out = append(out, Piece{fmt.Sprintf("thread[%d]", i), t})
		}
	}
	return out
}

// Check lists what is wrong with the pieces of a post carrying media files:
// nothing at all to post, or a piece over the rules' limit.
func Check(pieces []Piece, media int, rules publishers.Rules) []publishers.Problem {
	var probs []publishers.Problem
	if len(pieces) == 0 && media == 0 {
		probs = append(probs, publishers.Problem{Field: "text", Message: "nothing to post"})
	}
	for _, pc := range pieces {
		probs = append(probs, rules.Check(pc.Field, pc.Text)...)
	}
	return probs
}

// WithLink appends the post's link on its own paragraph unless the text
// already carries it: publishers.WithLink, the rule every adapter follows.
func WithLink(text, link string) string { return publishers.WithLink(text, link) }

// Partial reports messages cut short after the first sent of total went out.
// Retrying would post those again, so it is permanent whatever the cause;
// the first message's id is kept so that the calendar records it.
func Partial(err error, sent, total int, firstID string) *publishers.Error {
	e := &publishers.Error{Class: publishers.Permanent, Err: err,
		Message: fmt.Sprintf("only %d of %d messages published (first: %s), not retried to avoid duplicates: %v", sent, total, firstID, err)}
	var pe *publishers.Error
	if errors.As(err, &pe) {
		e.Status = pe.Status
	}
	return e
}
