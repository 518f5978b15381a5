//! Server-sent events and the ids of stored events.

use django_mcp_core::session::{self};
use django_mcp_core::sse;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// One server-sent event carrying `message`.
#[pyfunction]
#[pyo3(signature = (message, id=None))]
pub(crate) fn sse_event<'py>(
    py: Python<'py>,
    message: &[u8],
    id: Option<&str>,
) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sse::event(message, id))
}

/// The first event of a resumable stream: its id and the reconnection delay.
#[pyfunction]
pub(crate) fn sse_priming<'py>(py: Python<'py>, id: &str, retry_ms: u64) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sse::priming(id, retry_ms))
}

/// A named one-line event (the HTTP+SSE transport's `endpoint`).
#[pyfunction]
pub(crate) fn sse_named<'py>(py: Python<'py>, event: &str, data: &str) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sse::named(event, data))
}

/// `<stream>.<position>`: the id of a stored event.
#[pyfunction]
pub(crate) fn event_id(stream: &str, position: &str) -> String {
    session::event_id(stream, position)
}

/// `(stream, position)` of an event id this server issued, else None.
#[pyfunction]
pub(crate) fn parse_event_id(id: &str) -> Option<(String, String)> {
    session::parse_event_id(id).map(|(s, p)| (s.to_string(), p.to_string()))
}
