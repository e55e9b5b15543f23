//! IR -> the library's `models.rs` and `resources.rs`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::*;
use crate::render::{doc_attrs, ident, type_tokens};

/// `models.rs`: every type, in name order.
pub fn models(api: &Api) -> TokenStream {
    let items = api.types.values().map(|def| match def {
        TypeDef::Struct(s) => model_struct(s, &api.types),
        TypeDef::Enum(e) => model_enum(e),
        TypeDef::Const(c) => model_const(c),
    });
    quote! { #(#items)* }
}

fn model_struct(def: &StructDef, types: &BTreeMap<String, TypeDef>) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let is_const = |ty: &TypeRef| matches!(ty, TypeRef::Named(n) if matches!(types.get(n), Some(TypeDef::Const(_))));
    let all_optional = def
        .fields
        .iter()
        .all(|f| !f.required || matches!(f.ty, TypeRef::Nullable(_)));
    let default = all_optional.then(|| quote!(Default,));
    let derives = match def.kind {
        StructKind::Json => {
            quote!(#[derive(Debug, Clone, #default PartialEq, serde::Serialize, serde::Deserialize)])
        }
        StructKind::Query => quote!(#[derive(Debug, Clone, #default PartialEq, serde::Serialize)]),
        StructKind::Multipart => quote!(#[derive(Debug, Clone)]),
    };
    let serde = def.kind != StructKind::Multipart;
    let fields = def.fields.iter().map(|field| {
        let doc = doc_attrs(field.doc.as_deref());
        let name = ident(&field.name);
        let rename = (serde && field.name != field.api_name).then(|| {
            let api = &field.api_name;
            quote!(#[serde(rename = #api)])
        });
        let (ty, attr) = if is_const(&field.ty) {
            // A constant is never worth failing a decode over.
            (
                type_tokens(&field.ty, None),
                Some(quote!(#[serde(default)])),
            )
        } else if field.required {
            (type_tokens(&field.ty, None), None)
        } else {
            let inner = match &field.ty {
                TypeRef::Nullable(inner) => inner,
                other => other,
            };
            let inner = type_tokens(inner, None);
            (
                quote!(Option<#inner>),
                Some(quote!(#[serde(default, skip_serializing_if = "Option::is_none")])),
            )
        };
        let attr = attr.filter(|_| serde);
        quote! {
            #doc
            #rename
            #attr
            pub #name: #ty,
        }
    });
    let multipart = (def.kind == StructKind::Multipart).then(|| multipart_form(def, types));
    quote! {
        #doc
        #derives
        pub struct #name {
            #(#fields)*
        }

        #multipart
    }
}

/// `to_multipart`: files as file parts, everything else as text.
fn multipart_form(def: &StructDef, types: &BTreeMap<String, TypeDef>) -> TokenStream {
    let name = ident(&def.name);
    let parts = def.fields.iter().map(|field| {
        let api = &field.api_name;
        let member = ident(&field.name);
        let inner = match &field.ty {
            TypeRef::Nullable(inner) => inner.as_ref(),
            other => other,
        };
        let optional = !field.required || matches!(field.ty, TypeRef::Nullable(_));
        let value = if optional {
            quote!(value)
        } else {
            quote!(self.#member)
        };
        let add = match inner {
            TypeRef::Binary => quote!(form.file(#api, #value.clone())),
            TypeRef::String => quote!(form.text(#api, #value.clone())),
            TypeRef::Integer | TypeRef::Number | TypeRef::Boolean => {
                quote!(form.text(#api, #value.to_string()))
            }
            TypeRef::Named(n) if matches!(types.get(n), Some(TypeDef::Const(_))) => {
                let ty = ident(n);
                return quote!(form = form.text(#api, #ty::VALUE););
            }
            TypeRef::Named(n) if matches!(types.get(n), Some(TypeDef::Enum(_))) => {
                quote!(form.text(#api, #value.as_str()))
            }
            _ => quote!(form.text(#api, serde_json::json!(#value).to_string())),
        };
        if optional {
            quote! {
                if let Some(value) = &self.#member {
                    form = #add;
                }
            }
        } else {
            quote!(form = #add;)
        }
    });
    quote! {
        impl #name {
            /// This body as a multipart form.
            pub(crate) fn to_multipart(&self) -> openai_runtime::Multipart {
                let mut form = openai_runtime::Multipart::new();
                #(#parts)*
                form
            }
        }
    }
}

fn model_enum(def: &EnumDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let variants: Vec<_> = def.variants.iter().map(|v| ident(&v.name)).collect();
    let values: Vec<&str> = def.variants.iter().map(|v| v.value.as_str()).collect();
    let variant_docs = values.iter().map(|v| doc_attrs(Some(&format!("`{v}`"))));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variant_docs #variants,)*
            /// A value this version of the spec does not list, kept as sent.
            Unknown(String),
        }

        impl #name {
            /// The value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #values,)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#values => Self::#variants,)*
                    _ => Self::Unknown(value.to_owned()),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from(&*value))
            }
        }
    }
}

fn model_const(def: &ConstDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let value = &def.value;
    let expected = format!("\"{value}\"");
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct #name;

        impl #name {
            /// The one value on the wire.
            pub const VALUE: &'static str = #value;
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(Self::VALUE)
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                if value == Self::VALUE {
                    Ok(Self)
                } else {
                    Err(serde::de::Error::invalid_value(
                        serde::de::Unexpected::Str(&value),
                        &#expected,
                    ))
                }
            }
        }
    }
}

/// `resources.rs`: a handle type per resource, with its methods.
pub fn resources(api: &Api) -> TokenStream {
    let mut used = BTreeSet::new();
    let mut any_path_param = false;
    let mut stack: Vec<&Resource> = api.resources.iter().collect();
    while let Some(resource) = stack.pop() {
        for op in &resource.operations {
            collect_named(&op.response, &mut used);
            used.extend(op.query_type.iter().cloned());
            used.extend(op.body.iter().map(|b| b.type_name.clone()));
            any_path_param |= op.params.iter().any(|p| p.kind == ParamKind::Path);
        }
        stack.extend(&resource.subresources);
    }
    let models = used.iter().map(|n| ident(n));
    let model_use = (!used.is_empty()).then(|| quote!(use super::models::{#(#models),*};));
    let encode = any_path_param.then(|| quote!(encode_path,));
    let accessors = api.resources.iter().map(|r| accessor(r, quote!(self)));
    let handles = api.resources.iter().map(handle);
    quote! {
        #model_use
        use openai_runtime::{#encode Method, Request};
        use crate::{ApiResponse, Client, Result};

        impl Client {
            #(#accessors)*
        }

        #(#handles)*
    }
}

fn collect_named(ty: &TypeRef, out: &mut BTreeSet<String>) {
    match ty {
        TypeRef::Named(name) => {
            out.insert(name.clone());
        }
        TypeRef::Array(inner)
        | TypeRef::Map(inner)
        | TypeRef::Nullable(inner)
        | TypeRef::Boxed(inner) => collect_named(inner, out),
        _ => {}
    }
}

/// The method that hands out a resource's handle.
fn accessor(resource: &Resource, client: TokenStream) -> TokenStream {
    let doc = doc_attrs(Some(&resource.doc));
    let name = ident(&resource.name);
    let handle = ident(&resource.type_name);
    let lifetime = if client.to_string() == "self" {
        quote!('_)
    } else {
        quote!('c)
    };
    quote! {
        #doc
        pub fn #name(&self) -> #handle<#lifetime> {
            #handle { client: #client }
        }
    }
}

fn handle(resource: &Resource) -> TokenStream {
    let doc = doc_attrs(Some(&resource.doc));
    let name = ident(&resource.type_name);
    let subs = resource
        .subresources
        .iter()
        .map(|s| accessor(s, quote!(self.client)));
    let methods = resource.operations.iter().map(|op| operation(resource, op));
    let impl_head = if resource.subresources.is_empty() {
        quote!(impl #name<'_>)
    } else {
        quote!(impl<'c> #name<'c>)
    };
    let nested = resource.subresources.iter().map(handle);
    quote! {
        #doc
        #[derive(Debug, Clone, Copy)]
        pub struct #name<'c> {
            pub(crate) client: &'c Client,
        }

        #impl_head {
            #(#subs)*
            #(#methods)*
        }

        #(#nested)*
    }
}

fn operation(resource: &Resource, op: &Operation) -> TokenStream {
    let mut text = op.doc.clone().unwrap_or_default();
    let params: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.kind == ParamKind::Path)
        .filter_map(|p| Some(format!("- `{}`: {}", p.name, p.doc.as_deref()?)))
        .collect();
    if !params.is_empty() {
        text = format!("{text}\n\n{}", params.join("\n"));
    }
    let doc = doc_attrs(Some(&text));
    let name = ident(&op.name);
    let with_response = format_ident!("{}_with_response", op.name);
    let response = type_tokens(&op.response, None);
    let mut args = Vec::new();
    let mut call = Vec::new();
    for param in op.params.iter().filter(|p| p.kind == ParamKind::Path) {
        let arg = ident(&param.name);
        let ty = match param.ty {
            TypeRef::String => quote!(&str),
            ref other => type_tokens(other, None),
        };
        args.push(quote!(#arg: #ty));
        call.push(quote!(#arg));
    }
    if let Some(query) = &op.query_type {
        let ty = ident(query);
        args.push(quote!(query: &#ty));
        call.push(quote!(query));
    }
    if let Some(body) = &op.body {
        let ty = ident(&body.type_name);
        args.push(quote!(params: &#ty));
        call.push(quote!(params));
    }
    let path = path_expr(op);
    let method = format_ident!("{}", op.method.constant());
    let query = op.query_type.as_ref().map(|_| quote!(.query(query)?));
    let body = op.body.as_ref().map(|body| match body.kind {
        BodyKind::Json => quote!(.json(params)?),
        BodyKind::Multipart => quote!(.multipart(params.to_multipart())),
    });
    let request = if query.is_some() || body.is_some() {
        quote!(let request = Request::new(Method::#method, path)#query #body;)
    } else {
        quote!(let request = Request::new(Method::#method, path);)
    };
    let see = format!(
        " Like [`{}::{}`], and also returns the status, headers and request id.",
        resource.type_name, op.name
    );
    quote! {
        #doc
        pub async fn #name(self, #(#args),*) -> Result<#response> {
            self.#with_response(#(#call),*).await.map(ApiResponse::into_data)
        }

        #[doc = #see]
        pub async fn #with_response(self, #(#args),*) -> Result<ApiResponse<#response>> {
            #path
            #request
            self.client.execute(request).await
        }
    }
}

/// `let path = format!(...)`, with every path parameter through `encode_path`.
fn path_expr(op: &Operation) -> TokenStream {
    let mut template = String::new();
    let mut values = Vec::new();
    for segment in &op.segments {
        match segment {
            Segment::Literal(text) => template.push_str(text),
            Segment::Param(name) => {
                template.push_str("{}");
                let param = op.params.iter().find(|p| &p.name == name).expect("lowered");
                let arg = ident(name);
                let api = &param.api_name;
                let value = match param.ty {
                    TypeRef::String => quote!(#arg),
                    _ => quote!(&#arg.to_string()),
                };
                values.push(quote!(encode_path(#api, #value)?));
            }
        }
    }
    if values.is_empty() {
        quote!(let path = String::from(#template);)
    } else {
        quote!(let path = format!(#template, #(#values),*);)
    }
}
