//! DNS-rebinding protection: the Host and Origin headers of MCP requests
//! must name this site, by the same rules as Django's ALLOWED_HOSTS.

use crate::http::Response;
use crate::jsonrpc::{RpcError, INVALID_REQUEST};

#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    /// Off: every Host and Origin is accepted.
    pub enabled: bool,
    /// Django ALLOWED_HOSTS patterns: `*`, `.example.com` (the domain and its subdomains), or exact names.
    pub allowed_hosts: Vec<String>,
    /// Full origins (`https://app.example.com`) allowed besides those whose host is allowed; `*` allows all.
    pub allowed_origins: Vec<String>,
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// The host part of a Host header or an origin's authority, without port or trailing dot.
fn host_of(authority: &str) -> &str {
    let authority = authority.trim();
    let host = if let Some(rest) = authority.strip_prefix('[') {
        // IPv6 literal: keep the brackets, as Django's ALLOWED_HOSTS writes them.
        match rest.find(']') {
            Some(end) => &authority[..end + 2],
            None => authority,
        }
    } else {
        authority
            .rsplit_once(':')
            .map(|(h, port)| {
                if port.bytes().all(|b| b.is_ascii_digit()) {
                    h
                } else {
                    authority
                }
            })
            .unwrap_or(authority)
    };
    host.trim_end_matches('.')
}

impl HostPolicy {
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host_of(host);
        self.allowed_hosts.iter().any(|pattern| {
            pattern == "*"
                || (pattern.starts_with('.')
                    && (ends_with_ignore_case(host, pattern)
                        || host.eq_ignore_ascii_case(&pattern[1..])))
                || host.eq_ignore_ascii_case(pattern)
        })
    }

    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim().trim_end_matches('/');
        if self
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o.trim_end_matches('/').eq_ignore_ascii_case(origin))
        {
            return true;
        }
        match origin.split_once("://") {
            Some((_, authority)) => self.host_allowed(authority),
            // `Origin: null` (sandboxed pages, file://) names no site of ours.
            None => false,
        }
    }

    /// 403 naming the header that failed, or Ok.
    pub fn check(&self, host: Option<&str>, origin: Option<&str>) -> Result<(), Response> {
        if !self.enabled {
            return Ok(());
        }
        let refuse = |what: &str, value: &str, setting: &str| {
            Err(Response::rpc_error(
                403,
                &RpcError::new(
                    INVALID_REQUEST,
                    format!("Forbidden: {what} {value:?} is not allowed (see {setting})"),
                ),
            ))
        };
        if let Some(host) = host {
            if !self.host_allowed(host) {
                return refuse("Host", host, "ALLOWED_HOSTS");
            }
        }
        if let Some(origin) = origin {
            if !self.origin_allowed(origin) {
                return refuse("Origin", origin, "ALLOWED_HOSTS and MCP_ALLOWED_ORIGINS");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HostPolicy {
        HostPolicy {
            enabled: true,
            allowed_hosts: vec![
                "localhost".into(),
                "127.0.0.1".into(),
                "[::1]".into(),
                ".example.com".into(),
            ],
            allowed_origins: vec!["https://app.partner.org".into()],
        }
    }

    #[test]
    fn hosts_follow_allowed_hosts() {
        let p = policy();
        for ok in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:1",
            "[::1]:8080",
            "example.com",
            "api.example.com",
            "API.Example.com.",
        ] {
            assert!(p.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example.org",
            "notexample.com",
            "evil.com:8000",
            "127.0.0.2",
        ] {
            assert!(!p.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn origins_are_allowed_by_host_or_by_name() {
        let p = policy();
        assert!(p.origin_allowed("http://localhost:3000"));
        assert!(p.origin_allowed("https://app.partner.org"));
        assert!(!p.origin_allowed("https://evil.partner.org"));
        assert!(!p.origin_allowed("null"));
    }

    #[test]
    fn rebinding_attempts_get_403() {
        let p = policy();
        let r = p
            .check(Some("evil.example.org"), Some("http://evil.example.org"))
            .unwrap_err();
        assert_eq!(r.status, 403);
        assert!(String::from_utf8(r.body)
            .unwrap()
            .contains("evil.example.org"));
        assert!(p
            .check(Some("localhost:9"), Some("http://localhost:9"))
            .is_ok());
        assert!(p.check(None, None).is_ok());
    }

    #[test]
    fn disabled_policy_allows_everything() {
        assert!(HostPolicy::default()
            .check(Some("evil"), Some("http://evil"))
            .is_ok());
    }
}
