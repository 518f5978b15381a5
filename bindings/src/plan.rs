//! `Plan`: the requests of a post that need user code, with the answers already known.

use crate::call::Call;
use crate::engine::Engine;
use crate::response::{asgi_headers, Response};
use django_mcp_core::catalog::Kind;
use django_mcp_core::engine::{self, AloneStatus, Outcome};
use django_mcp_core::http::Format;
use django_mcp_core::sse;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyTuple};

/// Requests that need user code, with the answers already known.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Plan {
    inner: engine::Plan,
    #[pyo3(get)]
    calls: Py<PyList>,
    /// The post is one request answered by its own message (`Plan::lone_call`).
    lone: bool,
    #[pyo3(get)]
    headers: Py<PyList>,
    /// Ids (raw JSON) named by notifications/cancelled in this post. Made once,
    /// like `replies`: both are read for every plan, and are empty (the shared
    /// empty tuple) almost always.
    #[pyo3(get)]
    cancels: Py<PyTuple>,
    /// Client answers to our requests: `(id, is_error, raw JSON)` each.
    #[pyo3(get)]
    replies: Py<PyTuple>,
}

#[pymethods]
impl Plan {
    /// Answer on a text/event-stream (else one application/json body).
    #[getter]
    fn stream(&self) -> bool {
        self.inner.format == Format::EventStream
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
    /// The answer as one JSON body, given each call's response message in
    /// call order: its HTTP status, its headers and the body (`finish`; a lone
    /// request's message is the body itself). A body that is one call's
    /// message alone takes that message's status (`alone_status`: 429 with
    /// Retry-After for a rate-limited call; 2026-07-28's error statuses).
    fn json_answer<'py>(
        &self,
        py: Python<'py>,
        messages: Vec<Bound<'py, PyBytes>>,
    ) -> PyResult<(u16, Py<PyList>, Bound<'py, PyBytes>)> {
        if let [only] = messages.as_slice() {
            let body = if self.lone && self.inner.format == Format::Json {
                only.clone()
            } else {
                PyBytes::new(py, &self.inner.finish(vec![only.as_bytes().to_vec()]))
            };
            let alone = self.inner.alone_status(only.as_bytes());
            if alone.retry_after.is_some() && body.as_bytes() != only.as_bytes() {
                // A rate-limited call among other answers: the error inside is the signal.
                return Ok((200, self.headers.clone_ref(py), body));
            }
            return Ok((
                alone.status,
                with_retry_after(py, &self.headers, alone)?,
                body,
            ));
        }
        let body = self
            .inner
            .finish(messages.iter().map(|m| m.as_bytes().to_vec()).collect());
        Ok((200, self.headers.clone_ref(py), PyBytes::new(py, &body)))
    }
    /// An event stream sent as one complete body: its status, headers
    /// (`complete_headers`) and body, the ready answers then each of
    /// `messages` as an event (empty ones, of cancelled calls, left out). A
    /// lone error that has its own HTTP status (a rate-limited call;
    /// 2026-07-28, e.g. -32021 found while the call ran) is sent as a JSON
    /// body with that status.
    fn complete_stream<'py>(
        &self,
        py: Python<'py>,
        messages: Vec<Bound<'py, PyBytes>>,
    ) -> PyResult<(u16, Py<PyList>, Bound<'py, PyBytes>)> {
        let mut body = self.inner.ready_events();
        if let [only] = messages.as_slice() {
            let alone = self.inner.alone_status(only.as_bytes());
            if alone.status != 200 && body.is_empty() {
                let mut headers = self.inner.complete_headers();
                headers[0].1 = "application/json".into();
                let headers = with_retry_after(py, &asgi_headers(py, &headers)?, alone)?;
                return Ok((alone.status, headers, only.clone()));
            }
        }
        for message in &messages {
            let message = message.as_bytes();
            if !message.is_empty() {
                body.extend_from_slice(&sse::event(message, None));
            }
        }
        Ok((200, self.complete_headers(py)?, PyBytes::new(py, &body)))
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

impl Plan {
    /// Headers for the answer sent as one complete body: `headers` without
    /// the ones an event stream needs only while it stays open.
    fn complete_headers(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        match (&self.inner.session_id, self.inner.format) {
            (_, Format::Json) => Ok(self.headers.clone_ref(py)),
            (None, Format::EventStream) => Ok(COMPLETE_STREAM_HEADERS
                .get_or_try_init(py, || asgi_headers(py, &self.inner.complete_headers()))?
                .clone_ref(py)),
            _ => asgi_headers(py, &self.inner.complete_headers()),
        }
    }
}

/// `headers`, with Retry-After when `alone` asks for it.
fn with_retry_after(
    py: Python<'_>,
    headers: &Py<PyList>,
    alone: AloneStatus,
) -> PyResult<Py<PyList>> {
    let Some(seconds) = alone.retry_after else {
        return Ok(headers.clone_ref(py));
    };
    let list = PyList::new(py, headers.bind(py).iter())?;
    list.append((
        PyBytes::new(py, b"retry-after"),
        PyBytes::new(py, seconds.to_string().as_bytes()),
    ))?;
    Ok(list.unbind())
}

pub(crate) static JSON_HEADERS: PyOnceLock<Py<PyList>> = PyOnceLock::new();
pub(crate) static STREAM_HEADERS: PyOnceLock<Py<PyList>> = PyOnceLock::new();
pub(crate) static COMPLETE_STREAM_HEADERS: PyOnceLock<Py<PyList>> = PyOnceLock::new();

pub(crate) fn outcome_to_py<'py>(
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
            let cancels = PyTuple::new(py, &plan.cancels)?.unbind();
            let replies = PyTuple::new(
                py,
                plan.replies.iter().map(|r| match &r.outcome {
                    Ok(result) => (r.id.as_str(), false, result.as_str()),
                    Err(error) => (r.id.as_str(), true, error.as_str()),
                }),
            )?
            .unbind();
            Ok(Bound::new(
                py,
                Plan {
                    calls: PyList::new(py, calls)?.unbind(),
                    lone,
                    headers,
                    cancels,
                    replies,
                    inner: plan,
                },
            )?
            .into_any())
        }
    }
}
