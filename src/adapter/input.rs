//! Reading the JSON that callers pass: typed fields with clear errors, and
//! dates, which cross the boundary tagged as `{"$date": <epoch ms>}` so that
//! they come back as `Date`s whatever store held them.

use crate::error::{Error, Result};
use serde_json::{json, Map, Value};

pub type Object = Map<String, Value>;

/// The tagged form of a date.
pub fn date_value(ms: i64) -> Value {
    json!({ "$date": ms })
}

/// Epoch milliseconds of a tagged date (or a plain finite number).
pub fn as_date_ms(value: &Value) -> Option<i64> {
    let number = match value {
        Value::Object(o) if o.len() == 1 => o.get("$date")?,
        n @ Value::Number(_) => n,
        _ => return None,
    };
    let ms = number.as_f64()?;
    // Date's own range: ±8.64e15 ms.
    (ms.is_finite() && ms.abs() <= 8.64e15).then_some(ms as i64)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn arg(args: &[Value], index: usize) -> &Value {
    args.get(index).unwrap_or(&Value::Null)
}

pub fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Object> {
    value
        .as_object()
        .ok_or_else(|| Error::invalid(format!("{what} must be an object")))
}

pub fn string<'a>(value: &'a Value, what: &str) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| Error::invalid(format!("{what} must be a string")))
}

/// A required, non-empty string field.
pub fn field_str<'a>(obj: &'a Object, field: &str, what: &str) -> Result<&'a str> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(Error::invalid(format!(
            "{what}.{field} must be a non-empty string"
        ))),
    }
}

/// A required date field, as epoch ms.
pub fn field_date(obj: &Object, field: &str, what: &str) -> Result<i64> {
    obj.get(field)
        .and_then(as_date_ms)
        .ok_or_else(|| Error::invalid(format!("{what}.{field} must be a valid Date")))
}

/// Time left until `expires_ms`, or `None` when it has passed.
pub fn ttl_until(expires_ms: i64) -> Option<u64> {
    let left = expires_ms.saturating_sub(now_ms());
    (left > 0).then_some(left as u64)
}

/// Parses a record read from the store. A record we cannot read is a store
/// fault, reported as such rather than mistaken for "absent".
pub fn parse_record(text: &str) -> Result<Object> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(Error::store("a record in the store is not a JSON object")),
    }
}

pub fn to_text(value: &Object) -> String {
    // Serialising a Map of Values cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}
