//! Django-style path patterns (`/mcp/<slug:user_uuid>`) for the mount point,
//! translated to regular expressions the way `django.urls.resolvers` does.

use regex::Regex;

/// Django's built-in path converters and the regex each one matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converter {
    Str,
    Int,
    Slug,
    Uuid,
    Path,
}

impl Converter {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "str" => Converter::Str,
            "int" => Converter::Int,
            "slug" => Converter::Slug,
            "uuid" => Converter::Uuid,
            "path" => Converter::Path,
            _ => return None,
        })
    }

    /// The same expressions as `django.urls.converters`.
    fn regex(self) -> &'static str {
        match self {
            Converter::Str => "[^/]+",
            Converter::Int => "[0-9]+",
            Converter::Slug => "[-a-zA-Z0-9_]+",
            Converter::Uuid => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            Converter::Path => ".+",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Converter::Str => "str",
            Converter::Int => "int",
            Converter::Slug => "slug",
            Converter::Uuid => "uuid",
            Converter::Path => "path",
        }
    }
}

/// A compiled mount pattern with the endpoint suffixes it serves.
#[derive(Debug)]
pub struct Route {
    pattern: String,
    /// The pattern's text before its first parameter (all of it when it has
    /// none): paths that do not start with it are not the mount's.
    prefix: String,
    regex: Regex,
    params: Vec<(String, Converter)>,
    endpoints: Vec<String>,
}

/// A request path that belongs to the mount.
#[derive(Debug, PartialEq)]
pub struct RouteMatch<'p> {
    /// Index into the endpoint list the route was built with.
    pub endpoint: usize,
    pub params: Vec<(&'p str, Converter, &'p str)>,
}

