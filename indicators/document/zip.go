package document

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxXMLDepth bounds the nesting of elements read from a part: encoding/xml keeps one
// entry per open element, so a hostile part of nested elements would grow without it.
const maxXMLDepth = 512

func zipHas(data []byte, name string) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// capped reads at most n bytes and then fails with ErrTooLarge, whatever the zip header
// said the part's size was.
type capped struct {
	r    io.Reader
	n    int64
	name string
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		// one more byte tells a part of exactly the limit from a longer one
		var one [1]byte
		if k, _ := c.r.Read(one[:]); k > 0 {
			return 0, fmt.Errorf("%s: uncompressed part larger than the limit: %w", c.name, ErrTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

// openPart opens a part of a zip for streaming, bounded by limit uncompressed bytes; ok is
// false when the zip has no such part.
func openPart(zr *zip.Reader, name string, limit int64) (r io.ReadCloser, ok bool, err error) {
	for _, f := range zr.File {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		if limit >= 0 && f.UncompressedSize64 > uint64(limit) {
			return nil, true, fmt.Errorf("%s: %d bytes uncompressed, more than %d: %w", name, f.UncompressedSize64, limit, ErrTooLarge)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, true, fmt.Errorf("%s: %w", name, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{&capped{r: rc, n: limit, name: name}, rc}, true, nil
	}
	return nil, false, nil
}

// xmlTokens walks the elements of a part, calling start and end for elements and text
// for character data, with the nesting bounded.
type xmlWalk struct {
	start func(se xml.StartElement) (skip bool)
	end   func(name string)
	text  func(s string)
}

func (w xmlWalk) run(r io.Reader, part string) error {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	depth, skipping := 0, 0 // skipping: the depth of the element being skipped, 0 for none
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return fmt.Errorf("%s: %w", part, io.ErrUnexpectedEOF)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return fmt.Errorf("%s: elements nested deeper than %d: %w", part, maxXMLDepth, ErrTooLarge)
			}
			if skipping == 0 && w.start != nil && w.start(t) {
				skipping = depth
			}
		case xml.EndElement:
			if depth == 0 {
				return fmt.Errorf("%s: unexpected </%s>", part, t.Name.Local)
			}
			if skipping == 0 && w.end != nil {
				w.end(t.Name.Local)
			}
			if skipping == depth {
				skipping = 0
			}
			depth--
		case xml.CharData:
			if skipping == 0 && w.text != nil {
				w.text(string(t))
			}
		}
	}
}

// attr is the value of the attribute with the local name (any namespace).
func attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}
