//! How each list operation pages, read from the facts of its query and its
//! reply, never from a table of names:
//!
//! - a reply with `has_more` and `last_id`, and an `after` parameter:
//!   [`Paging::LastId`];
//! - a reply with `has_more` and an `after` parameter: [`Paging::After`],
//!   the last item's `id`;
//! - a reply with `next_page` (or `next`) and a `page` (or `after`)
//!   parameter: [`Paging::Token`];
//! - a `GET` whose reply holds a `data` list and none of those:
//!   [`Paging::Single`].

use std::collections::BTreeMap;

use crate::ir::*;

pub fn plan(api: &mut Api) {
    let Api {
        resources, types, ..
    } = api;
    for op in operations_mut(resources) {
        op.paging = paging(op, types);
        if op.paging.is_some() {
            op.page_item = item(op, types);
        }
    }
}

/// The type of the items in a list reply's `data`.
fn item(op: &Operation, types: &BTreeMap<String, TypeDef>) -> Option<TypeRef> {
    let Response::Json(TypeRef::Named(reply)) = &op.response else {
        return None;
    };
    let Some(TypeDef::Struct(reply)) = types.get(reply) else {
        return None;
    };
    let data = reply.fields.iter().find(|f| f.api_name == "data")?;
    match data.ty.non_null() {
        TypeRef::Array(item) => Some(item.as_ref().clone().unboxed()),
        _ => None,
    }
}

fn paging(op: &Operation, types: &BTreeMap<String, TypeDef>) -> Option<Paging> {
    if op.method != HttpMethod::Get || op.stream.is_some() {
        return None;
    }
    let Response::Json(TypeRef::Named(reply)) = &op.response else {
        return None;
    };
    let Some(TypeDef::Struct(reply)) = types.get(reply) else {
        return None;
    };
    let field = |name: &str| reply.fields.iter().find(|f| f.api_name == name);
    field("data").filter(|f| matches!(f.ty.non_null(), TypeRef::Array(_)))?;
    let param = |name: &str| {
        op.params_of(ParamKind::Query)
            .find(|p| p.api_name == name)
            .map(|p| p.api_name.clone())
    };
    let has_more = field("has_more").is_some();
    if let Some(after) = param("after") {
        if has_more && field("last_id").is_some() {
            return Some(Paging::LastId {
                param: after,
                field: "last_id".to_owned(),
            });
        }
        if has_more {
            return Some(Paging::After { param: after });
        }
        if field("next").is_some() {
            return Some(Paging::Token {
                param: after,
                field: "next".to_owned(),
            });
        }
    }
    if let Some(page) = param("page")
        && let Some(next) = field("next_page").or_else(|| field("next"))
    {
        return Some(Paging::Token {
            param: page,
            field: next.api_name.clone(),
        });
    }
    Some(Paging::Single)
}
