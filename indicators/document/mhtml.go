package document

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"golang.org/x/net/html/charset"
)

// A page saved as a single file (.mht/.mhtml: Chrome's "Webpage, Single File", Edge and
// IE's "Web Archive") is a MIME message whose first text/html part is the page.

func looksLikeMHTML(data []byte) bool {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	h := bytes.ToLower(head)
	return bytes.Contains(h, []byte("mime-version:")) && bytes.Contains(h, []byte("multipart/related"))
}

// ReadMHTML reads the page inside a single-file web archive.
func ReadMHTML(data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, fmt.Errorf("mhtml: %w", err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, fmt.Errorf("mhtml: no multipart boundary")
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for parts := 0; parts < 10000; parts++ {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("mhtml: %w", err)
		}
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct != "text/html" {
			continue
		}
		r := decodedPart(p, io.LimitReader(p, lim.MaxBytes+1))
		page, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("mhtml: %w", err)
		}
		if int64(len(page)) > lim.MaxBytes {
			return nil, fmt.Errorf("mhtml: page larger than %d bytes: %w", lim.MaxBytes, ErrTooLarge)
		}
		if cs := cp["charset"]; cs != "" {
			if e, name := charset.Lookup(cs); e != nil && name != "utf-8" {
				if out, err := e.NewDecoder().Bytes(page); err == nil {
					page = out
				}
			}
		}
		return ReadHTML(page, lim)
	}
	return nil, fmt.Errorf("mhtml: no text/html part")
}

// lineless drops line breaks from base64 text.
type lineless struct{ r io.Reader }

func (l *lineless) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		k := 0
		for _, b := range p[:n] {
			if b != '\r' && b != '\n' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil || n == 0 {
			return k, err
		}
	}
}

// decodedPart is the content of part p read from body, decoded by its
// Content-Transfer-Encoding (quoted-printable, base64; anything else as it is).
func decodedPart(p *multipart.Part, body io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &lineless{r: body})
	}
	return body
}
