//! The `django_mcp._core` extension module: thin wrappers that move bytes and
//! strings between Python and the engine. No protocol rules live here.

use django_mcp_core::catalog::Kind;
use django_mcp_core::engine::{self, Options, Outcome, ServerInfo};
use django_mcp_core::http::{self, Format, Headers};
use django_mcp_core::jsonrpc::{self, RpcError};
use django_mcp_core::security::HostPolicy;
use django_mcp_core::session::{self, Lookup};
use django_mcp_core::{args, auth, envelope, revision, route, sse};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::sync::{Arc, RwLock};

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Tool => "tool",
        Kind::Resource => "resource",
        Kind::Template => "template",
        Kind::Prompt => "prompt",
        Kind::Completion => "completion",
        Kind::Listen => "listen",
        Kind::Subscribe => "subscribe",
        Kind::Unsubscribe => "unsubscribe",
    }
}

fn parse_kind(kind: &str) -> PyResult<Kind> {
    Ok(match kind {
        "tool" => Kind::Tool,
        "resource" => Kind::Resource,
        "template" => Kind::Template,
        "prompt" => Kind::Prompt,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown kind {other:?} (tool, resource, template or prompt)"
            )))
        }
    })
}

/// A finished HTTP answer, ready for ASGI.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Response {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    headers: Py<PyList>,
    #[pyo3(get)]
    body: Py<PyBytes>,
}

fn asgi_headers<'py>(py: Python<'py>, headers: &[(&'static str, String)]) -> PyResult<Py<PyList>> {
    let items: Vec<Bound<'py, PyTuple>> = headers
        .iter()
        .map(|(n, v)| {
            PyTuple::new(
                py,
                [
                    PyBytes::new(py, n.as_bytes()),
                    PyBytes::new(py, v.as_bytes()),
                ],
            )
        })
        .collect::<PyResult<_>>()?;
    Ok(PyList::new(py, items)?.unbind())
}

impl Response {
    fn from_engine(py: Python<'_>, r: http::Response) -> PyResult<Response> {
        Ok(Response {
            status: r.status,
            headers: asgi_headers(py, &r.headers)?,
            body: PyBytes::new(py, &r.body).unbind(),
        })
    }
}

/// One user function to run, and how to word its answer.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Call {
    inner: engine::Call,
    /// The request's revision allows `structuredContent`.
    #[pyo3(get)]
    structured: bool,
    /// The serverInfo stamp for revisions whose results carry one.
    server_info: Option<Arc<str>>,
    /// The arguments as keyword arguments, when the function's ArgSpec read
    /// them; None when they need the full validator. A dict of this call's own.
    #[pyo3(get)]
    kwargs: Option<Py<PyDict>>,
}

