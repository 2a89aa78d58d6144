// Package config loads authd's configuration from the environment, once, and validates it.
package config
