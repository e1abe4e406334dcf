package scheduler

import (
	"maps"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// Render turns a calendar post into what channel ch's adapter receives: the
// channel's variant if any, else the body; links tagged with the campaign's
// UTM defaults (utm_source the network, utm_campaign the campaign's name
// unless the campaign says otherwise); media and thread parts; and the
// delivery's idempotency key. campaign is nil when the post has none; d may
// be the zero Delivery for a preview.
func Render(p calendar.Post, ch calendar.Channel, d calendar.Delivery, campaign *calendar.Campaign) publishers.Post {
	text := p.Body
	if v, ok := p.Variants[ch.Name]; ok && v != "" {
		text = v
	}
	link := p.Link
	thread := append([]string(nil), p.Thread...)
	if params := utm(ch, campaign); len(params) > 0 {
		text = publishers.TagLinks(text, params)
		if link != "" {
			link = publishers.TagURL(link, params)
		}
		for i := range thread {
			thread[i] = publishers.TagLinks(thread[i], params)
		}
	}
	media := make([]publishers.Media, len(p.Media))
	for i, m := range p.Media {
		media[i] = publishers.Media{Path: m.Path, Alt: m.Alt}
	}
	var at time.Time
	switch {
	case d.DueAt != nil:
		at = *d.DueAt
	case p.PublishAt != nil:
		at = *p.PublishAt
	}
	return publishers.Post{
		DeliveryID:     d.ID,
		IdempotencyKey: d.IdempotencyKey,
		Slug:           p.Slug,
		Title:          p.Title,
		Text:           text,
		Markdown:       true, // calendar bodies are Markdown
		Link:           link,
		Media:          media,
		Thread:         thread,
		Tags:           append([]string(nil), p.Tags...),
		Excerpt:        p.Excerpt,
		ScheduledAt:    at,
		AutoThread:     p.AutoThread || len(p.Thread) > 0,
	}
}

// utm is the campaign's UTM parameters for one channel; none without a campaign.
func utm(ch calendar.Channel, c *calendar.Campaign) map[string]string {
	if c == nil {
		return nil
	}
	params := maps.Clone(c.UTM)
	if params == nil {
		params = map[string]string{}
	}
	if params["utm_source"] == "" {
		params["utm_source"] = ch.Network
	}
	if params["utm_campaign"] == "" {
		params["utm_campaign"] = c.Name
	}
	return params
}

// TaggedLink is a post's link as Render tags it for a channel of network:
// with the campaign's UTM parameters (nil campaign: as it is).
func TaggedLink(link, network string, campaign *calendar.Campaign) string {
	if link == "" {
		return ""
	}
	if params := utm(calendar.Channel{Network: network}, campaign); len(params) > 0 {
		return publishers.TagURL(link, params)
	}
	return link
}
