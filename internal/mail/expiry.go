package mail

import (
	"fmt"
	"strings"
	"time"
)

// Expiry says how long a link works, in the message's language (English for those it does not know).
func Expiry(d time.Duration, language string) string {
	base, _, _ := strings.Cut(language, "-")
	n, unit := int(d.Hours()), "hour"
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		n, unit = int(d.Hours()/24), "day"
	case d < time.Hour:
		n, unit = int(d.Minutes()), "minute"
	}
	words := map[string]map[string][2]string{
		"en": {"minute": {"minute", "minutes"}, "hour": {"hour", "hours"}, "day": {"day", "days"}},
		"es": {"minute": {"minuto", "minutos"}, "hour": {"hora", "horas"}, "day": {"día", "días"}},
	}
	w, ok := words[base]
	if !ok {
		w = words["en"]
	}
	form := w[unit][1]
	if n == 1 {
		form = w[unit][0]
	}
	return fmt.Sprintf("%d %s", n, form)
}
