//! The MCP server engine: turns one HTTP request into either a finished
//! response or a plan of user functions for the Python layer to run.
//! It does no I/O and calls no user code.

use crate::catalog::{Catalog, Kind};
use crate::envelope::{self, RequestEnvelope, RoutingHeaders};
use crate::http::{self, Format, Headers, Response};
use crate::jsonrpc::{self, Body, Message, RpcError, INVALID_REQUEST, METHOD_NOT_FOUND};
use crate::revision::{self, Revision};
use crate::security::HostPolicy;
use crate::session::{self, Lookup, NewSession};
use crate::sse;
use crate::tasks;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// What the server says about itself in initialize.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    pub name: String,
    pub title: Option<String>,
    pub version: String,
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// MCP_HTTP_JSON_RESPONSE: answer application/json rather than an event stream.
    pub json_response: bool,
    /// DNS-rebinding protection for the MCP endpoint.
    pub hosts: HostPolicy,
    /// Items per page of list results; 0 lists everything at once.
    pub page_size: usize,
    /// Cache hints on 2026-07-28 list and discover results.
    pub cache_ttl_ms: u64,
    pub cache_public: bool,
    /// Some tool supports tasks: the tasks extension is advertised to 2026-07-28 clients.
    pub tasks: bool,
    /// Extensions the server supports (SEP-2133), advertised as
    /// `capabilities.extensions`: identifier and its settings object, raw JSON.
    pub extensions: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct Engine {
    /// Set once by `new`: the stamps below are written from it.
    info: ServerInfo,
    pub options: Options,
    pub catalog: Catalog,
    /// The `serverInfo` stamp as JSON text, without and with `title` (by
    /// whether the revision knows the field), written at first use.
    stamps: [OnceLock<Arc<str>>; 2],
}

/// A user function to run for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The request id, raw JSON.
    pub id: String,
    pub kind: Kind,
    /// The Python layer's handle for the tool, resource or prompt.
    pub handle: usize,
    /// Tool or prompt name, or the resource URI.
    pub target: String,
    /// Raw JSON object of arguments (tools, prompts).
    pub arguments: String,
    /// Values of a resource template's variables.
    pub variables: Vec<(String, String)>,
    /// Raw JSON of `_meta.progressToken` when the client asked for progress.
    pub progress_token: Option<String>,
    /// W3C Trace Context the client put in `_meta` (`traceparent`, `tracestate`),
    /// for the server's span of this request to join the client's trace.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    /// The revision the request speaks.
    pub revision: &'static Revision,
    /// 2026-07-28 envelope: capabilities and log opt-in for this one request.
    pub envelope: Option<RequestEnvelope>,
    /// Multi-round-trip retry: raw JSON of `inputResponses`, and `requestState`.
    pub input_responses: Option<String>,
    pub request_state: Option<String>,
}

#[derive(Debug)]
enum Slot {
    Ready(Vec<u8>),
    Pending,
}

/// Requests whose answers need user code, plus the answers already known.
#[derive(Debug)]
pub struct Plan {
    pub format: Format,
    pub revision: &'static Revision,
    pub batch: bool,
    slots: Vec<Slot>,
    pub calls: Vec<Call>,
    /// Ids (raw JSON) named by notifications/cancelled in this post.
    pub cancels: Vec<String>,
    /// Answers to server-to-client requests: (id, raw result or raw error).
    pub replies: Vec<Reply>,
    /// Set when this plan answers the initialize that opened a session.
    pub session_id: Option<String>,
}

/// A client's answer to one of our requests (elicitation, sampling, roots).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The id we sent, raw JSON.
    pub id: String,
    /// Raw JSON of `result`, or of `error` when the client refused.
    pub outcome: Result<String, String>,
}

impl Plan {
    /// Whether the post held any request, and so gets a body (else 202).
    pub fn has_responses(&self) -> bool {
        !self.slots.is_empty()
    }

    /// The post is one request needing user code and nothing else: its answer
    /// is that call's message alone (one JSON body, or one stream), with
    /// nothing to settle and nothing to join.
    pub fn lone_call(&self) -> Option<&Call> {
        match (self.batch, self.slots.as_slice(), self.calls.as_slice()) {
            (false, [Slot::Pending], [call])
                if self.cancels.is_empty()
                    && self.replies.is_empty()
                    && call.kind != Kind::Listen =>
            {
                Some(call)
            }
            _ => None,
        }
    }
}

/// A tool result of one text block, with `structuredContent` when given
/// (raw JSON; `wrapped` puts it under `result`, as for non-object values).
pub fn text_tool_result(text: &str, structured: Option<&str>, wrapped: bool) -> String {
    let quoted = serde_json::to_string(text).expect("strings serialise");
    let mut out = String::with_capacity(64 + quoted.len() + structured.map_or(0, str::len));
    out.push_str("{\"content\":[{\"type\":\"text\",\"text\":");
    out.push_str(&quoted);
    out.push_str("}]");
    if let Some(raw) = structured {
        out.push_str(",\"structuredContent\":");
        if wrapped {
            out.push_str("{\"result\":");
            out.push_str(raw);
            out.push('}');
        } else {
            out.push_str(raw);
        }
    }
    out.push_str(",\"isError\":false}");
    out
}

/// A tool's plain return value, written by the engine without a dict in Python.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Bool(bool),
    Int(i64),
    Str(&'a str),
}

/// The tool result object for `value`: one text block holding it and, when
/// `structured`, the value itself as `structuredContent.result`. What
/// `text_tool_result` gives for its text and JSON, written into `out`
/// without intermediate strings.
pub fn write_scalar_result(out: &mut Vec<u8>, value: Scalar<'_>, structured: bool) {
    out.extend_from_slice(b"{\"content\":[{\"type\":\"text\",\"text\":");
    let json_start = out.len() + 1;
    match value {
        Scalar::Bool(b) => out.extend_from_slice(if b { b"\"true\"" } else { b"\"false\"" }),
        Scalar::Int(n) => {
            use std::io::Write;
            write!(out, "\"{n}\"").expect("writing to a Vec cannot fail");
        }
        Scalar::Str(text) => serde_json::to_writer(&mut *out, text).expect("strings serialise"),
    }
    let text_end = out.len();
    out.extend_from_slice(b"}]");
    if structured {
        out.extend_from_slice(b",\"structuredContent\":{\"result\":");
        match value {
            // The JSON of a bool or an int is its text, without the quotes.
            Scalar::Bool(_) | Scalar::Int(_) => out.extend_from_within(json_start..text_end - 1),
            Scalar::Str(_) => out.extend_from_within(json_start - 1..text_end),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"isError\":false}");
}

/// The whole JSON-RPC response carrying `write_scalar_result`, in one buffer.
pub fn scalar_tool_message(id: &str, value: Scalar<'_>, structured: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        112 + id.len()
            + if let Scalar::Str(s) = value {
                2 * s.len()
            } else {
                24
            },
    );
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b",\"result\":");
    write_scalar_result(&mut out, value, structured);
    out.push(b'}');
    out
}

pub enum Outcome {
    Respond(Response),
    Run(Plan),
}

/// How a complete answer that is one call's message alone is sent: its HTTP
/// status, and the seconds of the `Retry-After` header that status needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AloneStatus {
    pub status: u16,
    pub retry_after: Option<u64>,
}

impl Plan {
    /// The HTTP status of a complete answer that is `message` alone: 429 with
    /// Retry-After for a call refused by a rate limit (`RATE_LIMITED`, in every
    /// revision; its `data.retryAfter` seconds, at least 1); in revisions that
    /// map error codes to statuses (2026-07-28), the error's status; else 200.
    pub fn alone_status(&self, message: &[u8]) -> AloneStatus {
        const OK: AloneStatus = AloneStatus {
            status: 200,
            retry_after: None,
        };
        if jsonrpc::is_result(message) {
            return OK;
        }
        #[derive(Deserialize)]
        struct Data {
            #[serde(rename = "retryAfter")]
            retry_after: Option<f64>,
        }
        #[derive(Deserialize)]
        struct Code {
            code: i32,
            data: Option<Data>,
        }
        #[derive(Deserialize)]
        struct ErrorOnly {
            error: Option<Code>,
        }
        let Ok(ErrorOnly { error: Some(error) }) = serde_json::from_slice::<ErrorOnly>(message)
        else {
            return OK;
        };
        if error.code == jsonrpc::RATE_LIMITED {
            let wait = error.data.and_then(|d| d.retry_after).unwrap_or(1.0);
            return AloneStatus {
                status: 429,
                retry_after: Some(wait.ceil().max(1.0) as u64),
            };
        }
        if self.revision.error_statuses {
            return AloneStatus {
                status: revision::error_status(error.code),
                retry_after: None,
            };
        }
        OK
    }

