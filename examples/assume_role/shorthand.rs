//! The AWS CLI's ways of writing a list of structures on the command line: shorthand syntax
//! (`Key=team,Value=platform`) or JSON (`[{"Key": "team", "Value": "platform"}]`).

use std::fmt;

use serde_json::Value;

/// A flag's value that could not be read. `Display`: `--tags: value 2: missing Value=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlagError {
    pub(crate) flag: &'static str,
    pub(crate) message: String,
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.message)
    }
}

impl std::error::Error for FlagError {}

/// Reads the values of a list-of-structures flag such as `--tags`. Each value is one structure
/// in shorthand syntax, or JSON: one object or an array of objects. Every member in `members`
/// is required; the result lists each structure's members in that order.
pub(crate) fn structures<const N: usize>(
    flag: &'static str,
    values: &[String],
    members: [&str; N],
) -> Result<Vec<[String; N]>, FlagError> {
    let mut out = Vec::new();
    for (i, value) in values.iter().enumerate() {
        out.extend(structures_in(flag, i + 1, value, members)?);
    }
    Ok(out)
}

/// The structures in one value of a flag, the `position`-th (from 1) on the command line.
pub(crate) fn structures_in<const N: usize>(
    flag: &'static str,
    position: usize,
    value: &str,
    members: [&str; N],
) -> Result<Vec<[String; N]>, FlagError> {
    let error = |message: String| FlagError {
        flag,
        message: format!("value {position}: {message}"),
    };
    if looks_like_json(value) {
        json_structures(value, &members).map_err(error)
    } else {
        let pairs = shorthand(value).map_err(|m| error(expected(m, &members)))?;
        let structure = fields(pairs, &members).map_err(|m| error(expected(m, &members)))?;
        Ok(vec![structure])
    }
}

/// Reads the values of a list-of-strings flag such as `--transitive-tag-keys`: the strings
/// themselves, or one JSON array of strings.
pub(crate) fn strings(flag: &'static str, values: &[String]) -> Result<Vec<String>, FlagError> {
    let mut out = Vec::new();
    for (i, value) in values.iter().enumerate() {
        if value.trim_start().starts_with('[') {
            let list: Vec<String> = serde_json::from_str(value).map_err(|e| FlagError {
                flag,
                message: format!("value {}: not a JSON array of strings: {e}", i + 1),
            })?;
            out.extend(list);
        } else {
            out.push(value.clone());
        }
    }
    Ok(out)
}

fn looks_like_json(value: &str) -> bool {
    matches!(value.trim_start().chars().next(), Some('[' | '{'))
}

fn expected(message: String, members: &[&str]) -> String {
    let form: Vec<String> = members.iter().map(|m| format!("{m}=...")).collect();
    format!("{message} (expected {})", form.join(","))
}

/// Places each `name=value` pair at its member's position; every member exactly once.
fn fields<const N: usize>(
    pairs: Vec<(String, String)>,
    members: &[&str; N],
) -> Result<[String; N], String> {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    for (name, value) in pairs {
        let Some(i) = members.iter().position(|m| *m == name) else {
            return Err(format!("unknown member {name:?}"));
        };
        if found[i].replace(value).is_some() {
            return Err(format!("{name}= given twice"));
        }
    }
    if let Some(i) = found.iter().position(Option::is_none) {
        return Err(format!("missing {}=", members[i]));
    }
    Ok(found.map(Option::unwrap_or_default))
}

fn json_structures<const N: usize>(
    value: &str,
    members: &[&str; N],
) -> Result<Vec<[String; N]>, String> {
    let json: Value = serde_json::from_str(value).map_err(|e| format!("not valid JSON: {e}"))?;
    let objects = match json {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => return Err("JSON must be an object or an array of objects".to_owned()),
    };
    objects
        .into_iter()
        .map(|object| {
            let Value::Object(map) = object else {
                return Err("JSON array items must be objects".to_owned());
            };
            let mut pairs = Vec::new();
            for (name, value) in map {
                let Value::String(value) = value else {
                    return Err(format!("{name} must be a JSON string"));
                };
                pairs.push((name, value));
            }
            fields(pairs, members).map_err(|m| expected(m, members))
        })
        .collect()
}

/// Splits `Name=value,Name="quoted, value"` into pairs, as the AWS CLI's shorthand parser
/// does for a structure of strings: whitespace around names and unquoted values is dropped;
/// a value may be quoted with `"` or `'`; a backslash escapes a comma, a quote or itself.
pub(crate) fn shorthand(input: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut rest = input;
    loop {
        let Some((name, after)) = rest.split_once('=') else {
            return Err(format!("no '=' after {:?}", rest.trim()));
        };
        let name = name.trim();
        if name.is_empty() || name.contains(',') {
            return Err(format!("not a member name: {name:?}"));
        }
        let (value, after) = shorthand_value(after)?;
        pairs.push((name.to_owned(), value));
        match after {
            Some(next) => rest = next,
            None => return Ok(pairs),
        }
    }
}