#[pymethods]
impl Call {
    /// One of a few fixed strings: handed out interned, not made per read.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyString> {
        match self.inner.kind {
            Kind::Tool => pyo3::intern!(py, "tool"),
            Kind::Resource => pyo3::intern!(py, "resource"),
            Kind::Template => pyo3::intern!(py, "template"),
            Kind::Prompt => pyo3::intern!(py, "prompt"),
            Kind::Completion => pyo3::intern!(py, "completion"),
            Kind::Listen => pyo3::intern!(py, "listen"),
            Kind::Subscribe => pyo3::intern!(py, "subscribe"),
            Kind::Unsubscribe => pyo3::intern!(py, "unsubscribe"),
        }
        .clone()
    }
    #[getter]
    fn handle(&self) -> usize {
        self.inner.handle
    }
    /// The request id as raw JSON text.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }
    #[getter]
    fn target(&self) -> &str {
        &self.inner.target
    }
    /// The arguments object as raw JSON text.
    #[getter]
    fn arguments(&self) -> &str {
        &self.inner.arguments
    }
    #[getter]
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.inner.variables {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
    #[getter]
    fn progress_token(&self) -> Option<&str> {
        self.inner.progress_token.as_deref()
    }
    /// `_meta.traceparent` of the request (W3C Trace Context), if any.
    #[getter]
    fn traceparent(&self) -> Option<&str> {
        self.inner.traceparent.as_deref()
    }
    #[getter]
    fn tracestate(&self) -> Option<&str> {
        self.inner.tracestate.as_deref()
    }
    #[getter]
    fn protocol_version(&self) -> &'static str {
        self.inner.revision.version
    }
    /// Server-to-client requests may go on the response stream (handshake era);
    /// otherwise they become an input_required result.
    #[getter]
    fn server_requests(&self) -> bool {
        self.inner.revision.server_requests
    }
    /// Log notifications need the request's opt-in level (2026-07-28).
    #[getter]
    fn log_opt_in(&self) -> bool {
        self.inner.revision.log_opt_in
    }
    /// Results of this revision carry cache hints where the schema makes them
    /// cacheable (resources/read in 2026-07-28).
    #[getter]
    fn cacheable(&self) -> bool {
        self.inner.revision.stamped_results
    }
    #[getter]
    fn log_level(&self) -> Option<&str> {
        self.inner
            .envelope
            .as_ref()
            .and_then(|e| e.log_level.as_deref())
    }
    /// Raw JSON of the client's capabilities for this request (2026-07-28), else None.
    #[getter]
    fn client_capabilities(&self) -> Option<&str> {
        self.inner
            .envelope
            .as_ref()
            .map(|e| e.client_capabilities.as_str())
    }
    #[getter]
    fn client_info(&self) -> Option<&str> {
        self.inner
            .envelope
            .as_ref()
            .and_then(|e| e.client_info.as_deref())
    }
    #[getter]
    fn input_responses(&self) -> Option<&str> {
        self.inner.input_responses.as_deref()
    }
    #[getter]
    fn request_state(&self) -> Option<&str> {
        self.inner.request_state.as_deref()
    }
    /// A 2026-07-28 retry: the call carries `inputResponses` or a
    /// `requestState`, which are checked before the call runs.
    #[getter]
    fn resumes(&self) -> bool {
        !self.inner.revision.server_requests
            && (self.inner.input_responses.is_some() || self.inner.request_state.is_some())
    }
    /// The JSON-RPC response carrying `result` (raw JSON bytes), stamped with
    /// `resultType` (and serverInfo) where the revision wants it.
    #[pyo3(signature = (result, result_type="complete"))]
    fn result<'py>(
        &self,
        py: Python<'py>,
        result: &[u8],
        result_type: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let text = std::str::from_utf8(result)
            .map_err(|_| PyValueError::new_err("result must be UTF-8 JSON"))?;
        let message = match &self.server_info {
            Some(info) => envelope::stamped_result_message(&self.inner.id, text, result_type, info),
            None => jsonrpc::result_message(&self.inner.id, text),
        };
        Ok(PyBytes::new(py, &message))
    }
    /// The JSON-RPC response for a tool result of one text block, with
    /// `structured` (raw JSON) as `structuredContent` where the revision has
    /// it; `wrapped` puts it under `result`.
    #[pyo3(signature = (text, structured=None, wrapped=false))]
    fn text_result<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        structured: Option<&[u8]>,
        wrapped: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let structured = match structured {
            Some(raw) if self.structured => Some(
                std::str::from_utf8(raw)
                    .map_err(|_| PyValueError::new_err("structured must be UTF-8 JSON"))?,
            ),
            _ => None,
        };
        let result = engine::text_tool_result(text, structured, wrapped);
        self.result(py, result.as_bytes(), "complete")
    }
    /// The JSON-RPC response for a tool that returned a plain `int`, `bool`
    /// or `str`: one text block and, when `structured`, the value itself as
    /// `structuredContent.result`. None for any other value (floats too: their
    /// text is the validator's to write), which the caller words itself.
    fn scalar_result<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
        structured: bool,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let structured = structured && self.structured;
        let scalar = if value.is_exact_instance_of::<pyo3::types::PyBool>() {
            engine::Scalar::Bool(value.is_truthy()?)
        } else if value.is_exact_instance_of::<pyo3::types::PyInt>() {
            match value.extract::<i64>() {
                Ok(n) => engine::Scalar::Int(n),
                Err(_) => return Ok(None), // beyond 64 bits
            }
        } else if let Ok(s) = value.cast_exact::<pyo3::types::PyString>() {
            match s.to_str() {
                Ok(text) => engine::Scalar::Str(text),
                Err(_) => return Ok(None), // lone surrogates
            }
        } else {
            return Ok(None);
        };
        if self.server_info.is_some() {
            // Stamped results (2026-07-28): the envelope is the general one.
            let mut result = Vec::with_capacity(96);
            engine::write_scalar_result(&mut result, scalar, structured);
            return self.result(py, &result, "complete").map(Some);
        }
        Ok(Some(PyBytes::new(
            py,
            &engine::scalar_tool_message(&self.inner.id, scalar, structured),
        )))
    }
    /// The HTTP status a JSON response carrying this error code gets.
    fn error_status(&self, code: i32) -> u16 {
        if self.inner.revision.error_statuses {
            revision::error_status(code)
        } else {
            200
        }
    }
    /// The JSON-RPC error response for this request.
    #[pyo3(signature = (code, message, data=None))]
    fn error<'py>(
        &self,
        py: Python<'py>,
        code: i32,
        message: &str,
        data: Option<&str>,
    ) -> Bound<'py, PyBytes> {
        let mut e = RpcError::new(code, message);
        e.data = data.map(str::to_string);
        PyBytes::new(py, &jsonrpc::error_message(Some(&self.inner.id), &e))
    }
    fn __repr__(&self) -> String {
        format!(
            "<Call {} {:?} id={}>",
            kind_name(self.inner.kind),
            self.inner.target,
            self.inner.id
        )
    }
}

/// Requests that need user code, with the answers already known.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Plan {
    inner: engine::Plan,
    #[pyo3(get)]
    calls: Py<PyList>,
    /// The only call, when the post is one request answered by its own message.
    #[pyo3(get)]
    single: Option<Py<Call>>,
    #[pyo3(get)]
    headers: Py<PyList>,
}

