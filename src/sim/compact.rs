//! Producer Pal's compact result syntax: JavaScript-literal objects with
//! unquoted keys and no whitespace, e.g. `{tempo:120,timeSignature:"4/4"}`.

use serde_json::Value;

/// Encodes a value the way Producer Pal's compact output writes it.
pub fn encode(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if is_identifier(k) {
                    out.push_str(k);
                } else {
                    out.push_str(&Value::String(k.clone()).to_string());
                }
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unquoted_keys_no_whitespace() {
        let v =
            json!({"tempo": 120, "timeSignature": "4/4", "tracks": [{"id": "1", "odd-key": true}]});
        assert_eq!(
            encode(&v),
            r#"{tempo:120,timeSignature:"4/4",tracks:[{id:"1","odd-key":true}]}"#
        );
    }

    #[test]
    fn round_trips_through_the_client_parser() {
        let v = json!({"a": [1, 2.5, null], "b": {"c": "x\"y"}});
        assert_eq!(crate::client::parse_result_text(&encode(&v)), v);
    }
}
