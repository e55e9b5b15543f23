//! Query strings as OpenAI's API reads them: lists and objects in brackets
//! (`include[]=a&include[]=b`, `metadata[team]=ml`,
//! `effective_at[gt]=1700000000`), as its official SDKs and CLI send them.
//! A flat form encoder refuses anything but scalars.

use serde::Serialize;
use serde_json::Value;

/// The `key=value` pairs of `query`, an object (a generated `...Query`
/// struct, or a map). Absent and `null` values are left out.
pub(crate) fn pairs<Q: Serialize + ?Sized>(query: &Q) -> Result<Vec<(String, String)>, String> {
    let value = serde_json::to_value(query).map_err(|e| e.to_string())?;
    let Value::Object(fields) = value else {
        return Err("the query must be an object of named values".to_owned());
    };
    let mut pairs = Vec::new();
    for (key, value) in fields {
        flatten(key, value, &mut pairs);
    }
    Ok(pairs)
}

fn flatten(key: String, value: Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => pairs.push((key, b.to_string())),
        Value::Number(n) => pairs.push((key, n.to_string())),
        Value::String(s) => pairs.push((key, s)),
        Value::Array(items) => {
            for item in items {
                flatten(format!("{key}[]"), item, pairs);
            }
        }
        Value::Object(fields) => {
            for (field, value) in fields {
                flatten(format!("{key}[{field}]"), value, pairs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Query {
        limit: Option<i64>,
        after: Option<String>,
        include: Vec<&'static str>,
        metadata: BTreeMap<&'static str, &'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        order: Option<&'static str>,
        effective_at: Range,
    }

    #[derive(Serialize)]
    struct Range {
        gt: Option<i64>,
        lte: i64,
    }

    #[test]
    fn lists_and_objects_go_in_brackets_and_absent_values_are_left_out() {
        let query = Query {
            limit: Some(3),
            after: None,
            include: vec!["a", "b"],
            metadata: [("team", "ml")].into(),
            order: None,
            effective_at: Range { gt: None, lte: 9 },
        };
        let pairs = pairs(&query).unwrap();
        let mut pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // Fields come in declaration order where serde_json preserves
        // order (a feature another crate may turn on), else by name.
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("effective_at[lte]", "9"),
                ("include[]", "a"),
                ("include[]", "b"),
                ("limit", "3"),
                ("metadata[team]", "ml"),
            ]
        );
    }

    #[test]
    fn a_query_that_is_not_an_object_is_refused() {
        assert!(pairs(&[1, 2]).is_err());
        assert!(pairs("x").is_err());
    }
}