#[pymethods]
impl Plan {
    /// Headers for the answer sent as one complete body: `headers` without
    /// the ones an event stream needs only while it stays open.
    #[getter]
    fn complete_headers(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        match (&self.inner.session_id, self.inner.format) {
            (_, Format::Json) => Ok(self.headers.clone_ref(py)),
            (None, Format::EventStream) => Ok(COMPLETE_STREAM_HEADERS
                .get_or_try_init(py, || asgi_headers(py, &self.inner.complete_headers()))?
                .clone_ref(py)),
            _ => asgi_headers(py, &self.inner.complete_headers()),
        }
    }
    /// Answer on a text/event-stream (else one application/json body).
    #[getter]
    fn stream(&self) -> bool {
        self.inner.format == Format::EventStream
    }
    #[getter]
    fn cancels(&self) -> Vec<String> {
        self.inner.cancels.clone()
    }
    /// Client answers to our requests: `(id, is_error, raw JSON)` each.
    #[getter]
    fn replies(&self) -> Vec<(String, bool, String)> {
        self.inner
            .replies
            .iter()
            .map(|r| match &r.outcome {
                Ok(result) => (r.id.clone(), false, result.clone()),
                Err(error) => (r.id.clone(), true, error.clone()),
            })
            .collect()
    }
    #[getter]
    fn has_responses(&self) -> bool {
        self.inner.has_responses()
    }
    #[getter]
    fn protocol_version(&self) -> &'static str {
        self.inner.revision.version
    }
    /// Whether the request speaks a revision without sessions (2026-07-28).
    #[getter]
    fn stateless(&self) -> bool {
        !self.inner.revision.handshake
    }
    /// The whole body, given each call's response message in call order.
    fn finish<'py>(&self, py: Python<'py>, messages: Vec<Vec<u8>>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.finish(messages))
    }
    /// The ASGI `http.response.start` message for `message` sent whole as this
    /// plan's JSON answer: its status (`status_for`), `headers` and the
    /// body's Content-Length, so the adapter sends it as it is.
    fn response_start<'py>(&self, py: Python<'py>, message: &[u8]) -> PyResult<Bound<'py, PyDict>> {
        start_message(
            py,
            self.status_for(message),
            self.headers.bind(py),
            message.len(),
        )
    }
    /// An event stream sent as one complete body: its ASGI start message (200,
    /// `complete_headers`, Content-Length) and the body, the ready answers
    /// then each of `messages` as an event (empty ones, of cancelled calls,
    /// left out). A lone error that has its own HTTP status (2026-07-28, e.g.
    /// -32021 found while the call ran) is sent as a JSON body with that status.
    fn complete_stream<'py>(
        &self,
        py: Python<'py>,
        messages: Vec<Bound<'py, PyBytes>>,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyBytes>)> {
        let mut body = self.inner.ready_events();
        if let [only] = messages.as_slice() {
            let status = self.status_for(only.as_bytes());
            if status != 200 && body.is_empty() {
                let mut headers = self.inner.complete_headers();
                headers[0].1 = "application/json".into();
                let start = start_message(
                    py,
                    status,
                    &asgi_headers(py, &headers)?.into_bound(py),
                    only.as_bytes().len(),
                )?;
                return Ok((start, only.clone()));
            }
        }
        for message in &messages {
            let message = message.as_bytes();
            if !message.is_empty() {
                body.extend_from_slice(&sse::event(message, None));
            }
        }
        let start = start_message(py, 200, self.complete_headers(py)?.bind(py), body.len())?;
        Ok((start, PyBytes::new(py, &body)))
    }
    /// The HTTP status for a JSON body holding `message`: 200, or in revisions
    /// that map error codes to statuses (2026-07-28), the error's status.
    fn status_for(&self, message: &[u8]) -> u16 {
        if !self.inner.revision.error_statuses || jsonrpc::is_result(message) {
            return 200;
        }
        #[derive(serde::Deserialize)]
        struct Code {
            code: i32,
        }
        #[derive(serde::Deserialize)]
        struct ErrorOnly {
            error: Option<Code>,
        }
        match serde_json::from_slice::<ErrorOnly>(message) {
            Ok(ErrorOnly {
                error: Some(Code { code }),
            }) => revision::error_status(code),
            _ => 200,
        }
    }
    /// Each message of the answer on its own, given the calls' messages
    /// (empty ones, e.g. of cancelled calls, are left out).
    fn messages<'py>(&self, py: Python<'py>, messages: Vec<Vec<u8>>) -> Vec<Bound<'py, PyBytes>> {
        self.inner
            .messages(messages)
            .iter()
            .map(|m| PyBytes::new(py, m))
            .collect()
    }
    /// The answers that needed no user code, as events to open a stream with.
    fn ready_events<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.ready_events())
    }
}

