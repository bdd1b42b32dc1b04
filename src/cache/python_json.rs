//! Python's `json.dumps(value, sort_keys=True)`, byte for byte: what botocore hashes into the
//! AWS CLI's cache keys, so that both compute the same key for the same arguments.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// `value` as Python's `json.dumps(value, sort_keys=True)` writes it, byte for byte (see
/// [`cache_key_for_args`]).
pub(crate) fn python_json_dumps(value: &Value) -> String {
    let mut out = String::new();
    dump(value, &mut out);
    out
}

fn dump(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => dump_number(n, out),
        Value::String(s) => dump_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here whatever order the map keeps (serde_json's `preserve_order` feature
            // may be on in the dependency graph). `str` order is code point order, as Python's.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump_string(k, out);
                out.push_str(": ");
                dump(v, out);
            }
            out.push('}');
        }
    }
}

fn dump_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn dump_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        python_float_repr(f, out);
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in positional notation when the
/// decimal exponent is in `-4..16`, else as `d.ddde±XX`.
fn python_float_repr(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // Rust's `{:e}` also gives the shortest round-trip digits: `1.5e-5`, `-2e16`, `0e0`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // The value is 0.DIGITS × 10^point.
    let point = exp + 1;
    out.push_str(sign);
    if (-4 < point) && (point <= 16) {
        let n = digits.len() as i32;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point >= n {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (point - n) as usize));
            out.push_str(".0");
        } else {
            let (int, frac) = digits.split_at(point as usize);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(f: f64) -> String {
        let mut s = String::new();
        python_float_repr(f, &mut s);
        s
    }

    /// Each expected string is what CPython 3 prints for `repr(float)`.
    #[test]
    fn floats_print_as_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e100, "1e+100"),
            (1e-100, "1e-100"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (f, want) in cases {
            assert_eq!(repr(*f), *want, "repr of {f:?}");
        }
    }

    #[test]
    fn strings_escape_as_python_ensure_ascii() {
        let v = Value::String("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} ~é€😀/".into());
        assert_eq!(
            python_json_dumps(&v),
            r#""a\"b\\c\n\r\t\b\f\u0001\u001f\u007f ~\u00e9\u20ac\ud83d\ude00/""#
        );
    }

    #[test]
    fn keys_sort_by_code_point_at_every_level() {
        let v = serde_json::json!({
            "b": {"z": 1, "Z": 2, "é": 3, "e": 4},
            "a": [],
            "B": {},
            "😀": true,
            "\u{ffff}": false,
        });
        assert_eq!(
            python_json_dumps(&v),
            r#"{"B": {}, "a": [], "b": {"Z": 2, "e": 4, "z": 1, "\u00e9": 3}, "\uffff": false, "\ud83d\ude00": true}"#
        );
    }

    #[test]
    fn nested_values_use_python_separators() {
        let v = serde_json::json!({"b": [1, 2.5, "é\n", [], {}], "a": null, "c": true});
        assert_eq!(
            python_json_dumps(&v),
            r#"{"a": null, "b": [1, 2.5, "\u00e9\n", [], {}], "c": true}"#
        );
    }

    #[test]
    fn integers_stay_integers() {
        let v = serde_json::json!([0, -1, 900, i64::MIN, u64::MAX]);
        assert_eq!(
            python_json_dumps(&v),
            "[0, -1, 900, -9223372036854775808, 18446744073709551615]"
        );
    }
}
