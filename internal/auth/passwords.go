package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id cost parameters. Memory is in KiB.
type Argon2Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultArgon2Params follow OWASP's password storage cheat sheet: m=19 MiB, t=2, p=1.
var DefaultArgon2Params = Argon2Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// queuePerSlot bounds how many callers may wait for each hashing slot; beyond that a caller gets ErrBusy
// at once, so a flood is answered fast instead of queueing for the whole wait.
const queuePerSlot = 8

// Hasher hashes and verifies passwords with argon2id. At most slots hashes run at once, because each one
// holds Memory KiB; a few callers per slot wait up to wait for one, the rest get ErrBusy at once. A flood
// of logins therefore costs bounded memory and gets fast 503s.
type Hasher struct {
	params  Argon2Params
	slots   chan struct{}
	wait    time.Duration
	waiting atomic.Int64
	queue   int64
	// dummy is verified against when the account does not exist, so that such logins take as long as
	// real ones.
	dummy    string
	upgrades map[string]*atomic.Int64
	// failureFloor (nanoseconds) is how long every failed password check lasts at least: see
	// Service.MeasureLegacyHashes.
	failureFloor atomic.Int64
}

// NewHasher returns a Hasher that runs at most slots hashes at once (runtime.NumCPU() when slots < 1).
func NewHasher(params Argon2Params, slots int, wait time.Duration) *Hasher {
	if slots < 1 {
		slots = runtime.NumCPU()
	}
	h := &Hasher{params: params, slots: make(chan struct{}, slots), wait: wait, queue: int64(slots * queuePerSlot),
		upgrades: make(map[string]*atomic.Int64, len(LegacySchemes))}
	for _, scheme := range LegacySchemes {
		h.upgrades[scheme] = new(atomic.Int64)
	}
	h.dummy = h.encode([]byte("authd-dummy-salt"), argon2.IDKey([]byte("not a real password"), []byte("authd-dummy-salt"),
		params.Time, params.Memory, params.Threads, params.KeyLen))
	return h
}

func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	default:
	}
	if h.waiting.Add(1) > h.queue {
		h.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer h.waiting.Add(-1)
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ErrBusy
	}
}

// Saturated reports that every slot is taken and the queue is full: a caller would get ErrBusy. Login
// checks it first, so that a flood's excess costs no database work either.
func (h *Hasher) Saturated() bool {
	return len(h.slots) == cap(h.slots) && h.waiting.Load() >= h.queue
}

// InUse is how many hashes run now.
func (h *Hasher) InUse() int { return len(h.slots) }

// Waiting is how many callers wait for a slot.
func (h *Hasher) Waiting() int64 { return h.waiting.Load() }

// Slots is how many hashes may run at once.
func (h *Hasher) Slots() int { return cap(h.slots) }

// Hash returns the PHC string of password: $argon2id$v=19$m=...,t=...,p=...$salt$key.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return h.encode(salt, key), nil
}

func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded, and whether encoded was made with other parameters
// than the current ones and should be replaced. An empty encoded is checked against a dummy hash, taking
// the same time, and never matches.
//
// Hashes imported from other systems (see legacyhash.go) are verified with their own scheme and cost, in a
// hashing slot like any other, and always need a rehash. An unusable password (Django's "!...") takes the
// dummy's time and never matches.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (match, needsRehash bool, err error) {
	real := encoded != "" && !IsUnusablePassword(encoded)
	if !real {
		encoded = h.dummy
	}
	match, needsRehash, took, err := h.timedCheck(ctx, password, encoded)
	if err != nil {
		return false, false, err
	}
	if real && !strings.HasPrefix(encoded, "$argon2id$") {
		// An imported hash slower than the floor, stored since the last measurement, raises it now rather
		// than at the next measurement.
		h.raiseFailureFloor(scaledFloor(took))
	}
	return match && real, needsRehash, nil
}

// timedCheck checks password against encoded in a hashing slot, and says how long the check took (the
// wait for the slot not counted).
func (h *Hasher) timedCheck(ctx context.Context, password, encoded string) (match, needsRehash bool, took time.Duration, err error) {
	check, needsRehash, err := h.checker(encoded)
	if err != nil {
		return false, false, 0, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, 0, err
	}
	defer release()
	start := time.Now()
	match = check(password)
	return match, needsRehash, time.Since(start), nil
}

// checker parses encoded into the check of a password against it, and says whether it should be replaced:
// an argon2id hash with other parameters than the current ones, or any imported hash.
func (h *Hasher) checker(encoded string) (check func(password string) bool, needsRehash bool, err error) {
	if !strings.HasPrefix(encoded, "$argon2id$") {
		legacy, err := parseLegacyHash(encoded)
		return legacy.verify, true, err
	}
	p, salt, key, err := decodePHC(encoded)
	if err != nil {
		return nil, false, err
	}
	needsRehash = p.Memory != h.params.Memory || p.Time != h.params.Time || p.Threads != h.params.Threads ||
		uint32(len(key)) != h.params.KeyLen || uint32(len(salt)) != h.params.SaltLen
	return func(password string) bool {
		got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(got, key) == 1
	}, needsRehash, nil
}

// FailureFloor is how long every failed password check lasts at least; 0 while no imported hash is
// slower than the dummy.
func (h *Hasher) FailureFloor() time.Duration { return time.Duration(h.failureFloor.Load()) }

func (h *Hasher) setFailureFloor(d time.Duration) { h.failureFloor.Store(int64(d)) }

// failureFloorMargin is how much longer than the slowest hash check the failure floor is, for the
// machine's noise.
const failureFloorMargin = 1.5

func scaledFloor(check time.Duration) time.Duration {
	return time.Duration(float64(check) * failureFloorMargin)
}

// raiseFailureFloor makes the floor at least d.
func (h *Hasher) raiseFailureFloor(d time.Duration) {
	for {
		old := h.failureFloor.Load()
		if int64(d) <= old || h.failureFloor.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// awaitFailureFloor returns once the failed check that began at start has lasted FailureFloor, or ctx
// ends. It sleeps: a padded failure holds no hashing slot.
func (h *Hasher) awaitFailureFloor(ctx context.Context, start time.Time) {
	wait := h.FailureFloor() - time.Since(start)
	if wait <= 0 {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// countUpgrade records that a hash of scheme was replaced by argon2id at a login.
func (h *Hasher) countUpgrade(scheme string) {
	if counter, ok := h.upgrades[scheme]; ok {
		counter.Add(1)
	}
}

// Upgrades is how many hashes of each legacy scheme were replaced by argon2id since start.
func (h *Hasher) Upgrades() map[string]int64 {
	out := make(map[string]int64, len(h.upgrades))
	for scheme, counter := range h.upgrades {
		out[scheme] = counter.Load()
	}
	return out
}

var errBadHash = errors.New("malformed argon2id hash")

func decodePHC(encoded string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Argon2Params{}, nil, nil, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Argon2Params{}, nil, nil, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return Argon2Params{}, nil, nil, errBadHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return Argon2Params{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