/// `{"type": "http.response.start", "status": ..., "headers": [...]}` with
/// `headers` and the body's Content-Length.
fn start_message<'py>(
    py: Python<'py>,
    status: u16,
    base: &Bound<'py, PyList>,
    length: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let headers = PyList::empty(py);
    for item in base.iter() {
        headers.append(item)?;
    }
    let name = CONTENT_LENGTH
        .get_or_init(py, || PyBytes::new(py, b"content-length").unbind())
        .bind(py);
    headers.append((name, PyBytes::new(py, length.to_string().as_bytes())))?;
    let start = PyDict::new(py);
    start.set_item(
        pyo3::intern!(py, "type"),
        pyo3::intern!(py, "http.response.start"),
    )?;
    start.set_item(pyo3::intern!(py, "status"), status)?;
    start.set_item(pyo3::intern!(py, "headers"), headers)?;
    Ok(start)
}

fn known_revision(version: &str) -> PyResult<&'static revision::Revision> {
    revision::find(version)
        .ok_or_else(|| PyValueError::new_err(format!("unknown protocol version {version:?}")))
}

fn lookup<'a>(
    headers: &Headers<'_>,
    session: Option<&'a (String, String)>,
) -> PyResult<Lookup<'a>> {
    Ok(match (headers.session_id, session) {
        (None, _) => Lookup::Absent,
        (Some(_), None) => Lookup::Unknown,
        (Some(_), Some((version, path))) => Lookup::Known {
            version: known_revision(version)?,
            path,
        },
    })
}

static JSON_HEADERS: PyOnceLock<Py<PyList>> = PyOnceLock::new();
static CONTENT_LENGTH: PyOnceLock<Py<PyBytes>> = PyOnceLock::new();
static STREAM_HEADERS: PyOnceLock<Py<PyList>> = PyOnceLock::new();
static COMPLETE_STREAM_HEADERS: PyOnceLock<Py<PyList>> = PyOnceLock::new();

fn outcome_to_py<'py>(
    py: Python<'py>,
    owner: &Engine,
    engine: &engine::Engine,
    outcome: Outcome,
) -> PyResult<Bound<'py, PyAny>> {
    match outcome {
        Outcome::Respond(r) => Ok(Bound::new(py, Response::from_engine(py, r)?)?.into_any()),
        Outcome::Run(mut plan) => {
            let structured = plan.revision.structured_content;
            let server_info = plan
                .revision
                .stamped_results
                .then(|| engine.server_info_json(plan.revision));
            let lone = plan.lone_call().is_some();
            // The calls move to Python; the plan keeps its slots and formats.
            let specs = owner.arg_specs.read().expect("engine lock poisoned");
            let calls: Vec<Bound<'py, Call>> = std::mem::take(&mut plan.calls)
                .into_iter()
                .map(|c| {
                    let kwargs = match (c.kind, specs.get(c.handle)) {
                        (Kind::Tool | Kind::Prompt, Some(Some(spec))) => {
                            spec.get().kwargs(py, &c.arguments)?.map(Bound::unbind)
                        }
                        _ => None,
                    };
                    Bound::new(
                        py,
                        Call {
                            inner: c,
                            structured,
                            server_info: server_info.clone(),
                            kwargs,
                        },
                    )
                })
                .collect::<PyResult<_>>()?;
            let single = if lone {
                calls.first().map(|c| c.clone().unbind())
            } else {
                None
            };
            let headers = match (&plan.session_id, plan.format) {
                // Without a session id the headers are one of two fixed lists,
                // made once (the Python side only reads them).
                (None, Format::Json) => JSON_HEADERS
                    .get_or_try_init(py, || asgi_headers(py, &plan.response_headers()))?
                    .clone_ref(py),
                (None, Format::EventStream) => STREAM_HEADERS
                    .get_or_try_init(py, || asgi_headers(py, &plan.response_headers()))?
                    .clone_ref(py),
                _ => asgi_headers(py, &plan.response_headers())?,
            };
            Ok(Bound::new(
                py,
                Plan {
                    calls: PyList::new(py, calls)?.unbind(),
                    single,
                    headers,
                    inner: plan,
                },
            )?
            .into_any())
        }
    }
}

/// The protocol engine for one server: its identity, options and catalog.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Engine {
    inner: RwLock<engine::Engine>,
    /// By handle: how to read a function's arguments without the validator, if it can be.
    arg_specs: RwLock<Vec<Option<Py<ArgSpec>>>>,
}

/// The values of the headers the engine reads, picked out of ASGI's
/// `[(name, value), ...]`: the bytes objects themselves, not copies.
#[derive(Default)]
struct OwnedHeaders<'py> {
    /// accept, content-type, mcp-protocol-version, host, origin, mcp-method,
    /// mcp-name, mcp-session-id, last-event-id
    values: [Option<Bound<'py, PyBytes>>; 9],
}

/// One header value as text: borrowed when it is UTF-8 (the usual case),
/// else with the bad bytes replaced.
fn header_text<'a>(value: &'a Option<Bound<'_, PyBytes>>) -> Option<std::borrow::Cow<'a, str>> {
    value.as_ref().map(|b| {
        let bytes = b.as_bytes();
        match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    })
}

