package auth

import "testing"

// Throttling counts an IPv4 address, or a whole IPv6 /64, as one client.
func TestClientNetwork(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7":                "192.0.2.7",
		"::ffff:192.0.2.7":         "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":     "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":     "2001:db8:1:2::/64",
		"2001:db8:1:3::1":          "2001:db8:1:3::/64",
		"fe80::1%eth0":             "fe80::/64",
		"::1":                      "::/64",
		"not an address":           "not an address",
		"2001:0db8:0001:0002::abc": "2001:db8:1:2::/64",
	}
	for in, want := range cases {
		if got := clientNetwork(in); got != want {
			t.Errorf("clientNetwork(%q) = %q, want %q", in, got, want)
		}
	}
	if clientNetwork("2001:db8:1:2::1") != clientNetwork("2001:db8:1:2:aaaa:bbbb:cccc:dddd") {
		t.Error("two addresses of one /64 are two clients")
	}
	if clientNetwork("2001:db8:1:2::1") == clientNetwork("2001:db8:1:3::1") {
		t.Error("two /64s are one client")
	}
}
