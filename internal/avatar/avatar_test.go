package avatar

import (
	"context"
	"errors"
	"testing"
)

func TestDirRefusesNamesItDidNotMake(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"../../etc/passwd", "x.png", "0123456789abcdef0123456789abcdef.svg", "/etc/passwd", ""} {
		if err := d.Put(ctx, name, []byte("x")); !errors.Is(err, ErrNotFound) {
			t.Errorf("Put(%q) = %v", name, err)
		}
		if _, _, err := d.Open(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v", name, err)
		}
	}
	name := NewName("png")
	if err := d.Put(ctx, name, []byte("data")); err != nil {
		t.Fatal(err)
	}
	r, size, err := d.Open(ctx, name)
	if err != nil || size != 4 {
		t.Fatalf("Open = %v, %d", err, size)
	}
	r.Close()
	if err := d.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, name); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}