/// Walks ASGI's `[(name, value), ...]` (a list of tuples, or any iterable of
/// two-item sequences), handing `visit` each name and value until it returns false.
fn each_header<'py>(
    headers: &Bound<'py, PyAny>,
    mut visit: impl FnMut(&Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<bool>,
) -> PyResult<()> {
    if let Ok(list) = headers.cast::<PyList>() {
        // The usual shape: tuples, read without the generic item protocol.
        for item in list.iter() {
            let more = match item.cast::<PyTuple>() {
                Ok(pair) if pair.len() == 2 => {
                    visit(&*pair.get_borrowed_item(0)?, pair.get_item(1)?)?
                }
                _ => visit(&item.get_item(0)?, item.get_item(1)?)?,
            };
            if !more {
                break;
            }
        }
        return Ok(());
    }
    for item in headers.try_iter()? {
        let item = item?;
        if !visit(&item.get_item(0)?, item.get_item(1)?)? {
            break;
        }
    }
    Ok(())
}

impl<'py> OwnedHeaders<'py> {
    fn from_asgi(headers: &Bound<'py, PyAny>) -> PyResult<OwnedHeaders<'py>> {
        let mut h = OwnedHeaders::default();
        each_header(headers, |name, value| {
            if let Some(slot) = Self::slot(name.cast::<PyBytes>()?.as_bytes()) {
                h.values[slot] = Some(value.cast_into::<PyBytes>()?);
            }
            Ok(true)
        })?;
        Ok(h)
    }

    fn slot(name: &[u8]) -> Option<usize> {
        Some(match name {
            b"accept" => 0,
            b"content-type" => 1,
            b"mcp-protocol-version" => 2,
            b"host" => 3,
            b"origin" => 4,
            b"mcp-method" => 5,
            b"mcp-name" => 6,
            b"mcp-session-id" => 7,
            b"last-event-id" => 8,
            _ => return None,
        })
    }

    fn texts(&self) -> [Option<std::borrow::Cow<'_, str>>; 9] {
        std::array::from_fn(|i| header_text(&self.values[i]))
    }
}

fn view<'a>(t: &'a [Option<std::borrow::Cow<'a, str>>; 9]) -> Headers<'a> {
    Headers {
        accept: t[0].as_deref(),
        content_type: t[1].as_deref(),
        protocol_version: t[2].as_deref(),
        host: t[3].as_deref(),
        origin: t[4].as_deref(),
        mcp_method: t[5].as_deref(),
        mcp_name: t[6].as_deref(),
        session_id: t[7].as_deref(),
        last_event_id: t[8].as_deref(),
    }
}

/// The id and protocol version of a session the caller must create.
type SessionToCreate = Option<(String, &'static str)>;
/// What resources/read runs for a URI: (kind, handle, [(variable, value), ...]).
type ResourceMatch = (&'static str, usize, Vec<(String, String)>);

#[pymethods]
impl Engine {
    // One argument per keyword argument of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (name, version, *, title=None, instructions=None, json_response=false, allowed_hosts=None, allowed_origins=Vec::new(), page_size=0, cache_ttl_ms=0, cache_public=false, extensions=Vec::new()))]
    fn new(
        name: String,
        version: String,
        title: Option<String>,
        instructions: Option<String>,
        json_response: bool,
        allowed_hosts: Option<Vec<String>>,
        allowed_origins: Vec<String>,
        page_size: usize,
        cache_ttl_ms: u64,
        cache_public: bool,
        extensions: Vec<(String, String)>,
    ) -> Engine {
        // No allowed_hosts given: no DNS-rebinding check (e.g. stdio, in-process tests).
        let hosts = HostPolicy {
            enabled: allowed_hosts.is_some(),
            allowed_hosts: allowed_hosts.unwrap_or_default(),
            allowed_origins,
        };
        Engine {
            inner: RwLock::new(engine::Engine::new(
                ServerInfo {
                    name,
                    title,
                    version,
                    instructions,
                },
                Options {
                    json_response,
                    hosts,
                    page_size,
                    cache_ttl_ms,
                    cache_public,
                    extensions,
                },
            )),
            arg_specs: RwLock::new(Vec::new()),
        }
    }

    /// Adds a tool, resource (or template) or prompt. `definition` is the JSON
    /// sent in list results; `handle` is what calls will carry; `arguments`
    /// reads a tool's or prompt's plain arguments into `Call.kwargs`. Returns
    /// the kind it was filed as.
    #[pyo3(signature = (kind, key, handle, definition, arguments=None))]
    fn register(
        &self,
        kind: &str,
        key: &str,
        handle: usize,
        definition: &str,
        arguments: Option<Py<ArgSpec>>,
    ) -> PyResult<&'static str> {
        let kind = parse_kind(kind)?;
        let filed = self
            .inner
            .write()
            .expect("engine lock poisoned")
            .catalog
            .register(kind, key, handle, definition)
            .map_err(PyValueError::new_err)?;
        if let Some(spec) = arguments {
            let mut specs = self.arg_specs.write().expect("engine lock poisoned");
            if specs.len() <= handle {
                specs.resize_with(handle + 1, || None);
            }
            specs[handle] = Some(spec);
        }
        Ok(kind_name(filed))
    }

    /// One request to the MCP endpoint: a finished Response or a Plan to run.
    /// `hidden`: handles of what the caller may not see in list results.
    #[pyo3(signature = (method, headers, body, hidden=Vec::new()))]
    fn handle<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        hidden: Vec<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let engine = self.inner.read().expect("engine lock poisoned");
        let outcome = engine.handle(method, &view(&texts), body, &hidden);
        outcome_to_py(py, self, &engine, outcome)
    }

    /// One request to the stateful endpoint. `session` is `(version, path)` of
    /// the live session the request's Mcp-Session-Id names, or None when it
    /// sent none or the store does not know it. Returns `(Response | Plan,
    /// (new_id, version) | None)`: a session to create before answering.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (method, headers, body, session, path, seed, hidden=Vec::new()))]
    fn handle_stateful<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        session: Option<(String, String)>,
        path: &str,
        seed: &[u8],
        hidden: Vec<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, SessionToCreate)> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let view = view(&texts);
        let lookup = lookup(&view, session.as_ref())?;
        let engine = self.inner.read().expect("engine lock poisoned");
        let (outcome, created) =
            engine.handle_stateful(method, &view, body, lookup, path, seed, &hidden);
        Ok((
            outcome_to_py(py, self, &engine, outcome)?,
            created.map(|n| (n.id, n.version)),
        ))
    }