/// Reads one value; returns it and what follows the `,` after it (`None` at the end).
fn shorthand_value(input: &str) -> Result<(String, Option<&str>), String> {
    let trimmed = input.trim_start();
    let mut chars = trimmed.char_indices();
    let mut value = String::new();
    match trimmed.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            chars.next();
            let mut closed = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, e)) if e == quote || e == '\\' => value.push(e),
                        Some((_, e)) => value.extend(['\\', e]),
                        None => value.push('\\'),
                    },
                    c if c == quote => {
                        closed = Some(i + c.len_utf8());
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = closed.ok_or_else(|| format!("unclosed {quote} quote"))?;
            let after = trimmed[end..].trim_start();
            match after.strip_prefix(',') {
                Some(next) => Ok((value, Some(next))),
                None if after.is_empty() => Ok((value, None)),
                None => Err(format!("unexpected text after the closing {quote} quote")),
            }
        }
        _ => {
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, e @ (',' | '\\' | '"' | '\''))) => value.push(e),
                        Some((_, e)) => value.extend(['\\', e]),
                        None => value.push('\\'),
                    },
                    ',' => return Ok((value.trim_end().to_owned(), Some(&trimmed[i + 1..]))),
                    c => value.push(c),
                }
            }
            Ok((value.trim_end().to_owned(), None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn shorthand_reads_plain_quoted_and_escaped_values() {
        assert_eq!(
            shorthand("Key=team,Value=platform").unwrap(),
            pairs(&[("Key", "team"), ("Value", "platform")])
        );
        assert_eq!(
            shorthand(" Key = cost center , Value='a, b' ").unwrap(),
            pairs(&[("Key", "cost center"), ("Value", "a, b")])
        );
        assert_eq!(
            shorthand(r#"Key="say \"hi\"",Value=a\,b"#).unwrap(),
            pairs(&[("Key", r#"say "hi""#), ("Value", "a,b")])
        );
        assert_eq!(
            shorthand("ContextAssertion=abc==").unwrap(),
            pairs(&[("ContextAssertion", "abc==")])
        );
        assert_eq!(
            shorthand("Key=k,Value=").unwrap(),
            pairs(&[("Key", "k"), ("Value", "")])
        );
    }

    #[test]
    fn shorthand_rejects_what_the_cli_rejects() {
        assert!(shorthand("team").is_err());
        assert!(shorthand("Key=a,").is_err());
        assert!(shorthand("Key=a,team").is_err());
        assert!(shorthand("Key='open").is_err());
        assert!(shorthand("Key='a'b").is_err());
        assert!(shorthand("=a").is_err());
    }

    #[test]
    fn structures_need_every_member_once_and_no_other() {
        let tags = |v: &str| structures("--tags", &[v.to_owned()], ["Key", "Value"]);
        assert_eq!(
            tags("Value=v,Key=k").unwrap(),
            vec![["k".to_owned(), "v".to_owned()]]
        );
        let missing = tags("Key=k").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "--tags: value 1: missing Value= (expected Key=...,Value=...)"
        );
        assert!(
            tags("Key=k,Value=v,Extra=x")
                .unwrap_err()
                .message
                .contains("\"Extra\"")
        );
        assert!(
            tags("Key=k,Key=j,Value=v")
                .unwrap_err()
                .message
                .contains("twice")
        );
        assert!(
            tags("key=k,value=v").is_err(),
            "member names are case-sensitive"
        );
    }

    #[test]
    fn structures_accept_json_objects_and_arrays() {
        let values = [
            r#"[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}]"#.to_owned(),
            r#"{"Value": "3", "Key": "c"}"#.to_owned(),
            "Key=d,Value=4".to_owned(),
        ];
        let got = structures("--tags", &values, ["Key", "Value"]).unwrap();
        let keys: Vec<&str> = got.iter().map(|[k, _]| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "d"]);
        let err = structures(
            "--tags",
            &[r#"[{"Key": 1, "Value": "x"}]"#.to_owned()],
            ["Key", "Value"],
        )
        .unwrap_err();
        assert!(err.message.contains("Key must be a JSON string"), "{err}");
    }

    #[test]
    fn strings_accept_words_and_a_json_array() {
        let values = ["a".to_owned(), r#"["b", "c"]"#.to_owned()];
        assert_eq!(
            strings("--transitive-tag-keys", &values).unwrap(),
            ["a", "b", "c"]
        );
        assert!(strings("--transitive-tag-keys", &["[1]".to_owned()]).is_err());
    }
}
