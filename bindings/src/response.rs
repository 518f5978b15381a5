//! `Response`: a finished HTTP answer, and the ASGI shapes answers take.

use django_mcp_core::http::{self};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

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

pub(crate) fn asgi_headers<'py>(
    py: Python<'py>,
    headers: &[(&'static str, String)],
) -> PyResult<Py<PyList>> {
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
    pub(crate) fn from_engine(py: Python<'_>, r: http::Response) -> PyResult<Response> {
        Ok(Response {
            status: r.status,
            headers: asgi_headers(py, &r.headers)?,
            body: PyBytes::new(py, &r.body).unbind(),
        })
    }
}

/// `{"type": "http.response.start", "status": ..., "headers": [...]}` with
/// `headers` and the body's Content-Length.
pub(crate) fn start_message<'py>(
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

pub(crate) static CONTENT_LENGTH: PyOnceLock<Py<PyBytes>> = PyOnceLock::new();
