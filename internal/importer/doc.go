// Package importer brings users from the systems authd replaces, with their password hashes: Django's
// `manage.py dumpdata` of any user model, or JSON lines of authd's own shape for any other source. The
// rules each user must pass live in auth.PrepareImport; this package reads the files, batches the users,
// brings avatars through the upload pipeline and reports what it did.
package importer
