// Package adminui is the admin page: static HTML, CSS and JavaScript embedded in the binary, talking to
// the admin API with tokens kept in memory only.
package adminui
