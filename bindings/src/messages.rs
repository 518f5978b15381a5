//! JSON-RPC messages the server sends on its own (notifications, requests).

use django_mcp_core::jsonrpc;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A JSON-RPC notification message with raw JSON params.
#[pyfunction]
pub(crate) fn notification<'py>(
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
pub(crate) fn request<'py>(
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
