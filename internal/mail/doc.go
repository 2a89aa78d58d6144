// Package mail renders authd's messages from templates and delivers them: by SMTP (go-mail), or, in
// development, to .eml files. Flows never send directly: they write the rendered message to the PostgreSQL
// outbox in the transaction of their state change, and a Deliverer in `authd serve` sends it, with retries,
// so that no message is lost and none is sent twice in the normal case.
package mail