impl Route {
    /// `pattern` is the base path (`/mcp/<slug:user_uuid>`); `endpoints` are the
    /// suffixes served below it (`/http`, `/health`, ...).
    pub fn new(pattern: &str, endpoints: &[&str]) -> Result<Route, String> {
        let base = pattern.trim_end_matches('/');
        if !base.starts_with('/') {
            return Err(format!("mcp_base_path {pattern:?} must start with '/'"));
        }
        let mut regex = String::from("^");
        let mut params = Vec::new();
        let mut rest = base;
        while let Some(open) = rest.find('<') {
            regex.push_str(&regex::escape(&rest[..open]));
            let close = rest[open..].find('>').map(|i| open + i).ok_or_else(|| {
                format!("mcp_base_path {pattern:?} has a '<' without a closing '>'")
            })?;
            let spec = &rest[open + 1..close];
            let (conv, name) = match spec.split_once(':') {
                Some((c, n)) => (
                    Converter::parse(c).ok_or_else(|| {
                        format!("mcp_base_path {pattern:?} uses unknown path converter {c:?} (use str, int, slug, uuid or path)")
                    })?,
                    n,
                ),
                None => (Converter::Str, spec),
            };
            if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || name.starts_with(|c: char| c.is_ascii_digit())
            {
                return Err(format!(
                    "mcp_base_path {pattern:?}: {name:?} is not a valid Python identifier"
                ));
            }
            if params.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "mcp_base_path {pattern:?} uses the parameter name {name:?} twice"
                ));
            }
            regex.push('(');
            regex.push_str(conv.regex());
            regex.push(')');
            params.push((name.to_string(), conv));
            rest = &rest[close + 1..];
        }
        if rest.contains('>') {
            return Err(format!(
                "mcp_base_path {pattern:?} has a '>' without an opening '<'"
            ));
        }
        regex.push_str(&regex::escape(rest));
        regex.push('(');
        let alternatives: Vec<String> = endpoints.iter().map(|e| regex::escape(e)).collect();
        regex.push_str(&alternatives.join("|"));
        regex.push_str(")$");
        let prefix = base.split('<').next().unwrap_or("").to_string();
        Ok(Route {
            pattern: base.to_string(),
            prefix,
            regex: Regex::new(&regex).map_err(|e| e.to_string())?,
            params,
            endpoints: endpoints.iter().map(|s| s.to_string()).collect(),
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|(n, _)| n.as_str())
    }

    pub fn matches<'p>(&'p self, path: &'p str) -> Option<RouteMatch<'p>> {
        let rest = path.strip_prefix(self.prefix.as_str())?;
        if self.params.is_empty() {
            // A pattern without parameters is plain text: no regex to run.
            let endpoint = self.endpoints.iter().position(|e| e == rest)?;
            return Some(RouteMatch {
                endpoint,
                params: Vec::new(),
            });
        }
        let caps = self.regex.captures(path)?;
        let params = self
            .params
            .iter()
            .enumerate()
            .map(|(i, (name, conv))| {
                (
                    name.as_str(),
                    *conv,
                    caps.get(i + 1).expect("every group takes part").as_str(),
                )
            })
            .collect();
        let suffix = caps
            .get(self.params.len() + 1)
            .expect("suffix group")
            .as_str();
        let endpoint = self.endpoints.iter().position(|e| e == suffix)?;
        Some(RouteMatch { endpoint, params })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(p: &str) -> Route {
        Route::new(p, &["/http", "/health"]).unwrap()
    }

    #[test]
    fn static_base() {
        let r = route("/mcp");
        assert_eq!(r.matches("/mcp/http").unwrap().endpoint, 0);
        assert_eq!(r.matches("/mcp/health").unwrap().endpoint, 1);
        assert!(r.matches("/mcp/other").is_none());
        assert!(r.matches("/mcp").is_none());
        assert!(r.matches("/x/mcp/http").is_none());
    }

    #[test]
    fn slug_values_follow_django() {
        let r = route("/mcp/<slug:user_uuid>");
        let m = r.matches("/mcp/abc-DEF_1/http").unwrap();
        assert_eq!(m.params, vec![("user_uuid", Converter::Slug, "abc-DEF_1")]);
        assert!(r.matches("/mcp/not.a.slug/http").is_none());
        assert!(r.matches("/mcp/a/b/http").is_none());
        assert!(
            r.matches("/mcq/abc/http").is_none(),
            "the text before the parameter must match"
        );
    }

    #[test]
    fn int_uuid_str_and_path() {
        let r = route("/t/<int:n>/<uuid:u>/<name>");
        assert!(r
            .matches("/t/12/0b0e6e4a-2f1d-4c55-9d2a-2b8c6c6f4e01/x/http")
            .is_some());
        assert!(r
            .matches("/t/1x/0b0e6e4a-2f1d-4c55-9d2a-2b8c6c6f4e01/x/http")
            .is_none());
        assert!(r
            .matches("/t/1/0B0E6E4A-2F1D-4C55-9D2A-2B8C6C6F4E01/x/http")
            .is_none());
        let p = route("/files/<path:rest>");
        let m = p.matches("/files/a/b/c/http").unwrap();
        assert_eq!(m.params[0].2, "a/b/c");
    }

    #[test]
    fn literal_text_is_not_a_regex() {
        let r = route("/a.b");
        assert!(r.matches("/a.b/http").is_some());
        assert!(r.matches("/axb/http").is_none());
    }

    #[test]
    fn bad_patterns_are_explained() {
        assert!(Route::new("mcp", &["/http"])
            .unwrap_err()
            .contains("must start with '/'"));
        assert!(Route::new("/mcp/<foo:x>", &["/http"])
            .unwrap_err()
            .contains("unknown path converter"));
        assert!(Route::new("/mcp/<slug:x", &["/http"])
            .unwrap_err()
            .contains("closing"));
        assert!(Route::new("/<a>/<a>", &["/http"])
            .unwrap_err()
            .contains("twice"));
        assert!(Route::new("/<1a>", &["/http"])
            .unwrap_err()
            .contains("identifier"));
    }

    #[test]
    fn trailing_slash_on_base_is_ignored() {
        assert!(route("/mcp/").matches("/mcp/http").is_some());
    }
}
