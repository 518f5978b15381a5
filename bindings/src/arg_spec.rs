//! `ArgSpec`: plain tool arguments read without the full validator.

use django_mcp_core::args;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

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
    pub(crate) fn kwargs<'py>(
        &self,
        py: Python<'py>,
        raw: &str,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
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