    /// GET `<base>/sse`: `(Response, new_session_id | None)`.
    fn open_sse(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        seed: &[u8],
    ) -> PyResult<(Response, Option<String>)> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let engine = self.inner.read().expect("engine lock poisoned");
        let (r, id) = engine.open_sse(&view(&texts), seed);
        Ok((Response::from_engine(py, r)?, id))
    }

    /// POST `<base>/messages/`: `(Response | Plan, negotiated_version | None)`.
    #[pyo3(signature = (headers, body, session_id, session, path, hidden=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn handle_sse_post<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        session_id: Option<&str>,
        session: Option<(String, String)>,
        path: &str,
        hidden: Vec<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, Option<&'static str>)> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let view = view(&texts);
        let lookup = match &session {
            None => Lookup::Unknown,
            Some((version, opened_at)) => Lookup::Known {
                version: known_revision(version)?,
                path: opened_at,
            },
        };
        let engine = self.inner.read().expect("engine lock poisoned");
        let (outcome, negotiated) =
            engine.handle_sse_post(&view, body, session_id, lookup, path, &hidden);
        Ok((outcome_to_py(py, self, &engine, outcome)?, negotiated))
    }

    /// The 403 the MCP endpoint gives a request whose Host or Origin is not
    /// allowed (DNS-rebinding protection), or None. For answers built before
    /// the endpoint sees the request (401 challenges, resource metadata),
    /// whose URLs come from the Host header.
    fn host_refusal(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Response>> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let view = view(&texts);
        let engine = self.inner.read().expect("engine lock poisoned");
        match engine.options.hosts.check(view.host, view.origin) {
            Ok(()) => Ok(None),
            Err(refused) => Response::from_engine(py, refused).map(Some),
        }
    }

    fn health(&self, py: Python<'_>, method: &str) -> PyResult<Response> {
        let engine = self.inner.read().expect("engine lock poisoned");
        Response::from_engine(py, engine.health(method))
    }

    /// The list result (`{"tools": [...]}`) a client of `version` would get.
    #[pyo3(signature = (kind, version="2025-11-25"))]
    fn list(&self, kind: &str, version: &str) -> PyResult<String> {
        let kind = parse_kind(kind)?;
        let revision = revision::find(version).ok_or_else(|| {
            PyValueError::new_err(format!("unknown protocol version {version:?}"))
        })?;
        let engine = self.inner.read().expect("engine lock poisoned");
        engine
            .catalog
            .list(kind, revision, None, 0, &[])
            .map(|c| c.into_owned())
            .map_err(PyValueError::new_err)
    }

    /// What resources/read would run for `uri`: (kind, handle, variables), or None.
    fn find_resource(&self, uri: &str) -> Option<ResourceMatch> {
        let engine = self.inner.read().expect("engine lock poisoned");
        engine.catalog.find_resource(uri).map(|m| {
            (
                kind_name(m.kind),
                m.handle,
                m.variables
                    .into_iter()
                    .map(|(n, v)| (n, v.to_string()))
                    .collect(),
            )
        })
    }

    /// The initialize result a client asking for `version` would get (raw JSON).
    fn initialize_result(&self, version: &str) -> String {
        let engine = self.inner.read().expect("engine lock poisoned");
        engine.initialize_result(revision::negotiate(version))
    }
}

/// A mount point: a Django-style path pattern and the endpoints below it.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Route {
    inner: route::Route,
}

