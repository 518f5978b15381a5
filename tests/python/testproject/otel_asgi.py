"""The test project with the OpenTelemetry SDK set up as a site would, its
spans and metrics kept in memory (the SDK's InMemorySpanExporter and
InMemoryMetricReader) and shown as JSON at /otel/spans and /otel/metrics."""

import json
import os

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

spans = InMemorySpanExporter()
reader = InMemoryMetricReader()


def set_providers() -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))


# OTEL_PROVIDERS_LATER=1: set only when /otel/start is asked, as a site that
# sets them after the mount is made (gunicorn's post_fork hook) would.
if os.environ.get("OTEL_PROVIDERS_LATER") != "1":
    set_providers()

from .asgi import application as mcp_application  # noqa: E402


def _span(span) -> dict:
    parent = span.parent
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_id": format(parent.span_id, "016x") if parent is not None else None,
        "attributes": dict(span.attributes),
        "status": span.status.status_code.name,
        "description": span.status.description,
        "links": [format(link.context.span_id, "016x") for link in span.links],
    }


def _points() -> list[dict]:
    data = reader.get_metrics_data()
    points = []
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    points.append(
                        {
                            "name": metric.name,
                            "unit": metric.unit,
                            "count": point.count,
                            "bounds": list(point.explicit_bounds),
                            "attributes": dict(point.attributes),
                        }
                    )
    return points


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/otel/start":
        set_providers()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if scope["type"] == "http" and scope["path"] in ("/otel/spans", "/otel/metrics"):
        found = [_span(s) for s in spans.get_finished_spans()] if scope["path"] == "/otel/spans" else _points()
        body = json.dumps(found).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    await mcp_application(scope, receive, send)
