package avatar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// Storage keeps avatar files by name.
type Storage interface {
	Put(ctx context.Context, name string, data []byte) error
	Open(ctx context.Context, name string) (io.ReadCloser, int64, error)
	Delete(ctx context.Context, name string) error
}

// ErrNotFound means no avatar has that name.
var ErrNotFound = errors.New("no such avatar")

// validName is the only shape of name NewName produces; anything else never reaches the file system.
var validName = regexp.MustCompile(`^[a-f0-9]{32}\.(png|jpg)$`)

// NewName returns a random file name with the extension ext.
func NewName(ext string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "." + ext
}

// Dir is a Storage in a directory of the local file system.
type Dir struct{ path string }

// NewDir creates the directory if needed.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	return &Dir{path: path}, nil
}

func (d *Dir) file(name string) (string, error) {
	if !validName.MatchString(name) {
		return "", ErrNotFound
	}
	return filepath.Join(d.path, name), nil
}

// Put writes the file atomically: a reader never sees half an image.
func (d *Dir) Put(_ context.Context, name string, data []byte) error {
	path, err := d.file(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.path, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Open returns the file and its size.
func (d *Dir) Open(_ context.Context, name string) (io.ReadCloser, int64, error) {
	path, err := d.file(name)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// Delete removes the file; a missing file is not an error.
func (d *Dir) Delete(_ context.Context, name string) error {
	path, err := d.file(name)
	if err != nil {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
