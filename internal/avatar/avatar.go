package avatar

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits of an upload and of the stored image.
const (
	MaxBytes     = 5 << 20
	MaxDimension = 4096
	OutDimension = 512
	// MaxUploadBytes is the largest request that carries one avatar: MaxBytes plus room for the
	// multipart framing around it. openapi.yaml declares it as putAvatar's x-authd-body-limit.
	MaxUploadBytes = MaxBytes + 64<<10
)

var (
	// ErrUnsupported means the content is not a PNG, JPEG, GIF or WebP image.
	ErrUnsupported = errors.New("the file is not a PNG, JPEG, GIF or WebP image")
	// ErrTooManyPixels means the image is wider or taller than MaxDimension.
	ErrTooManyPixels = errors.New("the image is larger than 4096x4096 pixels")
	// ErrCorrupt means the image could not be decoded.
	ErrCorrupt = errors.New("the image is damaged or truncated")
	// ErrBusy means too many images are being decoded at once.
	ErrBusy = errors.New("too many images are being processed")
)

// Image is a processed avatar, ready to store.
type Image struct {
	Data        []byte
	ContentType string
	Ext         string
}

type format struct {
	decode       func(*bytes.Reader) (image.Image, error)
	decodeConfig func(*bytes.Reader) (image.Config, error)
	jpeg         bool
}

// sniff recognises the supported formats by their signatures, never by name or declared type.
func sniff(b []byte) (format, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return format{decode: func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) },
			decodeConfig: func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) }}, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return format{decode: func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) },
			decodeConfig: func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) }, jpeg: true}, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return format{decode: func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) },
			decodeConfig: func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) }}, true
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return format{decode: func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) },
			decodeConfig: func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) }}, true
	}
	return format{}, false
}

// Processor processes avatars, at most a few at a time: a decoded 4096x4096 image holds 64 MiB.
type Processor struct {
	slots chan struct{}
}

// NewProcessor allows concurrent decodes at once.
func NewProcessor(concurrent int) *Processor {
	return &Processor{slots: make(chan struct{}, max(concurrent, 1))}
}

// Process checks, decodes, scales and re-encodes data. JPEG stays JPEG; the rest become PNG, which keeps
// transparency (an animated GIF keeps its first frame).
func (p *Processor) Process(ctx context.Context, data []byte) (Image, error) {
	f, ok := sniff(data)
	if !ok {
		return Image{}, ErrUnsupported
	}
	cfg, err := f.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return Image{}, ErrCorrupt
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Image{}, ErrCorrupt
	}
	if cfg.Width > MaxDimension || cfg.Height > MaxDimension {
		return Image{}, ErrTooManyPixels
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return Image{}, ErrBusy
	}
	src, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return Image{}, ErrCorrupt
	}
	scaled := scale(src)
	var out bytes.Buffer
	if f.jpeg {
		if err := jpeg.Encode(&out, scaled, &jpeg.Options{Quality: 85}); err != nil {
			return Image{}, err
		}
		return Image{Data: out.Bytes(), ContentType: "image/jpeg", Ext: "jpg"}, nil
	}
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, scaled); err != nil {
		return Image{}, err
	}
	return Image{Data: out.Bytes(), ContentType: "image/png", Ext: "png"}, nil
}

// scale fits src within OutDimension x OutDimension, keeping its aspect ratio; it always copies, so the
// result carries nothing but pixels.
func scale(src image.Image) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > OutDimension || h > OutDimension {
		if w >= h {
			w, h = OutDimension, max(1, h*OutDimension/b.Dx())
		} else {
			w, h = max(1, w*OutDimension/b.Dy()), OutDimension
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	return dst
}
