package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.NRGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegWithEXIF is a JPEG whose APP1 segment carries EXIF with a GPS marker.
func jpegWithEXIF(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 800, 600)), nil); err != nil {
		t.Fatal(err)
	}
	payload := []byte("Exif\x00\x00GPSLatitude=38.7223;GPSLongitude=-9.1393;secret-location")
	segment := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(segment[2:], uint16(len(payload)+2))
	raw := b.Bytes()
	return append(append(append([]byte{}, raw[:2]...), append(segment, payload...)...), raw[2:]...)
}

// pngBomb claims 20000x20000 pixels in a file of a few hundred bytes.
func pngBomb(t *testing.T) []byte {
	t.Helper()
	b := pngImage(t, 16, 16)
	// IHDR data starts at byte 16: width and height, then the chunk's CRC after 13 bytes of data.
	binary.BigEndian.PutUint32(b[16:], 20000)
	binary.BigEndian.PutUint32(b[20:], 20000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// avatarBody is a multipart body holding data as field, and its content type (which names its boundary).
func avatarBody(t *testing.T, field string, data []byte) (body io.Reader, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	part, err := mw.CreateFormFile(field, "avatar.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

func uploadAvatar(t *testing.T, env *apitest.Env, token string, data []byte) apitest.Response {
	t.Helper()
	body, contentType := avatarBody(t, "avatar", data)
	return env.Do(http.MethodPut, "/api/me/avatar", contentType, body, "Authorization", "Bearer "+token)
}

func mediaFiles(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	entries, err := os.ReadDir(env.Config.MediaDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestAvatarUploadServeReplaceDelete(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("avatar"))

	resp := uploadAvatar(t, env, session.AccessToken, pngImage(t, 1200, 600))
	if resp.Status != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.Status, resp.Body)
	}
	first := avatarURL(t, resp)
	img := env.Do(http.MethodGet, first, "", nil)
	if img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || img.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(img.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Fatalf("GET %s: %d %v", first, img.Status, img.Header)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img.Body))
	if err != nil || cfg.Width != 512 || cfg.Height != 256 {
		t.Errorf("stored image %dx%d (%v), want scaled to 512x256", cfg.Width, cfg.Height, err)
	}
	me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken))
	if me.JSON200 == nil || me.JSON200.AvatarUrl.MustGet() != first {
		t.Errorf("GET /api/me avatar_url: %s", me.Body)
	}

	// Replacing removes the old file.
	second := avatarURL(t, uploadAvatar(t, env, session.AccessToken, jpegWithEXIF(t)))
	if second == first || !strings.HasSuffix(second, ".jpg") {
		t.Errorf("replacement URL %s", second)
	}
	if old := env.Do(http.MethodGet, first, "", nil); old.Status != http.StatusNotFound {
		t.Errorf("old avatar still served: %d", old.Status)
	}
	if files := mediaFiles(t, env); len(files) != 1 {
		t.Errorf("files after replace: %v, want 1", files)
	}
	stored := env.Do(http.MethodGet, second, "", nil)
	if bytes.Contains(stored.Body, []byte("Exif")) || bytes.Contains(stored.Body, []byte("GPS")) || bytes.Contains(stored.Body, []byte("secret-location")) {
		t.Error("EXIF/GPS data survived re-encoding")
	}
	if stored.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("Content-Type %q", stored.Header.Get("Content-Type"))
	}

	deleted, _ := env.Client.DeleteAvatarWithResponse(context.Background(), apitest.Bearer(session.AccessToken))
	if deleted.JSON200 == nil || !deleted.JSON200.AvatarUrl.IsNull() {
		t.Fatalf("delete: %d %s", deleted.StatusCode(), deleted.Body)
	}
	if files := mediaFiles(t, env); len(files) != 0 {
		t.Errorf("files after delete: %v", files)
	}
	if r := env.Do(http.MethodGet, "/media/avatars/..%2f..%2fetc%2fpasswd", "", nil); r.Status != http.StatusNotFound && r.Status != http.StatusBadRequest {
		t.Errorf("path traversal: %d", r.Status)
	}
	if r := env.Do(http.MethodGet, "/media/avatars/0123456789abcdef0123456789abcdef.png", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("missing avatar: %d", r.Status)
	}
}

func avatarURL(t *testing.T, resp apitest.Response) string {
	t.Helper()
	var u api.User
	if err := jsonUnmarshal(resp.Body, &u); err != nil || u.AvatarUrl.IsNull() {
		t.Fatalf("avatar response: %v %s", err, resp.Body)
	}
	return u.AvatarUrl.MustGet()
}

func TestAvatarRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("refused"))
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	if r := uploadAvatar(t, env, session.AccessToken, gif); r.Status != http.StatusOK {
		t.Errorf("a 1x1 GIF: %d %s, want 200", r.Status, r.Body)
	}
	// A 1x1 lossless WebP; WebP is stored re-encoded as PNG.
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if r := uploadAvatar(t, env, session.AccessToken, webp); r.Status != http.StatusOK || !strings.HasSuffix(avatarURL(t, r), ".png") {
		t.Errorf("a 1x1 WebP: %d %s, want 200 and a PNG", r.Status, r.Body)
	}
	cases := map[string][]byte{
		"text renamed .png":   []byte("just some text, not an image at all"),
		"HTML":                []byte("<html><script>alert(1)</script></html>"),
		"truncated PNG":       pngImage(t, 64, 64)[:60],
		"SVG":                 []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"empty":               {},
		"too many pixels PNG": pngImage(t, 4097, 1),
	}
	for name, data := range cases {
		r := uploadAvatar(t, env, session.AccessToken, data)
		if r.Status != http.StatusBadRequest || (*r.Error(t).Details.ValidationErrors)["avatar"] == "" {
			t.Errorf("%s: %d %s, want 400 naming avatar", name, r.Status, r.Body)
		}
	}
	big := append(pngImage(t, 8, 8), bytes.Repeat([]byte{0}, 5<<20)...)
	if r := uploadAvatar(t, env, session.AccessToken, big); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("over 5 MiB: %d %s, want 413", r.Status, r.Body)
	}
	wrongField, contentType := avatarBody(t, "picture", pngImage(t, 8, 8))
	if r := env.Do(http.MethodPut, "/api/me/avatar", contentType, wrongField, "Authorization", "Bearer "+session.AccessToken); r.Status != http.StatusBadRequest {
		t.Errorf("wrong field name: %d %s, want 400", r.Status, r.Body)
	}
	if r := env.JSON(http.MethodPut, "/api/me/avatar", `{"avatar":"x"}`, "Authorization", "Bearer "+session.AccessToken); r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON body: %d %s, want 415", r.Status, r.Body)
	}
	if r := uploadAvatar(t, env, "not-a-token", pngImage(t, 8, 8)); r.Status != http.StatusUnauthorized {
		t.Errorf("no valid token: %d, want 401", r.Status)
	}
}

// A 20000x20000 PNG in a few hundred bytes is refused from its header, quickly and without allocating
// its pixels (1.6 GB if decoded).
func TestAvatarDecompressionBomb(t *testing.T) {
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("bomb"))
	bomb := pngBomb(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	r := uploadAvatar(t, env, session.AccessToken, bomb)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "4096") {
		t.Fatalf("bomb: %d %s, want 400 about the pixel limit", r.Status, r.Body)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("refusing the bomb allocated %d MiB", grew>>20)
	}
	t.Logf("bomb of %d bytes refused in %s", len(bomb), took)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
