//! `Codings`: the content codings this process can send.

use crate::headers::first_header;
use django_mcp_core::http::{self};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

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