    /// The body once every call's message is known, in the posted order.
    pub fn finish(&self, call_messages: Vec<Vec<u8>>) -> Vec<u8> {
        let mut results = call_messages.into_iter();
        let messages: Vec<Vec<u8>> = self
            .slots
            .iter()
            .map(|slot| match slot {
                Slot::Ready(m) => m.clone(),
                Slot::Pending => results.next().unwrap_or_default(),
            })
            .collect();
        match self.format {
            Format::Json => jsonrpc::join(&messages, self.batch),
            // An empty message (a cancelled call) is no event.
            Format::EventStream => messages
                .iter()
                .filter(|m| !m.is_empty())
                .flat_map(|m| sse::event(m, None))
                .collect(),
        }
    }

    /// Each message of the answer on its own (ready ones, then the calls'), for
    /// transports that send messages one by one.
    pub fn messages(&self, call_messages: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let mut results = call_messages.into_iter();
        self.slots
            .iter()
            .map(|slot| match slot {
                Slot::Ready(m) => m.clone(),
                Slot::Pending => results.next().unwrap_or_default(),
            })
            .filter(|m| !m.is_empty())
            .collect()
    }

    /// Answers that need no user code, to send first on a stream.
    pub fn ready_messages(&self) -> impl Iterator<Item = &[u8]> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Ready(m) => Some(m.as_slice()),
            Slot::Pending => None,
        })
    }

    /// `ready_messages` as event-stream events.
    pub fn ready_events(&self) -> Vec<u8> {
        self.ready_messages()
            .flat_map(|m| sse::event(m, None))
            .collect()
    }

    /// Headers of the answer as a stream that may stay open.
    pub fn response_headers(&self) -> Vec<(&'static str, String)> {
        self.headers_with(match self.format {
            Format::Json => vec![("content-type", "application/json".into())],
            Format::EventStream => http::stream_headers(),
        })
    }

    /// Headers of the answer sent as one complete body (with its length). An
    /// event stream's anti-buffering headers are left out: they only matter
    /// while a stream is open, and each costs the ASGI server a header's work.
    pub fn complete_headers(&self) -> Vec<(&'static str, String)> {
        self.headers_with(vec![(
            "content-type",
            match self.format {
                Format::Json => "application/json",
                Format::EventStream => "text/event-stream",
            }
            .into(),
        )])
    }

    fn headers_with(
        &self,
        mut headers: Vec<(&'static str, String)>,
    ) -> Vec<(&'static str, String)> {
        if let Some(id) = &self.session_id {
            headers.push((session::HEADER, id.clone()));
        }
        headers
    }
}

#[derive(Deserialize, Default)]
struct Meta<'a> {
    #[serde(borrow, rename = "progressToken", default)]
    progress_token: Option<&'a RawValue>,
    /// Trace Context keys, unprefixed as SEP-414 allows; raw, so that a value
    /// of another type is ignored rather than failing the request.
    #[serde(borrow, default)]
    traceparent: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tracestate: Option<&'a RawValue>,
}

/// A raw JSON string's text; None for any other JSON value.
fn text(raw: &RawValue) -> Option<String> {
    serde_json::from_str(raw.get()).ok()
}

impl Meta<'_> {
    /// Copies what a call keeps of `_meta` onto it.
    fn apply(self, call: &mut Call) {
        call.progress_token = self.progress_token.map(|t| t.get().to_string());
        call.traceparent = self.traceparent.and_then(text);
        call.tracestate = self.tracestate.and_then(text);
    }
}

#[derive(Deserialize)]
struct NamedParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(borrow, rename = "_meta", default)]
    meta: Option<Meta<'a>>,
    #[serde(borrow, rename = "inputResponses", default)]
    input_responses: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestState", default)]
    request_state: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ReadParams<'a> {
    #[serde(borrow)]
    uri: Cow<'a, str>,
    #[serde(borrow, rename = "_meta", default)]
    meta: Option<Meta<'a>>,
    #[serde(borrow, rename = "inputResponses", default)]
    input_responses: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestState", default)]
    request_state: Option<Cow<'a, str>>,
}

/// tasks/get, tasks/update, tasks/cancel: the rest of params is the Python layer's to read.
#[derive(Deserialize)]
struct TaskParams<'a> {
    #[serde(borrow, rename = "taskId")]
    _task_id: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
struct ListParams<'a> {
    #[serde(borrow, default)]
    cursor: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct CompleteParams<'a> {
    #[serde(borrow, rename = "ref")]
    reference: Reference<'a>,
    #[serde(borrow)]
    #[allow(dead_code)] // required by the schema; the handler reads it from the raw params
    argument: &'a RawValue,
    #[serde(skip)]
    raw: &'a str,
}

#[derive(Deserialize)]
struct InitializeParams<'a> {
    #[serde(borrow, rename = "protocolVersion")]
    protocol_version: Cow<'a, str>,
}

#[derive(Deserialize)]
struct CancelledParams<'a> {
    #[serde(borrow, rename = "requestId")]
    request_id: &'a RawValue,
}

#[derive(Deserialize)]
struct SetLevelParams<'a> {
    #[serde(borrow)]
    level: Cow<'a, str>,
}

/// Syslog severities, as MCP's logging uses them.
pub const LOG_LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

fn parse_params<'a, T: Deserialize<'a>>(
    method: &str,
    raw: Option<&'a RawValue>,
) -> Result<T, RpcError> {
    let text = raw.map(RawValue::get).unwrap_or("{}");
    serde_json::from_str(text)
        .map_err(|e| RpcError::invalid_params(format!("Invalid params for {method}: {e}")))
}

fn object_or_empty(raw: Option<&RawValue>, what: &str) -> Result<String, RpcError> {
    match raw {
        None => Ok("{}".to_string()),
        Some(r) if r.get().starts_with('{') => Ok(r.get().to_string()),
        Some(r) if r.get() == "null" => Ok("{}".to_string()),
        Some(_) => Err(RpcError::invalid_params(format!(
            "Invalid params: \"{what}\" must be an object"
        ))),
    }
}

fn resource_not_found(revision: &Revision, uri: &str) -> RpcError {
    RpcError::new(
        revision.resource_not_found,
        format!("Resource not found: {uri}"),
    )
    .with_data(json!({ "uri": uri }).to_string())
}

/// What the engine knows about who is asking, beyond the request itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// Handles of what the caller may not see in list results.
    pub hidden: &'a [usize],
    /// The request belongs to a session (stateful transports): resource
    /// subscriptions are kept and list changes announced.
    pub sessions: bool,
}

// A Step is matched as soon as it is made, on the stack: boxing the Call
// would cost an allocation per tools/call.
#[allow(clippy::large_enum_variant)]
enum Step {
    Answer(Result<String, RpcError>),
    Call(Call),
}

impl Engine {
    /// An engine serving as `info`, with an empty catalog.
    pub fn new(info: ServerInfo, options: Options) -> Engine {
        Engine {
            info,
            options,
            ..Default::default()
        }
    }

    /// One request to the Streamable HTTP endpoint. `body` is empty for methods other than POST.
    pub fn handle(
        &self,
        method: &str,
        headers: &Headers,
        body: &[u8],
        hidden: &[usize],
    ) -> Outcome {
        if let Err(refused) = self.options.hosts.check(headers.host, headers.origin) {
            return Outcome::Respond(refused);
        }
        match method {
            "POST" => self.handle_post(
                headers,
                body,
                Caller {
                    hidden,
                    sessions: false,
                },
            ),
            // Stateless: no server-initiated stream to open and no session to end.
            _ => Outcome::Respond(Response::method_not_allowed("POST")),
        }
    }

