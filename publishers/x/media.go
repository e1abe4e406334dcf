package x

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediatype"
)

// chunkSize is the most bytes one append sends: X takes chunks of 5 MB
// at most (the media upload guide, "APPEND": each chunk <= 5 MB).
const chunkSize = 5_000_000

// maxAlt is the most characters of alt text X keeps for an image
// (POST /2/media/metadata, metadata.alt_text.text).
const maxAlt = 1000

// The media a post carries (the media upload guide's media_category
// values and size limits): up to four images, or one GIF, or one video.
const (
	maxImages  = 4
	imageBytes = 5 << 20
	gifBytes   = 15 << 20
	videoBytes = 512 << 20
)

// mediaKind is what X calls a file of MIME type mt (its media_category), and
// the most bytes it takes; ok false for a type X does not take in a post.
func mediaKind(mt string) (category string, limit int64, ok bool) {
	switch mt {
	case "image/jpeg", "image/pjpeg", "image/png", "image/webp", "image/bmp", "image/tiff":
		return "tweet_image", imageBytes, true
	case "image/gif":
		return "tweet_gif", gifBytes, true
	case "video/mp4", "video/quicktime", "video/webm", "video/mp2t":
		return "tweet_video", videoBytes, true
	}
	return "", 0, false
}

// uploaded is the data of an initialize, finalize or status answer
// (https://docs.x.com/x-api/media/initialize-media-upload and
// https://docs.x.com/x-api/media/get-media-upload-status).
type uploaded struct {
	Data struct {
		ID             string `json:"id"`
		MediaKey       string `json:"media_key"`
		ProcessingInfo *struct {
			State          string `json:"state"` // pending, in_progress, failed, succeeded
			CheckAfterSecs int    `json:"check_after_secs"`
			Error          *struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"processing_info"`
	} `json:"data"`
}

// upload sends one file by X's chunked upload (initialize, append each
// chunk in order, finalize), waits within bounds while X processes it,
// then sets its alt text. It returns the media id a post attaches.
func (p *Publisher) upload(ctx context.Context, m publishers.Media) (string, error) {
	mt, err := mediatype.Of(m.Path)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + m.Path, Err: err}
	}
	category, limit, ok := mediaKind(mt)
	if !ok {
		return "", publishers.Errorf(publishers.Permanent, "%s is %s, which X does not take in a post", m.Path, mt)
	}
	f, info, err := safefile.Open(m.Path, false)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + m.Path, Err: err}
	}
	defer f.Close()
	if info.Size() > limit {
		return "", publishers.Errorf(publishers.Permanent, "%s is %s, over X's limit of %s for this kind of file", m.Path, safefile.Size(info.Size()), safefile.Size(limit))
	}

	// POST /2/media/upload/initialize (https://docs.x.com/x-api/media/initialize-media-upload).
	var init uploaded
	if _, err := p.do(ctx, request{method: http.MethodPost, path: "/2/media/upload/initialize",
		body: jsonBody(map[string]any{"media_type": mt, "total_bytes": info.Size(), "media_category": category}), out: &init}); err != nil {
		return "", err
	}
	id := init.Data.ID
	if id == "" {
		return "", publishers.Errorf(publishers.Transient, "X answered the upload's initialize without a media id")
	}

	// POST /2/media/upload/{id}/append, multipart: media and segment_index
	// (https://docs.x.com/x-api/media/append-media-upload).
	buf := make([]byte, chunkSize)
	for segment := 0; ; segment++ {
		n, rerr := io.ReadFull(f, buf)
		if n > 0 {
			chunk := append([]byte(nil), buf[:n]...)
			if _, err := p.do(ctx, request{method: http.MethodPost, path: "/2/media/upload/" + url.PathEscape(id) + "/append",
				body: appendBody(segment, filepath.Base(m.Path), chunk)}); err != nil {
				return "", err
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + m.Path, Err: rerr}
		}
	}

	// POST /2/media/upload/{id}/finalize (https://docs.x.com/x-api/media/media-upload-finalize).
	var fin uploaded
	if _, err := p.do(ctx, request{method: http.MethodPost, path: "/2/media/upload/" + url.PathEscape(id) + "/finalize", out: &fin}); err != nil {
		return "", err
	}
	if err := p.processed(ctx, id, m.Path, fin); err != nil {
		return "", err
	}

	// POST /2/media/metadata (https://docs.x.com/x-api/media/create-media-metadata).
	if m.Alt != "" {
		body := map[string]any{"id": id, "metadata": map[string]any{"alt_text": map[string]string{"text": m.Alt}}}
		if _, err := p.do(ctx, request{method: http.MethodPost, path: "/2/media/metadata", body: jsonBody(body)}); err != nil {
			return "", prefix(err, "alt text")
		}
	}
	return id, nil
}

// appendBody is one append's multipart body: segment_index, then the chunk
// as the file part media.
func appendBody(segment int, name string, chunk []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if err := mw.WriteField("segment_index", strconv.Itoa(segment)); err != nil {
			return nil, "", err
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "media", "filename": name}))
		h.Set("Content-Type", "application/octet-stream")
		part, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := part.Write(chunk); err != nil {
			return nil, "", err
		}
		if err := mw.Close(); err != nil {
			return nil, "", err
		}
		return &b, mw.FormDataContentType(), nil
	}
}

// processed waits while X processes an upload (videos and GIFs): it asks
// GET /2/media/upload?command=STATUS&media_id=… after the check_after_secs
// X names (at most PollInterval), PollLimit times at most.
func (p *Publisher) processed(ctx context.Context, id, path string, st uploaded) error {
	for checks := 0; ; checks++ {
		info := st.Data.ProcessingInfo
		if info == nil || info.State == "succeeded" {
			return nil
		}
		if info.State == "failed" {
			msg := "X could not process " + path
			if info.Error != nil && info.Error.Message != "" {
				msg += ": " + info.Error.Message
			}
			return &publishers.Error{Class: publishers.Permanent, Message: msg}
		}
		if checks >= p.PollLimit {
			return publishers.Errorf(publishers.Transient, "%s is still being processed by X after %d checks", path, checks)
		}
		d := time.Duration(info.CheckAfterSecs) * time.Second
		if d <= 0 || d > p.PollInterval {
			d = p.PollInterval
		}
		if err := wait(ctx, d); err != nil {
			return err
		}
		st = uploaded{}
		// GET /2/media/upload (https://docs.x.com/x-api/media/get-media-upload-status).
		if _, err := p.do(ctx, request{method: http.MethodGet, path: "/2/media/upload?command=STATUS&media_id=" + url.QueryEscape(id), out: &st}); err != nil {
			return err
		}
	}
}

// mediaCalls is how many API calls uploading the file at path costs, at
// the least: initialize, one append per chunk, finalize, and the alt
// text's metadata (status checks while X processes a video come on top).
func mediaCalls(m publishers.Media) int {
	n := 2 // initialize, finalize
	if f, info, err := safefile.Open(m.Path, false); err == nil {
		_ = f.Close()
		n += int((info.Size() + chunkSize - 1) / chunkSize)
	} else {
		n++
	}
	if m.Alt != "" {
		n++
	}
	return n
}

// checkMedia says what X would refuse in a post's media, by field.
func checkMedia(media []publishers.Media) []publishers.Problem {
	var probs []publishers.Problem
	images, others := 0, 0
	for i, m := range media {
		field := fmt.Sprintf("media[%d]", i)
		if n := Length(m.Alt); n > maxAlt {
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("alt text is %d characters, X takes %d", n, maxAlt)})
		}
		f, info, err := safefile.Open(m.Path, false)
		switch {
		case errors.Is(err, safefile.ErrNotRegular):
			probs = append(probs, publishers.Problem{Field: field, Message: err.Error()})
			continue
		case err != nil:
			probs = append(probs, publishers.Problem{Field: field, Message: "cannot read " + m.Path})
			continue
		}
		_ = f.Close()
		mt, err := mediatype.Of(m.Path)
		category, limit, ok := mediaKind(mt)
		if err != nil || !ok {
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("%s is %s: X takes images (JPEG, PNG, WebP, GIF) and videos (MP4, MOV)", m.Path, mt)})
			continue
		}
		if info.Size() > limit {
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("%s is %s, over X's limit of %s", m.Path, safefile.Size(info.Size()), safefile.Size(limit))})
		}
		if category == "tweet_image" {
			images++
		} else {
			others++
		}
	}
	switch {
	case others > 0 && len(media) > 1:
		probs = append(probs, publishers.Problem{Field: "media", Message: "a post on X carries one GIF or one video alone, or up to 4 images"})
	case images > maxImages:
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d images, X takes %d per post", images, maxImages)})
	}
	return probs
}
