//! RFC 6570 URI templates as used for MCP resource templates
//! (`greeting://{name}`), matched against concrete URIs.

use regex::Regex;

#[derive(Debug)]
pub struct UriTemplate {
    regex: Regex,
    names: Vec<String>,
}

impl UriTemplate {
    /// `{var}` matches one path segment (no `/`); `{+var}` and `{#var}` match anything.
    pub fn new(template: &str) -> Result<UriTemplate, String> {
        let mut regex = String::from("^");
        let mut names = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            regex.push_str(&regex::escape(&rest[..open]));
            let close = rest[open..].find('}').map(|i| open + i).ok_or_else(|| {
                format!("URI template {template:?} has a '{{' without a closing '}}'")
            })?;
            let expr = &rest[open + 1..close];
            let (reserved, vars) = match expr.as_bytes().first() {
                Some(b'+') | Some(b'#') => (true, &expr[1..]),
                _ => (false, expr),
            };
            for (i, var) in vars.split(',').enumerate() {
                let var = var.trim_end_matches('*');
                if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!(
                        "URI template {template:?}: {var:?} is not a valid variable name"
                    ));
                }
                if i > 0 {
                    regex.push(',');
                }
                regex.push_str(if reserved { "(.+?)" } else { "([^/,]+?)" });
                names.push(var.to_string());
            }
            rest = &rest[close + 1..];
        }
        regex.push_str(&regex::escape(rest));
        regex.push('$');
        Ok(UriTemplate {
            regex: Regex::new(&regex).map_err(|e| e.to_string())?,
            names,
        })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn matches<'u>(&self, uri: &'u str) -> Option<Vec<(&str, &'u str)>> {
        let caps = self.regex.captures(uri)?;
        Some(
            self.names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        n.as_str(),
                        caps.get(i + 1).expect("every group takes part").as_str(),
                    )
                })
                .collect(),
        )
    }
}

pub fn is_template(uri: &str) -> bool {
    uri.contains('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_variables_take_one_segment() {
        let t = UriTemplate::new("test://template/{id}/data").unwrap();
        assert_eq!(
            t.matches("test://template/42/data").unwrap(),
            vec![("id", "42")]
        );
        assert!(t.matches("test://template/4/2/data").is_none());
        assert!(t.matches("test://template//data").is_none());
    }

    #[test]
    fn reserved_expansion_crosses_slashes() {
        let t = UriTemplate::new("file:///{+path}").unwrap();
        assert_eq!(
            t.matches("file:///a/b.txt").unwrap(),
            vec![("path", "a/b.txt")]
        );
    }

    #[test]
    fn literals_are_escaped() {
        let t = UriTemplate::new("greeting://{name}?x=1").unwrap();
        assert!(t.matches("greeting://bob?x=1").is_some());
        assert!(t.matches("greeting://bobxx=1").is_none());
    }

    #[test]
    fn bad_templates_are_explained() {
        assert!(UriTemplate::new("a://{x").unwrap_err().contains("closing"));
        assert!(UriTemplate::new("a://{x-y}")
            .unwrap_err()
            .contains("variable name"));
    }
}
