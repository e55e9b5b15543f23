//! What each struct field is, where encoding it cares ([`FieldKind`]), and
//! whether a reply may leave a required one out: decided once every type is
//! known, so that the renderers only print.

use crate::ir::*;

pub fn plan(api: &mut Api) {
    let kinds: Vec<(String, Vec<(FieldKind, bool)>)> = api
        .types
        .iter()
        .filter_map(|(name, def)| match def {
            TypeDef::Struct(def) => Some((
                name.clone(),
                def.fields
                    .iter()
                    .map(|field| {
                        let kind = kind(api, &field.ty);
                        let lenient = def.kind == StructKind::Json
                            && matches!(field.ty, TypeRef::Array(_) | TypeRef::Map(_));
                        (
                            kind,
                            kind == FieldKind::Constant || (field.required && lenient),
                        )
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    for (name, planned) in kinds {
        if let Some(TypeDef::Struct(def)) = api.types.get_mut(&name) {
            for (field, (kind, default)) in def.fields.iter_mut().zip(planned) {
                field.kind = kind;
                field.default_when_absent = default;
            }
        }
    }
}

fn kind(api: &Api, ty: &TypeRef) -> FieldKind {
    let named = |name: &String| api.types.get(name);
    match ty {
        // A nullable constant is an `Option` of it: sent when set.
        TypeRef::Named(n) if matches!(named(n), Some(TypeDef::Const(_))) => FieldKind::Constant,
        _ => match ty.non_null() {
            TypeRef::Binary => FieldKind::File,
            TypeRef::String => FieldKind::Text,
            TypeRef::Integer | TypeRef::Number | TypeRef::Boolean => FieldKind::Display,
            TypeRef::Named(n) => match named(n) {
                Some(TypeDef::Enum(e)) if e.repr == EnumRepr::Integer => FieldKind::Display,
                Some(TypeDef::Enum(_)) => FieldKind::Enum,
                Some(TypeDef::Union(u)) if u.multipart => FieldKind::FileUnion,
                _ => FieldKind::Json,
            },
            _ => FieldKind::Json,
        },
    }
}
