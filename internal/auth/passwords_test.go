package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var fastParams = Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(DefaultArgon2Params, 2, time.Second)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with OWASP parameters", encoded)
	}
	if again, _ := h.Hash(ctx, "correct horse battery staple"); again == encoded {
		t.Error("two hashes of one password are equal: salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		match, rehash, err := h.Verify(ctx, pw, encoded)
		if err != nil || match != want || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, false, nil", pw, match, rehash, err, want)
		}
	}
}

func TestVerifyFlagsOutdatedParameters(t *testing.T) {
	ctx := context.Background()
	old, err := NewHasher(fastParams, 1, time.Second).Hash(ctx, "pw-pw-pw-pw")
	if err != nil {
		t.Fatal(err)
	}
	match, rehash, err := NewHasher(DefaultArgon2Params, 1, time.Second).Verify(ctx, "pw-pw-pw-pw", old)
	if err != nil || !match || !rehash {
		t.Errorf("Verify with old parameters = %v, %v, %v; want true, true, nil", match, rehash, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	h := NewHasher(fastParams, 1, time.Second)
	for _, bad := range []string{"plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=1024,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=x,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$"} {
		if match, _, err := h.Verify(context.Background(), "x", bad); err == nil || match {
			t.Errorf("Verify(%q) = %v, %v; want an error", bad, match, err)
		}
	}
}

// An unknown account is checked against the dummy hash: the same work as a real one, and it takes a
// hashing slot like one. With every slot taken it must wait and give up, not skip the hash.
func TestDummyVerifyDoesRealWork(t *testing.T) {
	h := NewHasher(DefaultArgon2Params, 1, 20*time.Millisecond)
	ctx := context.Background()
	if match, _, err := h.Verify(ctx, "anything", ""); err != nil || match {
		t.Fatalf("dummy Verify = %v, %v; want false, nil", match, err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, _, err := h.Verify(ctx, "anything", ""); !errors.Is(err, ErrBusy) {
		t.Errorf("dummy Verify with no free slot = %v, want ErrBusy", err)
	}
}

// Hashing is bounded: with every slot taken, callers wait up to the limit and then get ErrBusy.
func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(fastParams, 2, 30*time.Millisecond)
	ctx := context.Background()
	r1, _ := h.acquire(ctx)
	r2, _ := h.acquire(ctx)
	if _, err := h.Hash(ctx, "password-one"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with no free slot = %v, want ErrBusy", err)
	}
	r1()
	if _, err := h.Hash(ctx, "password-one"); err != nil {
		t.Errorf("Hash with a free slot: %v", err)
	}
	r2()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	r3, _ := h.acquire(ctx)
	r4, _ := h.acquire(ctx)
	defer r3()
	defer r4()
	if _, err := h.Hash(cancelled, "password-one"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with a cancelled context = %v, want ErrBusy", err)
	}
}

// Beyond the queue, callers are refused at once rather than after the wait.
func TestHasherRefusesBeyondTheQueueAtOnce(t *testing.T) {
	h := NewHasher(fastParams, 1, time.Hour)
	ctx := context.Background()
	release, _ := h.acquire(ctx)
	defer release()
	h.waiting.Store(h.queue) // the queue is full
	start := time.Now()
	if _, err := h.Hash(ctx, "password-one"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with a full queue = %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("refused after %s, want at once", waited)
	}
}

// Saturated tells Login to refuse before any database work exactly when Hash would refuse at once.
func TestHasherSaturated(t *testing.T) {
	h := NewHasher(fastParams, 1, time.Hour)
	if h.Saturated() {
		t.Fatal("an idle hasher is saturated")
	}
	release, _ := h.acquire(context.Background())
	defer release()
	if h.Saturated() {
		t.Error("saturated with the queue empty")
	}
	h.waiting.Store(h.queue)
	if !h.Saturated() {
		t.Error("not saturated with every slot taken and the queue full")
	}
}

// A check of an imported hash raises the failure floor to failureFloorMargin times what it took, so that
// hashes stored since the last measurement are padded from their first check on; argon2id checks, the
// dummy's included, leave it alone, and the floor pads a failed check that began at start.
func TestLegacyCheckRaisesTheFailureFloor(t *testing.T) {
	h := NewHasher(fastParams, 1, time.Second)
	ctx := context.Background()
	argon, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, encoded := range []string{argon, "", "!unusable"} {
		if _, _, err := h.Verify(ctx, "wrong", encoded); err != nil {
			t.Fatal(err)
		}
	}
	if floor := h.FailureFloor(); floor != 0 {
		t.Fatalf("floor after argon2id checks: %s, want 0", floor)
	}
	start := time.Now()
	if match, _, err := h.Verify(ctx, "wrong", fixedLegacyVectors[1].encoded); match || err != nil {
		t.Fatalf("Verify of a wrong password against the Werkzeug scrypt vector: %v, %v", match, err)
	}
	took := time.Since(start)
	floor := h.FailureFloor()
	if floor <= 0 || floor > scaledFloor(took) {
		t.Fatalf("floor %s after a check of %s: want above 0 and at most %s", floor, took, scaledFloor(took))
	}
	h.awaitFailureFloor(ctx, start)
	if waited := time.Since(start); waited < floor {
		t.Errorf("awaitFailureFloor returned after %s, before the floor %s", waited, floor)
	}
}