/// A path's parameters: [(name, converter, value), ...].
type PathParams = Vec<(String, &'static str, String)>;

#[pymethods]
impl Route {
    #[new]
    fn new(pattern: &str, endpoints: Vec<String>) -> PyResult<Route> {
        let endpoints: Vec<&str> = endpoints.iter().map(String::as_str).collect();
        route::Route::new(pattern, &endpoints)
            .map(|inner| Route { inner })
            .map_err(PyValueError::new_err)
    }

    #[getter]
    fn pattern(&self) -> &str {
        self.inner.pattern()
    }

    #[getter]
    fn param_names(&self) -> Vec<String> {
        self.inner.param_names().map(str::to_string).collect()
    }

    /// `(endpoint_index, [(name, converter, value), ...])` for a path of this mount, else None.
    #[pyo3(name = "match")]
    fn match_path(&self, path: &str) -> Option<(usize, PathParams)> {
        self.inner.matches(path).map(|m| {
            (
                m.endpoint,
                m.params
                    .into_iter()
                    .map(|(n, c, v)| (n.to_string(), c.name(), v.to_string()))
                    .collect(),
            )
        })
    }
}

/// A JSON-RPC notification message with raw JSON params.
#[pyfunction]
fn notification<'py>(
    py: Python<'py>,
    method: &str,
    params: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let params = std::str::from_utf8(params)
        .map_err(|_| PyValueError::new_err("params must be UTF-8 JSON"))?;
    Ok(PyBytes::new(
        py,
        &jsonrpc::notification_message(method, params),
    ))
}

/// A server-to-client JSON-RPC request with a raw JSON id and params.
#[pyfunction]
fn request<'py>(
    py: Python<'py>,
    id: &str,
    method: &str,
    params: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let params = std::str::from_utf8(params)
        .map_err(|_| PyValueError::new_err("params must be UTF-8 JSON"))?;
    Ok(PyBytes::new(
        py,
        &jsonrpc::request_message(id, method, params),
    ))
}

/// One server-sent event carrying `message`.
#[pyfunction]
#[pyo3(signature = (message, id=None))]
fn sse_event<'py>(py: Python<'py>, message: &[u8], id: Option<&str>) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sse::event(message, id))
}

/// 401 / 403 with the MCP authorization spec's `WWW-Authenticate` challenge.
#[pyfunction]
#[pyo3(signature = (status, resource_metadata, description, scope=None, error=None))]
fn auth_refusal(
    py: Python<'_>,
    status: u16,
    resource_metadata: &str,
    description: &str,
    scope: Option<&str>,
    error: Option<&str>,
) -> PyResult<Response> {
    Response::from_engine(
        py,
        auth::refusal(status, resource_metadata, scope, error, description),
    )
}

/// The RFC 9728 Protected Resource Metadata document (JSON bytes).
#[pyfunction]
#[pyo3(signature = (resource, authorization_servers, scopes, name=None))]
fn resource_metadata<'py>(
    py: Python<'py>,
    resource: &str,
    authorization_servers: Vec<String>,
    scopes: Vec<String>,
    name: Option<&str>,
) -> Bound<'py, PyBytes> {
    PyBytes::new(
        py,
        &auth::resource_metadata(resource, &authorization_servers, &scopes, name),
    )
}

/// The first event of a resumable stream: its id and the reconnection delay.
#[pyfunction]
fn sse_priming<'py>(py: Python<'py>, id: &str, retry_ms: u64) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sse::priming(id, retry_ms))
}

/// A named one-line event (the HTTP+SSE transport's `endpoint`).
#[pyfunction]
fn sse_named<'py>(py: Python<'py>, event: &str, data: &str) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sse::named(event, data))
}

/// `<stream>.<position>`: the id of a stored event.
#[pyfunction]
fn event_id(stream: &str, position: &str) -> String {
    session::event_id(stream, position)
}

/// `(stream, position)` of an event id this server issued, else None.
#[pyfunction]
fn parse_event_id(id: &str) -> Option<(String, String)> {
    session::parse_event_id(id).map(|(s, p)| (s.to_string(), p.to_string()))
}

/// How to read the arguments of a tool whose parameters are all `int`,
/// `float`, `str` or `bool` (or those or None) without the full validator.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct ArgSpec {
    params: Vec<args::Param>,
    /// What an absent parameter gets: its default, or None when it is required.
    defaults: Vec<Option<Py<PyAny>>>,
    names: Vec<Py<pyo3::types::PyString>>,
}

#[pymethods]
impl ArgSpec {
    /// `params`: `(name, type, nullable, default)` with type one of "int",
    /// "float", "str", "bool"; `default` is `(value,)`, or `()` when required.
    #[new]
    fn new(
        py: Python<'_>,
        params: Vec<(String, String, bool, Bound<'_, PyTuple>)>,
    ) -> PyResult<ArgSpec> {
        let mut spec = ArgSpec {
            params: Vec::new(),
            defaults: Vec::new(),
            names: Vec::new(),
        };
        for (name, ty, nullable, default) in params {
            let ty = args::ArgType::parse(&ty)
                .ok_or_else(|| PyValueError::new_err(format!("unknown argument type {ty:?}")))?;
            spec.names
                .push(pyo3::types::PyString::intern(py, &name).unbind());
            spec.params.push(args::Param { name, ty, nullable });
            spec.defaults.push(if default.is_empty() {
                None
            } else {
                Some(default.get_item(0)?.unbind())
            });
        }
        Ok(spec)
    }

    /// The keyword arguments read from `raw` (the arguments object), or None
    /// when they need the full validator.
    fn read<'py>(&self, py: Python<'py>, raw: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.kwargs(py, raw)
    }
}

