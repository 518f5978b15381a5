//! `Call`: one user function to run, and how to word its answer.

use crate::kind::kind_name;
use django_mcp_core::catalog::Kind;
use django_mcp_core::engine::{self};
use django_mcp_core::jsonrpc::{self, RpcError};
use django_mcp_core::{envelope, revision};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::sync::Arc;

/// One user function to run, and how to word its answer.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Call {
    pub(crate) inner: engine::Call,
    /// The request's revision allows `structuredContent`.
    #[pyo3(get)]
    pub(crate) structured: bool,
    /// The serverInfo stamp for revisions whose results carry one.
    pub(crate) server_info: Option<Arc<str>>,
    /// The arguments as keyword arguments, when the function's ArgSpec read
    /// them; None when they need the full validator. A dict of this call's own.
    #[pyo3(get)]
    pub(crate) kwargs: Option<Py<PyDict>>,
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
            Kind::Task => pyo3::intern!(py, "task"),
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
    /// The request declares the tasks extension (2026-07-28 capabilities).
    #[getter]
    fn declares_tasks(&self) -> bool {
        self.inner
            .envelope
            .as_ref()
            .is_some_and(|e| django_mcp_core::tasks::declared(&e.client_capabilities))
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