    /// One request to the endpoint of the stateful Streamable HTTP transport.
    /// `lookup` is what the session store knew of the request's Mcp-Session-Id,
    /// `path` the path the request came to and `seed` random bytes for a new
    /// session's id. Returns the outcome and, after a successful initialize,
    /// the session to create before answering.
    // `handle`'s arguments and the three a session adds, as the bindings pass them.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_stateful(
        &self,
        method: &str,
        headers: &Headers,
        body: &[u8],
        lookup: Lookup,
        path: &str,
        seed: &[u8],
        hidden: &[usize],
    ) -> (Outcome, Option<NewSession>) {
        let caller = Caller {
            hidden,
            sessions: true,
        };
        let respond = |r: Response| (Outcome::Respond(r), None);
        if let Err(refused) = self.options.hosts.check(headers.host, headers.origin) {
            return respond(refused);
        }
        if headers.session_id.is_some_and(|id| !session::valid_id(id)) {
            return respond(session::invalid_id());
        }
        let known = session::require(lookup, headers.session_id, path);
        match method {
            "POST" => {}
            "GET" => {
                if let Err(r) = http::accepts_stream(headers) {
                    return respond(r);
                }
                if let Err(r) = known {
                    return respond(r);
                }
                if let Some(id) = headers.last_event_id {
                    if session::parse_event_id(id).is_none() {
                        return respond(session::invalid_event_id(id));
                    }
                }
                return respond(Response {
                    status: 200,
                    headers: http::stream_headers(),
                    body: Vec::new(),
                });
            }
            "DELETE" => {
                return respond(match known {
                    Ok(_) => Response::empty(200),
                    Err(r) => r,
                })
            }
            _ => return respond(Response::method_not_allowed("GET, POST, DELETE")),
        }
        let format = match http::negotiate(headers, self.options.json_response) {
            Ok(f) => f,
            Err(r) => return respond(r),
        };
        let revision = match (headers.protocol_version, &known) {
            (None, Ok(version)) => *version,
            _ => match http::request_revision(headers, body) {
                Ok(r) => r,
                Err(r) => return respond(r),
            },
        };
        let parsed = match jsonrpc::parse_body(body) {
            Ok(b) => b,
            Err(e) => return respond(Response::rpc_error(400, &e)),
        };
        if !revision.handshake {
            // 2026-07-28 has no sessions: such requests are served statelessly on the same endpoint.
            return (
                self.stateless_post(format, revision, headers, parsed, caller),
                None,
            );
        }
        let initialize = match &parsed {
            Body::Single(Message::Request { method, params, .. }) if method == "initialize" => {
                Some(
                    parse_params::<InitializeParams>(method, *params)
                        .map(|p| revision::negotiate(&p.protocol_version)),
                )
            }
            _ => None,
        };
        match initialize {
            // A new session, whatever header came along: initialize always opens one.
            Some(Ok(negotiated)) => {
                let id = match session::mint(seed) {
                    Ok(id) => id,
                    Err(e) => {
                        return respond(Response::rpc_error(
                            500,
                            &RpcError::new(jsonrpc::INTERNAL_ERROR, format!("Internal error: {e}")),
                        ))
                    }
                };
                let mut outcome = self.handshake_post(format, revision, parsed, caller);
                match &mut outcome {
                    Outcome::Respond(r) => r.headers.push((session::HEADER, id.clone())),
                    Outcome::Run(p) => p.session_id = Some(id.clone()),
                }
                (
                    outcome,
                    Some(NewSession {
                        id,
                        version: negotiated.version,
                    }),
                )
            }
            // Bad initialize params: answered with the error, no session.
            Some(Err(_)) => (self.handshake_post(format, revision, parsed, caller), None),
            None => match known {
                Ok(_) => (self.handshake_post(format, revision, parsed, caller), None),
                Err(r) => respond(r),
            },
        }
    }

    /// GET `<base>/sse` of the HTTP+SSE transport (2024-11-05): opens a
    /// session whose messages flow on this stream. Returns the stream's
    /// response head and, when accepted, the new session id.
    pub fn open_sse(&self, headers: &Headers, seed: &[u8]) -> (Response, Option<String>) {
        if let Err(refused) = self.options.hosts.check(headers.host, headers.origin) {
            return (refused, None);
        }
        if headers.accept.is_some() {
            if let Err(r) = http::accepts_stream(headers) {
                return (r, None);
            }
        }
        match session::mint(seed) {
            Ok(id) => (
                Response {
                    status: 200,
                    headers: http::stream_headers(),
                    body: Vec::new(),
                },
                Some(id),
            ),
            Err(e) => (
                Response::rpc_error(
                    500,
                    &RpcError::new(jsonrpc::INTERNAL_ERROR, format!("Internal error: {e}")),
                ),
                None,
            ),
        }
    }

    /// POST `<base>/messages/?session_id=...` of the HTTP+SSE transport. Every
    /// answer goes to the session's stream, so a plan's format is always JSON
    /// and the POST itself gets 202. Returns the outcome and the revision an
    /// initialize in it negotiated.
    pub fn handle_sse_post(
        &self,
        headers: &Headers,
        body: &[u8],
        session_id: Option<&str>,
        lookup: Lookup,
        path: &str,
        hidden: &[usize],
    ) -> (Outcome, Option<&'static str>) {
        let caller = Caller {
            hidden,
            sessions: true,
        };
        let respond = |r: Response| (Outcome::Respond(r), None);
        if let Err(refused) = self.options.hosts.check(headers.host, headers.origin) {
            return respond(refused);
        }
        let Some(id) = session_id else {
            return respond(Response::rpc_error(
                400,
                &RpcError::new(
                    INVALID_REQUEST,
                    "Bad Request: the session_id query parameter is required",
                ),
            ));
        };
        if !session::valid_id(id) {
            return respond(Response::rpc_error(
                400,
                &RpcError::new(
                    INVALID_REQUEST,
                    "Bad Request: session_id must be 1 to 128 visible ASCII characters",
                ),
            ));
        }
        let revision = match session::require(lookup, Some(id), path) {
            Ok(r) => r,
            Err(r) => return respond(r),
        };
        if let Err(r) = http::negotiate(headers, true) {
            return respond(r);
        }
        let parsed = match jsonrpc::parse_body(body) {
            Ok(b) => b,
            Err(e) => return respond(Response::rpc_error(400, &e)),
        };
        let negotiated = match &parsed {
            Body::Single(Message::Request { method, params, .. }) if method == "initialize" => {
                parse_params::<InitializeParams>(method, *params)
                    .ok()
                    .map(|p| revision::negotiate(&p.protocol_version).version)
            }
            _ => None,
        };
        (
            self.handshake_post(Format::Json, revision, parsed, caller),
            negotiated,
        )
    }

    fn handle_post(&self, headers: &Headers, body: &[u8], caller: Caller) -> Outcome {
        let format = match http::negotiate(headers, self.options.json_response) {
            Ok(f) => f,
            Err(r) => return Outcome::Respond(r),
        };
        let revision = match http::request_revision(headers, body) {
            Ok(r) => r,
            Err(r) => return Outcome::Respond(r),
        };
        let parsed = match jsonrpc::parse_body(body) {
            Ok(b) => b,
            Err(e) => return Outcome::Respond(Response::rpc_error(400, &e)),
        };
        if revision.handshake {
            self.handshake_post(format, revision, parsed, caller)
        } else {
            self.stateless_post(format, revision, headers, parsed, caller)
        }
    }

    /// 2026-07-28: one request (or notification) per POST, each carrying its envelope.
    fn stateless_post(
        &self,
        format: Format,
        revision: &'static Revision,
        headers: &Headers,
        body: Body,
        caller: Caller,
    ) -> Outcome {
        let message = match body {
            Body::Single(m) => m,
            Body::Batch(_) => {
                return Outcome::Respond(Response::rpc_error(
                    400,
                    &RpcError::new(INVALID_REQUEST, format!("Invalid Request: the body must be a single JSON-RPC request or notification in protocol revision {}", revision.version)),
                ))
            }
        };
        let (id, method, params) = match message {
            Message::Request { id, method, params } => (id, method, params),
            // Cancellation is closing the response stream; notifications are acknowledged and dropped.
            Message::Notification { .. } => return Outcome::Respond(Response::empty(202)),
            Message::Response { id, .. } => {
                let e = RpcError::new(INVALID_REQUEST, format!("Invalid Request: protocol revision {} has no server-to-client requests to answer", revision.version));
                return Outcome::Respond(Response::json(
                    400,
                    jsonrpc::error_message(Some(id.get()), &e),
                ));
            }
            Message::Invalid { id, error } => {
                return Outcome::Respond(Response::json(
                    400,
                    jsonrpc::error_message(id.map(RawValue::get), &error),
                ))
            }
        };
        let routing = RoutingHeaders {
            protocol_version: headers.protocol_version,
            method: headers.mcp_method,
            name: headers.mcp_name,
        };
        let envelope = match envelope::check(&method, params, routing) {
            Ok(e) => e,
            Err(e) => return Outcome::Respond(self.error_response(revision, id.get(), &e)),
        };
        if tasks::is_task_method(&method) && !tasks::declared(&envelope.client_capabilities) {
            let e = tasks::missing_extension(&method);
            return Outcome::Respond(self.error_response(revision, id.get(), &e));
        }
        let mut plan = Plan {
            format,
            revision,
            batch: false,
            slots: Vec::with_capacity(1),
            calls: Vec::with_capacity(1),
            cancels: Vec::new(),
            replies: Vec::new(),
            session_id: None,
        };
        match self.dispatch(revision, &method, params, caller) {
            Step::Answer(Ok(result)) => plan.slots.push(Slot::Ready(jsonrpc::result_message(
                id.get(),
                &self.stamp(revision, &result),
            ))),
            // Errors the engine finds get their status and a plain JSON body, before any stream is opened.
            Step::Answer(Err(e)) => {
                return Outcome::Respond(self.error_response(revision, id.get(), &e))
            }
            Step::Call(mut call) => {
                call.id = id.get().to_string();
                call.envelope = Some(envelope);
                plan.calls.push(call);
                plan.slots.push(Slot::Pending);
            }
        }
        if plan.calls.is_empty() {
            return Outcome::Respond(Response {
                status: 200,
                headers: plan.complete_headers(),
                body: plan.finish(Vec::new()),
            });
        }
        Outcome::Run(plan)
    }

    fn error_response(&self, revision: &Revision, id: &str, error: &RpcError) -> Response {
        let status = if revision.error_statuses {
            revision::error_status(error.code)
        } else {
            200
        };
        Response::json(status, jsonrpc::error_message(Some(id), error))
    }

    /// `resultType` and the serverInfo stamp, for revisions whose results carry them.
    pub fn stamp(&self, revision: &Revision, result: &str) -> String {
        self.stamp_as(revision, result, "complete")
    }

    pub fn stamp_as(&self, revision: &Revision, result: &str, result_type: &str) -> String {
        if revision.stamped_results {
            envelope::stamp(result, result_type, &self.server_info_json(revision))
        } else {
            result.to_string()
        }
    }

    /// The `serverInfo` object as JSON text, as `revision` knows it. Every
    /// stamped result carries it, so it is written once (per form) and shared.
    pub fn server_info_json(&self, revision: &Revision) -> Arc<str> {
        let with_title = revision.knows_field("title");
        self.stamps[usize::from(with_title)]
            .get_or_init(|| {
                let mut out =
                    Vec::with_capacity(48 + self.info.name.len() + self.info.version.len());
                out.extend_from_slice(b"{\"name\":");
                serde_json::to_writer(&mut out, &self.info.name).expect("strings serialise");
                if let (Some(title), true) = (&self.info.title, with_title) {
                    out.extend_from_slice(b",\"title\":");
                    serde_json::to_writer(&mut out, title).expect("strings serialise");
                }
                out.extend_from_slice(b",\"version\":");
                serde_json::to_writer(&mut out, &self.info.version).expect("strings serialise");
                out.push(b'}');
                String::from_utf8(out)
                    .expect("serde_json writes UTF-8")
                    .into()
            })
            .clone()
    }

    /// Handshake-era revisions: batches where allowed, notifications, client responses.
    fn handshake_post(
        &self,
        format: Format,
        revision: &'static Revision,
        body: Body,
        caller: Caller,
    ) -> Outcome {
        let (messages, batch) = match body {
            Body::Single(m) => (vec![m], false),
            Body::Batch(ms) => {
                let has_initialize = ms.iter().any(
                    |m| matches!(m, Message::Request { method, .. } if method == "initialize"),
                );
                if !revision.batching || has_initialize {
                    let why = if has_initialize {
                        "initialize must not be part of a batch".to_string()
                    } else {
                        format!(
                            "batches are not supported in protocol revision {}",
                            revision.version
                        )
                    };
                    return Outcome::Respond(Response::rpc_error(
                        400,
                        &RpcError::new(INVALID_REQUEST, format!("Invalid Request: {why}")),
                    ));
                }
                (ms, true)
            }
        };
        if let [Message::Invalid { id, error }] = messages.as_slice() {
            return Outcome::Respond(Response::json(
                400,
                jsonrpc::error_message(id.map(RawValue::get), error),
            ));
        }

        // Sized for the usual post, one request: no growing on push.
        let n = messages.len();
        let mut plan = Plan {
            format,
            revision,
            batch,
            slots: Vec::with_capacity(n),
            calls: Vec::with_capacity(n),
            cancels: Vec::new(),
            replies: Vec::new(),
            session_id: None,
        };
        for message in messages {
            match message {
                Message::Request { id, method, params } => {
                    match self.dispatch(revision, &method, params, caller) {
                        Step::Answer(Ok(result)) => plan
                            .slots
                            .push(Slot::Ready(jsonrpc::result_message(id.get(), &result))),
                        Step::Answer(Err(e)) => plan
                            .slots
                            .push(Slot::Ready(jsonrpc::error_message(Some(id.get()), &e))),
                        Step::Call(mut call) => {
                            call.id = id.get().to_string();
                            plan.calls.push(call);
                            plan.slots.push(Slot::Pending);
                        }
                    }
                }
                Message::Notification { method, params } => {
                    if method == "notifications/cancelled" && revision.cancel_notifications {
                        if let Ok(p) = parse_params::<CancelledParams>(&method, params) {
                            plan.cancels.push(p.request_id.get().to_string());
                        }
                    }
                }
                Message::Response { id, outcome } => plan.replies.push(Reply {
                    id: id.get().to_string(),
                    outcome: outcome
                        .map(|r| r.get().to_string())
                        .map_err(|e| e.get().to_string()),
                }),
                Message::Invalid { id, error } => plan.slots.push(Slot::Ready(
                    jsonrpc::error_message(id.map(RawValue::get), &error),
                )),
            }
        }
        if plan.slots.is_empty() && plan.cancels.is_empty() && plan.replies.is_empty() {
            // Only notifications and responses: accepted, nothing to say.
            return Outcome::Respond(Response::empty(202));
        }
        if plan.calls.is_empty() && plan.cancels.is_empty() && plan.replies.is_empty() {
            return Outcome::Respond(Response {
                status: 200,
                headers: plan.complete_headers(),
                body: plan.finish(Vec::new()),
            });
        }
        Outcome::Run(plan)
    }

    fn dispatch(
        &self,
        revision: &'static Revision,
        method: &str,
        raw: Option<&RawValue>,
        caller: Caller,
    ) -> Step {
        let answer = |r: Result<String, RpcError>| Step::Answer(r);
        if !revision.has_method(method) {
            return answer(Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!(
                    "Method not found: {method} (protocol revision {})",
                    revision.version
                ),
            )));
        }
        match method {
            "server/discover" => answer(Ok(self.discover_result(revision))),
            "subscriptions/listen" => Step::Call(self.call(
                Kind::Listen,
                0,
                String::new(),
                raw.map(RawValue::get).unwrap_or("{}").to_string(),
                revision,
            )),
            "initialize" => answer(parse_params::<InitializeParams>(method, raw).map(|p| {
                self.initialize_with(revision::negotiate(&p.protocol_version), caller.sessions)
            })),
            "ping" => answer(Ok("{}".into())),
            "tools/list" => answer(self.list(Kind::Tool, revision, method, raw, caller.hidden)),
            "resources/list" => {
                answer(self.list(Kind::Resource, revision, method, raw, caller.hidden))
            }
            "resources/templates/list" => {
                answer(self.list(Kind::Template, revision, method, raw, caller.hidden))
            }
            "prompts/list" => answer(self.list(Kind::Prompt, revision, method, raw, caller.hidden)),
            "completion/complete" => {
                match parse_params::<CompleteParams>(method, raw).and_then(|mut p| {
                    p.raw = raw.map(RawValue::get).unwrap_or("{}");
                    self.complete_call(p, revision)
                }) {
                    Ok(call) => Step::Call(call),
                    Err(e) => answer(Err(e)),
                }
            }
            // In a session the Python layer keeps the URI and sends updates on the
            // session's stream; without one there is nothing to keep, so the
            // request is acknowledged (the resource must exist).
            "resources/subscribe" | "resources/unsubscribe" => {
                match parse_params::<ReadParams>(method, raw) {
                    Err(e) => answer(Err(e)),
                    Ok(p) if self.catalog.find_resource(&p.uri).is_none() => {
                        answer(Err(resource_not_found(revision, &p.uri)))
                    }
                    Ok(p) if caller.sessions => {
                        let kind = if method == "resources/subscribe" {
                            Kind::Subscribe
                        } else {
                            Kind::Unsubscribe
                        };
                        Step::Call(self.call(
                            kind,
                            0,
                            p.uri.into_owned(),
                            "{}".to_string(),
                            revision,
                        ))
                    }
                    Ok(_) => answer(Ok("{}".to_string())),
                }
            }
            "tools/call" | "prompts/get" => {
                let kind = if method == "tools/call" {
                    Kind::Tool
                } else {
                    Kind::Prompt
                };
                match parse_params::<NamedParams>(method, raw)
                    .and_then(|p| self.named_call(kind, p, revision))
                {
                    Ok(call) => Step::Call(call),
                    Err(e) => answer(Err(e)),
                }
            }
            "tasks/get" | "tasks/update" | "tasks/cancel" => {
                match parse_params::<TaskParams>(method, raw) {
                    Ok(_) => Step::Call(self.call(
                        Kind::Task,
                        0,
                        method.to_string(),
                        raw.map(RawValue::get).unwrap_or("{}").to_string(),
                        revision,
                    )),
                    Err(e) => answer(Err(e)),
                }
            }
            "resources/read" => match parse_params::<ReadParams>(method, raw)
                .and_then(|p| self.read_call(p, revision))
            {
                Ok(call) => Step::Call(call),
                Err(e) => answer(Err(e)),
            },
            "logging/setLevel" => {
                answer(parse_params::<SetLevelParams>(method, raw).and_then(|p| {
                    if LOG_LEVELS.contains(&p.level.as_ref()) {
                        Ok("{}".into())
                    } else {
                        Err(RpcError::invalid_params(format!(
                            "Invalid params: unknown log level {:?} (use one of {})",
                            p.level,
                            LOG_LEVELS.join(", ")
                        )))
                    }
                }))
            }
            _ => answer(Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("Method not found: {method}"),
            ))),
        }
    }

    fn list(
        &self,
        kind: Kind,
        revision: &Revision,
        method: &str,
        raw: Option<&RawValue>,
        hidden: &[usize],
    ) -> Result<String, RpcError> {
        let p = parse_params::<ListParams>(method, raw)?;
        let list = self
            .catalog
            .list(
                kind,
                revision,
                p.cursor.as_deref(),
                self.options.page_size,
                hidden,
            )
            .map_err(RpcError::invalid_params)?;
        // The stamp (resultType, serverInfo) is added where every answer of the revision gets it (stateless_post).
        Ok(if revision.stamped_results {
            self.with_cache_hints(&list)
        } else {
            list.into_owned()
        })
    }

    fn with_cache_hints(&self, result: &str) -> String {
        let scope = if self.options.cache_public {
            "public"
        } else {
            "private"
        };
        let rest = result.trim_start().strip_prefix('{').unwrap_or("}");
        let sep = if rest.trim_start().starts_with('}') {
            ""
        } else {
            ","
        };
        format!(
            "{{\"ttlMs\":{},\"cacheScope\":\"{scope}\"{sep}{rest}",
            self.options.cache_ttl_ms
        )
    }

    fn discover_result(&self, revision: &Revision) -> String {
        let mut result = json!({
            "supportedVersions": serde_json::from_str::<Value>(&revision::supported_json()).expect("valid JSON"),
            "capabilities": self.capabilities(revision, false),
        });
        if let Some(instructions) = &self.info.instructions {
            result["instructions"] = json!(instructions);
        }
        self.with_cache_hints(&result.to_string())
    }

    fn call(
        &self,
        kind: Kind,
        handle: usize,
        target: String,
        arguments: String,
        revision: &'static Revision,
    ) -> Call {
        Call {
            id: String::new(),
            kind,
            handle,
            target,
            arguments,
            variables: Vec::new(),
            progress_token: None,
            traceparent: None,
            tracestate: None,
            revision,
            envelope: None,
            input_responses: None,
            request_state: None,
        }
    }

    /// completion/complete names a prompt or resource template; the Python side
    /// runs the server's completion handler with the raw params.
    fn complete_call(
        &self,
        p: CompleteParams,
        revision: &'static Revision,
    ) -> Result<Call, RpcError> {
        let known = match (
            p.reference.kind.as_ref(),
            &p.reference.name,
            &p.reference.uri,
        ) {
            ("ref/prompt", Some(name), _) => self.catalog.lookup(Kind::Prompt, name).is_some(),
            ("ref/resource", _, Some(uri)) => {
                self.catalog.lookup(Kind::Template, uri).is_some()
                    || self.catalog.lookup(Kind::Resource, uri).is_some()
            }
            (other, _, _) => {
                return Err(RpcError::invalid_params(format!(
                    "Invalid params: unknown reference type {other:?} (ref/prompt or ref/resource)"
                )))
            }
        };
        let target = p
            .reference
            .name
            .as_deref()
            .or(p.reference.uri.as_deref())
            .unwrap_or_default()
            .to_string();
        if !known {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: no prompt or resource template {target:?} to complete"
            )));
        }
        Ok(self.call(Kind::Completion, 0, target, p.raw.to_string(), revision))
    }

    fn named_call(
        &self,
        kind: Kind,
        p: NamedParams,
        revision: &'static Revision,
    ) -> Result<Call, RpcError> {
        let handle = self.catalog.lookup(kind, &p.name).ok_or_else(|| {
            RpcError::invalid_params(format!("Unknown {}: {}", kind.name(), p.name))
        })?;
        let mut call = self.call(
            kind,
            handle,
            p.name.into_owned(),
            object_or_empty(p.arguments, "arguments")?,
            revision,
        );
        if let Some(meta) = p.meta {
            meta.apply(&mut call);
        }
        call.input_responses = p.input_responses.map(|r| r.get().to_string());
        call.request_state = p.request_state.map(Cow::into_owned);
        Ok(call)
    }

    fn read_call(&self, p: ReadParams, revision: &'static Revision) -> Result<Call, RpcError> {
        let found = self
            .catalog
            .find_resource(&p.uri)
            .ok_or_else(|| resource_not_found(revision, &p.uri))?;
        let mut call = self.call(
            found.kind,
            found.handle,
            p.uri.to_string(),
            "{}".into(),
            revision,
        );
        call.variables = found
            .variables
            .into_iter()
            .map(|(n, v)| (n, v.to_string()))
            .collect();
        if let Some(meta) = p.meta {
            meta.apply(&mut call);
        }
        call.input_responses = p.input_responses.map(|r| r.get().to_string());
        call.request_state = p.request_state.map(Cow::into_owned);
        Ok(call)
    }

    pub fn initialize_result(&self, revision: &Revision) -> String {
        self.initialize_with(revision, false)
    }

    /// The initialize result; `sessions`: the client will have a session, so
    /// resource subscriptions and list changes are offered.
    pub fn initialize_with(&self, revision: &Revision, sessions: bool) -> String {
        let info: Value =
            serde_json::from_str(&self.server_info_json(revision)).expect("valid JSON");
        let mut result = json!({
            "protocolVersion": revision.version,
            "capabilities": self.capabilities(revision, sessions),
            "serverInfo": info,
        });
        if let Some(instructions) = &self.info.instructions {
            result["instructions"] = json!(instructions);
        }
        result.to_string()
    }

    fn capabilities(&self, revision: &Revision, sessions: bool) -> Value {
        // List changes reach 2026-07-28 clients through subscriptions/listen,
        // and handshake-era clients with a session on its GET stream.
        let list_changed = !revision.handshake || sessions;
        let mut capabilities = json!({
            "tools": { "listChanged": list_changed },
            "resources": { "subscribe": sessions && revision.handshake, "listChanged": list_changed },
            "prompts": { "listChanged": list_changed },
            "logging": {},
            "completions": {},
        });
        // Every revision: the extensions' own specifications (MCP Apps among
        // them) have handshake-era clients read this key of initialize too.
        let mut extensions: serde_json::Map<String, Value> = self
            .options
            .extensions
            .iter()
            .map(|(id, settings)| {
                let settings = serde_json::from_str(settings).unwrap_or_else(|_| json!({}));
                (id.clone(), settings)
            })
            .collect();
        // Tasks only for 2026-07-28: handshake revisions have their own tasks that are not offered.
        if self.options.tasks && !revision.handshake {
            extensions.insert(tasks::EXTENSION.to_string(), json!({}));
        }
        if !extensions.is_empty() {
            capabilities["extensions"] = Value::Object(extensions);
        }
        capabilities
    }

    /// GET on the health path. It says the server is up, never what it offers.
    pub fn health(&self, method: &str) -> Response {
        match method {
            "GET" | "HEAD" => Response::json(
                200,
                json!({ "status": "ok", "server": self.info.name, "version": self.info.version })
                    .to_string()
                    .into_bytes(),
            ),
            _ => Response::method_not_allowed("GET, HEAD"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let mut e = Engine::new(
            ServerInfo {
                name: "t".into(),
                title: Some("Test".into()),
                version: "1".into(),
                instructions: Some("hi".into()),
            },
            Options {
                json_response: true,
                ..Default::default()
            },
        );
        e.catalog
            .register(
                Kind::Tool,
                "add",
                7,
                r#"{"name":"add","inputSchema":{"type":"object"}}"#,
            )
            .unwrap();
        e.catalog
            .register(
                Kind::Resource,
                "greeting://{name}",
                3,
                r#"{"uriTemplate":"greeting://{name}","name":"g"}"#,
            )
            .unwrap();
        e
    }

    #[test]
    fn the_server_info_stamp_is_kept_per_form() {
        let e = engine();
        let old = revision::find("2024-11-05").unwrap();
        let new = revision::find("2026-07-28").unwrap();
        // Either order: each form is written once and kept.
        assert_eq!(&*e.server_info_json(old), r#"{"name":"t","version":"1"}"#);
        assert_eq!(
            &*e.server_info_json(new),
            r#"{"name":"t","title":"Test","version":"1"}"#
        );
        assert_eq!(&*e.server_info_json(old), r#"{"name":"t","version":"1"}"#);
        assert!(Arc::ptr_eq(
            &e.server_info_json(new),
            &e.server_info_json(new)
        ));
    }

    fn post<'a>(version: Option<&'a str>) -> Headers<'a> {
        Headers {
            accept: Some("application/json, text/event-stream"),
            content_type: Some("application/json"),
            protocol_version: version,
            ..Default::default()
        }
    }

    fn respond(e: &Engine, body: &str) -> (u16, Value) {
        match e.handle("POST", &post(Some("2025-06-18")), body.as_bytes(), &[]) {
            Outcome::Respond(r) => (
                r.status,
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            ),
            Outcome::Run(_) => panic!("expected a finished response for {body}"),
        }
    }

    fn plan(e: &Engine, version: Option<&str>, body: &str) -> Plan {
        match e.handle("POST", &post(version), body.as_bytes(), &[]) {
            Outcome::Run(p) => p,
            Outcome::Respond(r) => panic!(
                "expected a plan, got {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ),
        }
    }

    #[test]
    fn initialize_negotiates_and_reports_the_server() {
        let (status, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
        );
        assert_eq!(status, 200);
        assert_eq!(v["result"]["protocolVersion"], "2025-06-18");
        assert_eq!(v["result"]["serverInfo"]["title"], "Test");
        assert_eq!(v["result"]["instructions"], "hi");
        let (_, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2099-01-01","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
        );
        assert_eq!(v["result"]["protocolVersion"], "2025-11-25");
    }

    #[test]
    fn a_rate_limited_answer_alone_is_429_with_retry_after_in_every_revision() {
        let e = engine();
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{}}}"#;
        let old = plan(&e, Some("2025-06-18"), call);
        let limited = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"Rate limit exceeded","data":{"retryAfter":2.5}}}"#;
        let without_data =
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"Rate limit exceeded"}}"#;
        let at = |status, retry_after| AloneStatus {
            status,
            retry_after,
        };
        assert_eq!(old.alone_status(limited), at(429, Some(3)));
        assert_eq!(old.alone_status(without_data), at(429, Some(1)));
        // Other errors keep 200 before 2026-07-28; results are always 200.
        let invalid = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"no"}}"#;
        assert_eq!(old.alone_status(invalid), at(200, None));
        let result = br#"{"jsonrpc":"2.0","id":1,"result":{"error":{"code":-32005}}}"#;
        assert_eq!(old.alone_status(result), at(200, None));
    }

    #[test]
    fn a_lone_json_call_is_answered_by_its_own_message() {
        let e = engine();
        let one = plan(
            &e,
            Some("2025-06-18"),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{}}}"#,
        );
        assert_eq!(one.lone_call().map(|c| c.handle), Some(7));
        // A batch, a second request or a cancellation need the general path.
        let batch = plan(
            &e,
            Some("2025-03-26"),
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{}}}]"#,
        );
        assert!(batch.lone_call().is_none());
        let two = plan(
            &e,
            Some("2025-03-26"),
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{}}},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
        );
        assert!(two.lone_call().is_none());
    }

    #[test]
    fn scalar_tool_messages_match_the_general_writer() {
        let cases: [(Scalar, &str, &str); 5] = [
            (Scalar::Int(3), "3", "3"),
            (
                Scalar::Int(-9_007_199_254_740_993),
                "-9007199254740993",
                "-9007199254740993",
            ),
            (Scalar::Bool(true), "true", "true"),
            (Scalar::Bool(false), "false", "false"),
            (
                Scalar::Str("a \"quoted\"\nline é"),
                "a \"quoted\"\nline é",
                r#""a \"quoted\"\nline é""#,
            ),
        ];
        for (value, text, json) in cases {
            for structured in [false, true] {
                let expected = jsonrpc::result_message(
                    "7",
                    &text_tool_result(text, structured.then_some(json), true),
                );
                assert_eq!(
                    String::from_utf8(scalar_tool_message("7", value, structured)).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
    }

    #[test]
    fn text_tool_results_escape_text_and_wrap_structured_values() {
        let v: Value =
            serde_json::from_str(&text_tool_result("a \"quoted\"\nline", Some("3"), true)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"content":[{"type":"text","text":"a \"quoted\"\nline"}],"structuredContent":{"result":3},"isError":false})
        );
        let v: Value =
            serde_json::from_str(&text_tool_result("{}", Some(r#"{"x":1}"#), false)).unwrap();
        assert_eq!(v["structuredContent"], serde_json::json!({"x":1}));
        let v: Value = serde_json::from_str(&text_tool_result("hi", None, false)).unwrap();
        assert!(v.get("structuredContent").is_none());
    }

    #[test]
    fn unknown_methods_are_method_not_found() {
        let (status, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":5,"method":"nope/nope"}"#,
        );
        assert_eq!(status, 200);
        assert_eq!(v["error"]["code"], -32601);
        assert_eq!(v["id"], 5);
    }

    #[test]
    fn extensions_are_advertised_in_initialize_and_discover() {
        let mut e = engine();
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
        assert!(respond(&e, init).1["result"]["capabilities"]
            .get("extensions")
            .is_none());
        e.options.extensions = vec![("io.modelcontextprotocol/ui".into(), "{}".into())];
        assert_eq!(
            respond(&e, init).1["result"]["capabilities"]["extensions"],
            json!({"io.modelcontextprotocol/ui": {}})
        );
        let discovered: Value = serde_json::from_str(&e.discover_result(revision::LATEST)).unwrap();
        assert_eq!(
            discovered["capabilities"]["extensions"],
            json!({"io.modelcontextprotocol/ui": {}})
        );
    }

    #[test]
    fn calls_carry_the_trace_context_of_meta() {
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{},"_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"rojo=1"}}}"#,
        );
        let c = &p.calls[0];
        assert_eq!(
            c.traceparent.as_deref(),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
        assert_eq!(c.tracestate.as_deref(), Some("rojo=1"));
        assert_eq!(c.progress_token, None);
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{},"_meta":{"traceparent":5}}}"#,
        );
        assert_eq!(p.calls[0].traceparent, None);
    }

    #[test]
    fn tool_calls_become_plans() {
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"add","arguments":{"a":1},"_meta":{"progressToken":9}}}"#,
        );
        assert_eq!(p.calls.len(), 1);
        let c = &p.calls[0];
        assert_eq!(
            (c.handle, c.id.as_str(), c.arguments.as_str()),
            (7, "\"x\"", "{\"a\":1}")
        );
        assert_eq!(c.progress_token.as_deref(), Some("9"));
        let body = p.finish(vec![jsonrpc::result_message(&c.id, "{}")]);
        assert_eq!(body, br#"{"jsonrpc":"2.0","id":"x","result":{}}"#);
    }

    #[test]
    fn unknown_tool_and_bad_arguments_are_invalid_params() {
        let (_, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zzz"}}"#,
        );
        assert_eq!(v["error"]["code"], -32602);
        assert!(v["error"]["message"].as_str().unwrap().contains("zzz"));
        let (_, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":[1]}}"#,
        );
        assert_eq!(v["error"]["code"], -32602);
    }

    #[test]
    fn resources_resolve_through_templates() {
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"greeting://ada"}}"#,
        );
        assert_eq!(
            p.calls[0].variables,
            vec![("name".to_string(), "ada".to_string())]
        );
        let (_, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"nope://x"}}"#,
        );
        assert_eq!(v["error"]["code"], -32002);
        assert_eq!(v["error"]["data"]["uri"], "nope://x");
    }

    #[test]
    fn completion_targets_a_known_prompt_or_template() {
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"greeting://{name}"},"argument":{"name":"name","value":"a"}}}"#,
        );
        assert_eq!(
            (p.calls[0].kind, p.calls[0].target.as_str()),
            (Kind::Completion, "greeting://{name}")
        );
        assert!(p.calls[0].arguments.contains("\"value\":\"a\""));
        let (_, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"nope"},"argument":{"name":"x","value":""}}}"#,
        );
        assert_eq!(v["error"]["code"], -32602);
    }

    fn modern<'a>(method: &'a str, name: Option<&'a str>) -> Headers<'a> {
        Headers {
            accept: Some("application/json, text/event-stream"),
            content_type: Some("application/json"),
            protocol_version: Some("2026-07-28"),
            mcp_method: Some(method),
            mcp_name: name,
            ..Default::default()
        }
    }

    const ENVELOPE: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

    #[test]
    fn discover_lists_every_version_with_stamps_and_cache_hints() {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{{{ENVELOPE}}}}}"#
        );
        match engine().handle(
            "POST",
            &modern("server/discover", None),
            body.as_bytes(),
            &[],
        ) {
            Outcome::Respond(r) => {
                let v: Value = serde_json::from_slice(&r.body).unwrap();
                assert_eq!(r.status, 200);
                let versions = v["result"]["supportedVersions"].as_array().unwrap();
                assert!(
                    versions.iter().any(|x| x == "2026-07-28")
                        && versions.iter().any(|x| x == "2024-11-05")
                );
                assert_eq!(v["result"]["resultType"], "complete");
                assert_eq!(
                    v["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
                    "t"
                );
                assert_eq!(v["result"]["ttlMs"], 0);
                assert_eq!(v["result"]["cacheScope"], "private");
                assert_eq!(v["result"]["instructions"], "hi");
            }
            Outcome::Run(_) => panic!(),
        }
    }

    #[test]
    fn answered_results_carry_their_stamp_once() {
        // Counted in the raw body: a parsed Value keeps one of two duplicate keys.
        let e = engine();
        for method in ["tools/list", "resources/list", "server/discover"] {
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{{ENVELOPE}}}}}"#
            );
            match e.handle("POST", &modern(method, None), body.as_bytes(), &[]) {
                Outcome::Respond(r) => {
                    let text = std::str::from_utf8(&r.body).unwrap();
                    assert_eq!(r.status, 200, "{method}: {text}");
                    assert_eq!(
                        text.matches("\"resultType\"").count(),
                        1,
                        "{method}: {text}"
                    );
                    assert_eq!(
                        text.matches("\"io.modelcontextprotocol/serverInfo\"")
                            .count(),
                        1,
                        "{method}: {text}"
                    );
                }
                Outcome::Run(_) => panic!("{method} is answered by the engine"),
            }
        }
    }

    #[test]
    fn stateless_requests_need_their_envelope() {
        let e = engine();
        let no_meta = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;
        match e.handle("POST", &modern("tools/list", None), no_meta.as_bytes(), &[]) {
            Outcome::Respond(r) => {
                assert_eq!(r.status, 400);
                let v: Value = serde_json::from_slice(&r.body).unwrap();
                assert_eq!(v["error"]["code"], -32602);
            }
            Outcome::Run(_) => panic!(),
        }
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{{ENVELOPE}}}}}"#);
        match e.handle("POST", &modern("tools/call", None), body.as_bytes(), &[]) {
            Outcome::Respond(r) => assert_eq!(
                (
                    r.status,
                    serde_json::from_slice::<Value>(&r.body).unwrap()["error"]["code"].clone()
                ),
                (400, json!(-32020))
            ),
            Outcome::Run(_) => panic!(),
        }
    }

    const TASKS_ENVELOPE: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}"#;

    fn task_request(method: &str, envelope: &str, header_name: Option<&str>) -> Outcome {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{"taskId":"t1",{envelope}}}}}"#
        );
        engine().handle("POST", &modern(method, header_name), body.as_bytes(), &[])
    }

    fn refusal(outcome: Outcome) -> (u16, Value) {
        match outcome {
            Outcome::Respond(r) => (r.status, serde_json::from_slice::<Value>(&r.body).unwrap()),
            Outcome::Run(_) => panic!("expected an answer from the engine"),
        }
    }

    #[test]
    fn task_methods_need_the_declared_extension() {
        for method in ["tasks/get", "tasks/update", "tasks/cancel"] {
            let (status, v) = refusal(task_request(method, ENVELOPE, Some("t1")));
            assert_eq!((status, v["error"]["code"].clone()), (400, json!(-32021)));
            assert!(
                v["error"]["data"]["requiredCapabilities"]["extensions"][tasks::EXTENSION]
                    .is_object()
            );
            match task_request(method, TASKS_ENVELOPE, Some("t1")) {
                Outcome::Run(p) => {
                    assert_eq!(
                        (p.calls[0].kind, p.calls[0].target.as_str()),
                        (Kind::Task, method)
                    );
                    assert!(p.calls[0].arguments.contains(r#""taskId":"t1""#));
                }
                Outcome::Respond(r) => panic!("{method}: {}", String::from_utf8_lossy(&r.body)),
            }
        }
    }

    #[test]
    fn task_methods_mirror_the_task_id_in_mcp_name() {
        let (status, v) = refusal(task_request("tasks/get", TASKS_ENVELOPE, Some("other")));
        assert_eq!((status, v["error"]["code"].clone()), (400, json!(-32020)));
        let (_, v) = refusal(task_request("tasks/get", TASKS_ENVELOPE, None));
        assert_eq!(v["error"]["code"], -32020);
    }

    #[test]
    fn the_removed_v1_task_methods_are_unknown() {
        for method in ["tasks/result", "tasks/list"] {
            let (status, v) = refusal(task_request(method, TASKS_ENVELOPE, None));
            assert_eq!((status, v["error"]["code"].clone()), (404, json!(-32601)));
        }
    }

    #[test]
    fn the_extension_is_advertised_when_a_tool_supports_tasks() {
        let mut e = engine();
        let modern = revision::find("2026-07-28").unwrap();
        assert!(e.capabilities(modern, false).get("extensions").is_none());
        e.options.tasks = true;
        assert!(e.capabilities(modern, false)["extensions"][tasks::EXTENSION].is_object());
        assert!(e
            .capabilities(revision::LATEST, true)
            .get("extensions")
            .is_none());
    }

    #[test]
    fn removed_methods_are_404_in_2026() {
        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{{ENVELOPE}}}}}"#);
        match engine().handle("POST", &modern("ping", None), body.as_bytes(), &[]) {
            Outcome::Respond(r) => assert_eq!(r.status, 404),
            Outcome::Run(_) => panic!(),
        }
    }

    #[test]
    fn stateless_calls_carry_the_envelope_and_retry_fields() {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"add","arguments":{{}},"inputResponses":{{"a":{{"action":"accept"}}}},"requestState":"st",{ENVELOPE}}}}}"#
        );
        match engine().handle(
            "POST",
            &modern("tools/call", Some("add")),
            body.as_bytes(),
            &[],
        ) {
            Outcome::Run(p) => {
                let c = &p.calls[0];
                assert_eq!(c.revision.version, "2026-07-28");
                assert_eq!(c.request_state.as_deref(), Some("st"));
                assert_eq!(
                    c.input_responses.as_deref(),
                    Some(r#"{"a":{"action":"accept"}}"#)
                );
                assert!(c.envelope.is_some());
            }
            Outcome::Respond(r) => panic!("{}", String::from_utf8_lossy(&r.body)),
        }
    }

    #[test]
    fn discover_is_unknown_to_handshake_clients() {
        let (_, v) = respond(
            &engine(),
            r#"{"jsonrpc":"2.0","id":1,"method":"server/discover"}"#,
        );
        assert_eq!(v["error"]["code"], -32601);
    }

    #[test]
    fn notifications_only_get_202() {
        match engine().handle(
            "POST",
            &post(None),
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            &[],
        ) {
            Outcome::Respond(r) => assert_eq!((r.status, r.body.len()), (202, 0)),
            Outcome::Run(_) => panic!("nothing to run"),
        }
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}"#,
        );
        assert_eq!(p.cancels, vec!["4"]);
    }

    #[test]
    fn client_responses_are_handed_over_as_replies() {
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":"srv-1","result":{"action":"accept"}}"#,
        );
        assert!(!p.has_responses());
        assert_eq!(
            p.replies,
            vec![Reply {
                id: "\"srv-1\"".into(),
                outcome: Ok(r#"{"action":"accept"}"#.into())
            }]
        );
        let p = plan(
            &engine(),
            None,
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"no"}}"#,
        );
        assert!(p.replies[0].outcome.is_err());
    }

    #[test]
    fn batches_only_where_the_revision_allows() {
        let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add"}}]"#;
        let p = plan(&engine(), Some("2025-03-26"), batch);
        let body = p.finish(vec![jsonrpc::result_message("2", "{}")]);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v[0]["id"], 1);
        assert_eq!(v[1]["id"], 2);
        match engine().handle("POST", &post(Some("2025-06-18")), batch.as_bytes(), &[]) {
            Outcome::Respond(r) => assert_eq!(r.status, 400),
            Outcome::Run(_) => panic!("batch must be refused"),
        }
    }

    #[test]
    fn an_event_stream_body_leaves_out_empty_answers() {
        let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add"}}]"#;
        let mut p = plan(&engine(), Some("2025-03-26"), batch);
        p.format = Format::EventStream;
        // The call was cancelled: its message is empty, and only the ping is answered.
        let body = String::from_utf8(p.finish(vec![Vec::new()])).unwrap();
        assert_eq!(
            body,
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"
        );
    }

    #[test]
    fn malformed_json_is_400_parse_error() {
        let (status, v) = respond(&engine(), "{not json");
        assert_eq!(status, 400);
        assert_eq!(v["error"]["code"], -32700);
    }

    #[test]
    fn get_is_not_allowed_when_stateless() {
        match engine().handle("GET", &post(None), b"", &[]) {
            Outcome::Respond(r) => {
                assert_eq!(r.status, 405);
                assert!(r.headers.contains(&("allow", "POST".to_string())));
            }
            Outcome::Run(_) => panic!(),
        }
    }

    #[test]
    fn event_stream_frames_every_message() {
        let mut e = engine();
        e.options.json_response = false;
        match e.handle(
            "POST",
            &post(None),
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            &[],
        ) {
            Outcome::Respond(r) => {
                // One complete body: no anti-buffering headers, which only a stream held open needs.
                assert_eq!(
                    r.headers,
                    vec![("content-type", "text/event-stream".to_string())]
                );
                assert_eq!(
                    r.body,
                    b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"
                );
            }
            Outcome::Run(_) => panic!(),
        }
    }

    #[test]
    fn a_complete_body_keeps_only_its_type_and_session() {
        let mut p = plan(
            &engine(),
            Some("2025-06-18"),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}}"#,
        );
        p.format = Format::EventStream;
        let streamed = p.response_headers();
        assert!(streamed.contains(&("x-accel-buffering", "no".to_string())));
        assert!(streamed.contains(&("cache-control", "no-cache, no-transform".to_string())));
        assert_eq!(
            p.complete_headers(),
            vec![("content-type", "text/event-stream".to_string())]
        );
        p.session_id = Some("abc".into());
        assert_eq!(
            p.complete_headers(),
            vec![
                ("content-type", "text/event-stream".to_string()),
                (session::HEADER, "abc".to_string())
            ]
        );
        p.format = Format::Json;
        assert_eq!(p.complete_headers(), p.response_headers());
    }

    fn stateful<'a>(
        e: &Engine,
        method: &str,
        headers: &Headers<'a>,
        body: &str,
        lookup: Lookup<'a>,
    ) -> (Outcome, Option<NewSession>) {
        e.handle_stateful(
            method,
            headers,
            body.as_bytes(),
            lookup,
            "/mcp",
            &[7; 18],
            &[],
        )
    }

    fn status(outcome: &Outcome) -> u16 {
        match outcome {
            Outcome::Respond(r) => r.status,
            Outcome::Run(_) => 0,
        }
    }

    #[test]
    fn initialize_opens_a_session_and_names_it_in_a_header() {
        let e = engine();
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
        let (outcome, created) = stateful(&e, "POST", &post(None), init, Lookup::Absent);
        let created = created.expect("a session to create");
        assert_eq!(created.version, "2025-06-18");
        let Outcome::Respond(r) = outcome else {
            panic!("initialize needs no user code")
        };
        assert!(r.headers.contains(&(session::HEADER, created.id.clone())));
    }

    #[test]
    fn other_requests_need_a_known_session() {
        let e = engine();
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert_eq!(
            status(&stateful(&e, "POST", &post(None), list, Lookup::Absent).0),
            400
        );
        let with_id = Headers {
            session_id: Some("abc"),
            ..post(None)
        };
        assert_eq!(
            status(&stateful(&e, "POST", &with_id, list, Lookup::Unknown).0),
            404
        );
        let v = revision::find("2025-06-18").unwrap();
        let (outcome, created) = stateful(
            &e,
            "POST",
            &with_id,
            list,
            Lookup::Known {
                version: v,
                path: "/mcp",
            },
        );
        assert_eq!(status(&outcome), 200);
        assert!(created.is_none());
        // The session's revision applies when the request names none: 2025-06-18 has no batches.
        let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#;
        assert_eq!(
            status(
                &stateful(
                    &e,
                    "POST",
                    &with_id,
                    batch,
                    Lookup::Known {
                        version: v,
                        path: "/mcp"
                    }
                )
                .0
            ),
            400
        );
    }

    #[test]
    fn get_and_delete_act_on_the_session() {
        let e = engine();
        let v = revision::find("2025-06-18").unwrap();
        let known = Lookup::Known {
            version: v,
            path: "/mcp",
        };
        let get = Headers {
            accept: Some("text/event-stream"),
            session_id: Some("abc"),
            ..Default::default()
        };
        assert_eq!(status(&stateful(&e, "GET", &get, "", known).0), 200);
        assert_eq!(
            status(
                &stateful(
                    &e,
                    "GET",
                    &Headers {
                        accept: Some("application/json"),
                        ..get.clone()
                    },
                    "",
                    known
                )
                .0
            ),
            406
        );
        assert_eq!(
            status(
                &stateful(
                    &e,
                    "GET",
                    &Headers {
                        last_event_id: Some("x"),
                        ..get.clone()
                    },
                    "",
                    known
                )
                .0
            ),
            400
        );
        assert_eq!(status(&stateful(&e, "DELETE", &get, "", known).0), 200);
        assert_eq!(
            status(&stateful(&e, "DELETE", &get, "", Lookup::Unknown).0),
            404
        );
        assert_eq!(status(&stateful(&e, "PUT", &get, "", known).0), 405);
    }

    #[test]
    fn stateless_revisions_need_no_session_on_a_stateful_endpoint() {
        let e = engine();
        let headers = modern("tools/list", None);
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}"#;
        let (outcome, created) = stateful(&e, "POST", &headers, body, Lookup::Absent);
        assert_eq!(status(&outcome), 200);
        assert!(created.is_none());
    }

    #[test]
    fn sessions_keep_resource_subscriptions() {
        let e = engine();
        let v = revision::find("2025-06-18").unwrap();
        let known = Lookup::Known {
            version: v,
            path: "/mcp",
        };
        let with_id = Headers {
            session_id: Some("abc"),
            ..post(None)
        };
        let subscribe = r#"{"jsonrpc":"2.0","id":3,"method":"resources/subscribe","params":{"uri":"greeting://ann"}}"#;
        match stateful(&e, "POST", &with_id, subscribe, known).0 {
            Outcome::Run(plan) => assert_eq!(
                (plan.calls[0].kind, plan.calls[0].target.as_str()),
                (Kind::Subscribe, "greeting://ann")
            ),
            Outcome::Respond(r) => panic!("expected a subscribe call, got {}", r.status),
        }
        // Without a session there is nothing to keep: acknowledged.
        assert_eq!(respond(&e, subscribe).1["result"], json!({}));
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
        let Outcome::Respond(r) = stateful(&e, "POST", &post(None), init, Lookup::Absent).0 else {
            panic!()
        };
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body["result"]["capabilities"]["resources"]["subscribe"],
            json!(true)
        );
        assert_eq!(
            respond(&e, init).1["result"]["capabilities"]["resources"]["subscribe"],
            json!(false)
        );
    }
}