impl ArgSpec {
    fn kwargs<'py>(&self, py: Python<'py>, raw: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(values) = args::read(&self.params, raw) else {
            return Ok(None);
        };
        let kwargs = PyDict::new(py);
        for ((value, name), default) in values.into_iter().zip(&self.names).zip(&self.defaults) {
            let name = name.bind(py);
            match value {
                Some(args::ArgValue::Int(v)) => kwargs.set_item(name, v)?,
                Some(args::ArgValue::Float(v)) => kwargs.set_item(name, v)?,
                Some(args::ArgValue::Str(v)) => kwargs.set_item(name, &*v)?,
                Some(args::ArgValue::Bool(v)) => kwargs.set_item(name, v)?,
                Some(args::ArgValue::Null) => kwargs.set_item(name, py.None())?,
                None => match default {
                    Some(d) => kwargs.set_item(name, d.bind(py))?,
                    None => return Ok(None), // a required argument is missing: the validator says so
                },
            }
        }
        Ok(Some(kwargs))
    }
}

/// The content codings this process can send, best first, and the choice
/// among them for a request's Accept-Encoding.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Codings {
    names: Vec<String>,
    interned: Vec<Py<pyo3::types::PyString>>,
}

#[pymethods]
impl Codings {
    #[new]
    fn new(py: Python<'_>, names: Vec<String>) -> PyResult<Codings> {
        if names.len() > http::MAX_CODINGS {
            return Err(PyValueError::new_err(format!(
                "at most {} content codings",
                http::MAX_CODINGS
            )));
        }
        let interned = names
            .iter()
            .map(|n| pyo3::types::PyString::intern(py, n).unbind())
            .collect();
        Ok(Codings { names, interned })
    }

    /// The coding to answer the request with (its ASGI headers), or None.
    fn choose<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, pyo3::types::PyString>>> {
        let Some(value) = first_header(headers, b"accept-encoding")? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(value.cast::<PyBytes>()?.as_bytes());
        Ok(http::choose_encoding(&text, &self.names).map(|i| self.interned[i].bind(py).clone()))
    }
}

/// The value of the first ASGI header called `name` (lower-case bytes), or None.
#[pyfunction]
fn header<'py>(headers: &Bound<'py, PyAny>, name: &[u8]) -> PyResult<Option<Bound<'py, PyAny>>> {
    first_header(headers, name)
}

/// Whether the ASGI headers' Content-Length declares more than `limit` bytes:
/// the body-size check before a byte of the body is read, one call and no
/// value handed to Python.
#[pyfunction]
fn declares_more_than(headers: &Bound<'_, PyAny>, limit: u64) -> PyResult<bool> {
    Ok(first_header(headers, b"content-length")?.is_some_and(|v| {
        v.cast::<PyBytes>()
            .is_ok_and(|b| http::declares_more_than(b.as_bytes(), limit))
    }))
}

fn first_header<'py>(
    headers: &Bound<'py, PyAny>,
    name: &[u8],
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut found = None;
    each_header(headers, |n, value| {
        if n.cast::<PyBytes>().is_ok_and(|n| n.as_bytes() == name) {
            found = Some(value);
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(found)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<Plan>()?;
    m.add_class::<Call>()?;
    m.add_class::<Response>()?;
    m.add_class::<Route>()?;
    m.add_class::<ArgSpec>()?;
    m.add_class::<Codings>()?;
    m.add_function(wrap_pyfunction!(header, m)?)?;
    m.add_function(wrap_pyfunction!(declares_more_than, m)?)?;
    m.add_function(wrap_pyfunction!(notification, m)?)?;
    m.add_function(wrap_pyfunction!(sse_event, m)?)?;
    m.add_function(wrap_pyfunction!(request, m)?)?;
    m.add_function(wrap_pyfunction!(sse_priming, m)?)?;
    m.add_function(wrap_pyfunction!(auth_refusal, m)?)?;
    m.add_function(wrap_pyfunction!(resource_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(sse_named, m)?)?;
    m.add_function(wrap_pyfunction!(event_id, m)?)?;
    m.add_function(wrap_pyfunction!(parse_event_id, m)?)?;
    m.add(
        "SUPPORTED_PROTOCOL_VERSIONS",
        revision::REVISIONS
            .iter()
            .map(|r| r.version)
            .collect::<Vec<_>>(),
    )?;
    m.add("LOG_LEVELS", engine::LOG_LEVELS.to_vec())?;
    m.add("INVALID_PARAMS", jsonrpc::INVALID_PARAMS)?;
    m.add("INTERNAL_ERROR", jsonrpc::INTERNAL_ERROR)?;
    m.add("RESOURCE_NOT_FOUND", jsonrpc::RESOURCE_NOT_FOUND)?;
    m.add("REQUEST_CANCELLED", jsonrpc::REQUEST_CANCELLED)?;
    m.add(
        "MISSING_REQUIRED_CLIENT_CAPABILITY",
        jsonrpc::MISSING_REQUIRED_CLIENT_CAPABILITY,
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
