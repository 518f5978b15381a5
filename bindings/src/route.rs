//! `Route`: a mount point's path pattern and the endpoints below it.

use django_mcp_core::route;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A mount point: a Django-style path pattern and the endpoints below it.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Route {
    inner: route::Route,
}

/// A path's parameters: [(name, converter, value), ...].
pub(crate) type PathParams = Vec<(String, &'static str, String)>;

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
