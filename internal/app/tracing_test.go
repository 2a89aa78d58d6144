package app_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/authd/authd/internal/apitest"
)

// With tracing on, a login is a span named by its operationId, with the database statements it ran as
// children; with tracing off (the default), no span is made.
func TestLoginIsTraced(t *testing.T) { // not parallel: it sets the global tracer provider
	exporter := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	previous := otel.GetTracerProvider()
	otel.SetTracerProvider(provider)
	t.Cleanup(func() { otel.SetTracerProvider(previous) })

	untraced := apitest.New(t)
	untraced.Register(apitest.UniqueEmail("untraced"))
	if n := len(exporter.GetSpans()); n != 0 {
		t.Fatalf("%d spans with tracing off", n)
	}

	env := apitest.New(t, func(c *apitest.Config) { c.OTLPEndpoint = "http://collector.invalid:4318" })
	email := apitest.UniqueEmail("traced")
	env.Register(email)
	exporter.Reset()
	env.Login(email, apitest.Password)
	_ = provider.ForceFlush(context.Background())

	spans := exporter.GetSpans()
	var login *tracetest.SpanStub
	for i := range spans {
		if spans[i].Name == "login" {
			login = &spans[i]
		}
	}
	if login == nil {
		names := []string{}
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("no span named login among %v", names)
	}
	children := 0
	for _, s := range spans {
		if s.Parent.SpanID() == login.SpanContext.SpanID() && s.Name != "login" {
			children++
		}
	}
	if children == 0 {
		t.Errorf("the login span has no database spans under it (%d spans in all)", len(spans))
	}
	t.Logf("a login made %d spans, %d of them database statements under the login span", len(spans), children)
}
