"""Real OTLP trace receivers for the tests, over HTTP and over gRPC: they decode the
exporters' protobuf payloads (`opentelemetry-proto`) into plain span records."""

from __future__ import annotations

import dataclasses
import gzip
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import (
    TraceServiceServicer,
    add_TraceServiceServicer_to_server,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

STATUS_ERROR = 2  # opentelemetry.proto.trace.v1.Status.STATUS_CODE_ERROR
KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclasses.dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: str
    service: str
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    events: list[tuple[str, dict[str, Any]]]


def decode_value(value: AnyValue) -> Any:
    field = value.WhichOneof("value")
    if field == "array_value":
        return [decode_value(v) for v in value.array_value.values]
    if field == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return getattr(value, field) if field else None


def decode_attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: decode_value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def decode_request(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    return decode_spans(request)


def decode_spans(request: ExportTraceServiceRequest) -> list[ReceivedSpan]:
    received = []
    for resource_spans in request.resource_spans:
        service = decode_attributes(resource_spans.resource.attributes).get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                received.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=KINDS.get(span.kind, "unspecified"),
                        service=service,
                        attributes=decode_attributes(span.attributes),
                        status_code=span.status.code,
                        status_message=span.status.message,
                        events=[(e.name, decode_attributes(e.attributes)) for e in span.events],
                    )
                )
    return received


class Receiver:
    """Serves `POST /v1/traces` on 127.0.0.1 in a thread and keeps every span it decodes;
    answers `GET /api/traces/{traceId}` as Jaeger's and Tempo's query APIs do (200 with the
    trace's span names, 404 before any span of it arrived), for `actionpool smoke`."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(
        self, found: Callable[[list[ReceivedSpan]], bool], timeout_s: float = 20
    ) -> list[ReceivedSpan]:
        """The spans received once `found(spans)` holds (fails after `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                spans = list(self.spans)
            if found(spans):
                return spans
            if time.monotonic() > deadline:
                names = sorted({s.name for s in spans})
                raise AssertionError(f"spans never arrived; received {len(spans)}: {names}")
            time.sleep(0.05)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                spans = decode_request(body) if self.path == "/v1/traces" else []
                with receiver.lock:
                    receiver.spans.extend(spans)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self) -> None:
                trace_id = self.path.removeprefix("/api/traces/")
                with receiver.lock:
                    names = [s.name for s in receiver.spans if s.trace_id == trace_id]
                body = json.dumps({"traceId": trace_id, "spans": names}).encode()
                self.send_response(200 if names and trace_id != self.path else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class GrpcReceiver(Receiver):
    """The same, as the OTLP/gRPC `TraceService` on 127.0.0.1."""

    def __init__(self) -> None:
        self.spans = []
        self.lock = threading.Lock()
        self.grpc_server = grpc.server(ThreadPoolExecutor(max_workers=2))
        add_TraceServiceServicer_to_server(_Service(self), self.grpc_server)
        self.port = self.grpc_server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GrpcReceiver:
        self.grpc_server.start()
        return self

    def stop(self) -> None:
        self.grpc_server.stop(grace=None)


class _Service(TraceServiceServicer):
    def __init__(self, receiver: GrpcReceiver) -> None:
        self.receiver = receiver

    def Export(self, request: Any, context: Any) -> ExportTraceServiceResponse:  # noqa: N802
        spans = decode_spans(request)
        with self.receiver.lock:
            self.receiver.spans.extend(spans)
        return ExportTraceServiceResponse()
