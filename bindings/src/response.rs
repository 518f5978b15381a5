//! `Response`: a finished HTTP answer, and the ASGI shapes answers take.

use django_mcp_core::http::{self};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

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
