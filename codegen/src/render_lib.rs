//! IR -> the library's files: `models/` (one module per model module of the
//! IR) and `resources/` (one module per top-level resource), each re-exported
//! flat by its `mod.rs`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::*;
use crate::render::{Unit, doc_attrs, ident, type_tokens};

/// Every file of the library's generated folder.
pub fn files(api: &Api) -> Vec<Unit<'_>> {
    // A crate of models alone (the shared ones) has no resources module.
    let resources = !api.resources.is_empty();
    let mut units = vec![Unit::new("mod.rs", None, move || {
        let resources = resources.then(|| {
            quote!(
                pub mod resources;
            )
        });
        quote!(
            pub mod models;
            #resources
        )
    })];
    let top: Vec<&str> = api
        .model_modules
        .iter()
        .filter(|m| m.path.len() == 1)
        .map(|m| m.path[0].as_str())
        .collect();
    units.push(Unit::new(
        "models/mod.rs",
        Some("The API's models: a module per resource (nested like the resources), plus\n`shared` for those several resources use. All re-exported here."),
        move || {
            let mods = flat_mods(&top);
            match &api.models_from {
                Some(from) => {
                    let from = ident(from);
                    quote!(#mods pub use #from::*;)
                }
                None => mods,
            }
        },
    ));
    for module in &api.model_modules {
        units.push(Unit::new(
            format!("models/{}.rs", module.path.join("/")),
            Some(&module.doc),
            move || models_module(api, module),
        ));
        let path = module.path.join("/");
        for (index, part) in module.parts.iter().enumerate() {
            let (first, last) = (&part.types[0], &part.types[part.types.len() - 1]);
            let doc = format!(
                "Models of `{path}`, part {} of {}: `{first}` to `{last}`.",
                index + 1,
                module.parts.len()
            );
            units.push(Unit::new(
                format!("models/{path}/{}.rs", part.name),
                Some(&doc),
                move || models_file(api, &part.types, &part.imports, module.path.len() + 1, &[]),
            ));
        }
    }
    if !resources {
        return units;
    }
    let top: Vec<&str> = api.resources.iter().map(|r| r.module.as_str()).collect();
    units.push(Unit::new(
        "resources/mod.rs",
        Some("The client's resource handles and their methods: a module per resource,\nnested like the resources. All re-exported here."),
        move || flat_mods(&top),
    ));
    for resource in api.all_resources() {
        let words = resource.chain.join(" ").replace('_', " ");
        let call = resource
            .chain
            .iter()
            .map(|a| format!(".{a}()"))
            .collect::<String>();
        units.push(Unit::new(
            format!("resources/{}.rs", resource.module_path.join("/")),
            Some(&format!("The {words} resource: `client{call}`.")),
            move || resources_module(resource),
        ));
    }
    units
}

/// `mod a; mod b; pub use a::*; pub use b::*;`.
fn flat_mods(names: &[&str]) -> TokenStream {
    let idents: Vec<_> = names.iter().map(|n| ident(n)).collect();
    quote! {
        #(mod #idents;)*
        #(pub use #idents::*;)*
    }
}

/// `super::super` for a module `depth` levels below the one wanted.
fn supers(depth: usize) -> TokenStream {
    let supers = (0..depth).map(|_| quote!(super));
    quote!(#(#supers)::*)
}

fn models_module(api: &Api, module: &ModelModule) -> TokenStream {
    let mut children: Vec<&str> = module.submodules.iter().map(String::as_str).collect();
    if !module.parts.is_empty() {
        children.extend(module.parts.iter().map(|p| p.name.as_str()));
        return flat_mods(&children);
    }
    models_file(
        api,
        &module.types,
        &module.imports,
        module.path.len(),
        &children,
    )
}

/// A file of models: its child modules, its imports (from the models' root,
/// `depth` levels up), then the models.
fn models_file(
    api: &Api,
    types: &[String],
    imports: &[String],
    depth: usize,
    children: &[&str],
) -> TokenStream {
    let children = flat_mods(children);
    let imports = (!imports.is_empty()).then(|| {
        let root = supers(depth);
        let names = imports.iter().map(|n| ident(n));
        quote!(use #root::{#(#names),*};)
    });
    let items = types.iter().map(|name| match &api.types[name] {
        TypeDef::Struct(s) => model_struct(s),
        TypeDef::Enum(e) => model_enum(e),
        TypeDef::Const(c) => model_const(c),
        TypeDef::Union(u) if u.multipart => multipart_union(u, api),
        TypeDef::Union(u) => model_union(u),
    });
    let unions = types
        .iter()
        .any(|name| matches!(&api.types[name], TypeDef::Union(u) if !u.multipart));
    // `u::` keeps the runtime's names (`Shape`, ...) apart from models'.
    let union_use = unions.then(|| {
        quote!(
            use openai_runtime::union as u;
        )
    });
    quote! {
        #children
        #union_use
        #imports
        #(#items)*
    }
}

fn model_struct(def: &StructDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let all_optional = def.fields.iter().all(Field::optional);
    let default = all_optional.then(|| quote!(Default,));
    let derives = match def.kind {
        // Query and header structs deserialize too: the CLI builds them from
        // flags and stdin.
        StructKind::Json | StructKind::Query | StructKind::Headers => {
            quote!(#[derive(Debug, Clone, #default PartialEq, serde::Serialize, serde::Deserialize)])
        }
        StructKind::Multipart => quote!(#[derive(Debug, Clone)]),
    };
    let serde = def.kind != StructKind::Multipart;
    let fields = def.fields.iter().map(|field| {
        let doc = doc_attrs(Some(&field.doc_text()));
        let name = ident(&field.name);
        let rename = (field.name != field.api_name).then(|| {
            let api = &field.api_name;
            quote!(rename = #api)
        });
        // A constant is never an `Option`: it is always sent.
        let (ty, default) = if field.required || field.kind == FieldKind::Constant {
            (
                type_tokens(&field.ty, None),
                field.default_when_absent.then(|| quote!(default)),
            )
        } else {
            let inner = type_tokens(field.ty.non_null(), None);
            (
                quote!(Option<#inner>),
                Some(quote!(default, skip_serializing_if = "Option::is_none")),
            )
        };
        let args: Vec<TokenStream> = [rename, default].into_iter().flatten().collect();
        let attr = (serde && !args.is_empty()).then(|| quote!(#[serde(#(#args),*)]));
        quote! {
            #doc
            #attr
            pub #name: #ty,
        }
    });
    let extra = match def.kind {
        StructKind::Multipart => Some(multipart_form(def)),
        StructKind::Headers => Some(header_pairs(def)),
        StructKind::Json | StructKind::Query => None,
    };
    quote! {
        #doc
        #derives
        pub struct #name {
            #(#fields)*
        }

        #extra
    }
}

/// `to_multipart`: files as file parts, everything else as text.
fn multipart_form(def: &StructDef) -> TokenStream {
    let name = ident(&def.name);
    let parts = def.fields.iter().map(|field| {
        let api_name = &field.api_name;
        let member = ident(&field.name);
        let optional = field.optional();
        let value = if optional {
            quote!(value)
        } else {
            quote!(self.#member)
        };
        let add = match field.kind {
            FieldKind::File => quote!(form.file(#api_name, #value.clone())),
            FieldKind::Text => quote!(form.text(#api_name, #value.clone())),
            FieldKind::Display => quote!(form.text(#api_name, #value.to_string())),
            FieldKind::Enum => quote!(form.text(#api_name, #value.as_str())),
            FieldKind::Constant => {
                let ty = type_tokens(&field.ty, None);
                return quote!(form = form.text(#api_name, #ty::VALUE););
            }
            FieldKind::FileUnion => {
                let list_name = format!("{api_name}[]");
                quote!(#value.add_to(form, #api_name, #list_name))
            }
            FieldKind::Json => quote!(form.value(#api_name, &serde_json::json!(#value))),
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
    let other = ident(&def.other);
    let variants: Vec<_> = def.variants.iter().map(|v| ident(&v.name)).collect();
    let values: Vec<&str> = def.variants.iter().map(|v| v.value.as_str()).collect();
    let variant_docs = values.iter().map(|v| doc_attrs(Some(&format!("`{v}`"))));
    if def.repr == EnumRepr::Integer {
        let numbers = values.iter().map(|v| {
            let n: i64 = v.parse().expect("the lowering checks integer values");
            proc_macro2::Literal::i64_unsuffixed(n)
        });
        return quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum #name {
                #(#variant_docs #variants,)*
                /// A value this version of the spec does not list, kept as sent.
                #other(i64),
            }

            openai_runtime::open_int_enum!(#name, #other, [#(#variants = #numbers),*]);
        };
    }
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variant_docs #variants,)*
            /// A value this version of the spec does not list, kept as sent.
            #other(String),
        }

        openai_runtime::open_enum!(#name, #other, [#(#variants = #values),*]);
    }
}

/// A union: the enum, and `openai_runtime::union!` with its table for the
/// runtime's decoder (how a value picks its variant, and each variant's
/// decoder and shape).
fn model_union(def: &UnionDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let catch_all = ident(&def.catch_all);
    let mut variants = Vec::new();
    let mut table = Vec::new();
    for variant in &def.variants {
        let vname = ident(&variant.name);
        let vdoc = doc_attrs(variant.doc.as_deref());
        let shape = shape_tokens(&variant.shape);
        match &variant.payload {
            Payload::Keyword(keyword) => {
                variants.push(quote!(#vdoc #vname,));
                table.push(quote!((#vname, #keyword, #shape)));
            }
            Payload::Type(ty) => {
                let ty = type_tokens(ty, None);
                variants.push(quote!(#vdoc #vname(#ty),));
                let decode = if variant.nested_union {
                    quote!(parse_known)
                } else {
                    quote!(parse)
                };
                table.push(quote!((#vname, #decode, #shape)));
            }
        }
    }
    let dispatch = match &def.dispatch {
        UnionDispatch::Tagged {
            property,
            values,
            absent,
        } => {
            let values = values.iter().map(|(value, indices)| {
                let indices = indices.iter().copied().map(unsuffixed);
                quote!((#value, &[#(#indices),*]))
            });
            let absent = absent.iter().copied().map(unsuffixed);
            quote!(u::Dispatch::Tagged {
                tag: #property,
                values: &[#(#values),*],
                absent: &[#(#absent),*],
            })
        }
        UnionDispatch::Untagged => quote!(u::Dispatch::Untagged),
    };
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variants)*
            /// A variant this version of the spec does not list, kept as sent.
            #catch_all(u::RawJson),
        }

        openai_runtime::union!(#name, #catch_all, #dispatch, [#(#table),*]);
    }
}

/// `3`, not `3usize`.
fn unsuffixed(index: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(index)
}

/// A runtime `union::Shape`.
fn shape_tokens(shape: &ShapeDef) -> TokenStream {
    match shape {
        ShapeDef::Null => quote!(u::Shape::Null),
        ShapeDef::Boolean => quote!(u::Shape::Boolean),
        ShapeDef::Integer => quote!(u::Shape::Integer),
        ShapeDef::Number => quote!(u::Shape::Number),
        ShapeDef::String => quote!(u::Shape::String),
        ShapeDef::StringIn(values) => quote!(u::Shape::StringIn(&[#(#values),*])),
        ShapeDef::Array => quote!(u::Shape::Array),
        ShapeDef::Object { required, closed } => {
            let closed = closed
                .iter()
                .map(|(key, values)| quote!((#key, &[#(#values),*])));
            quote!(u::Shape::Object {
                required: &[#(#required),*],
                closed: &[#(#closed),*],
            })
        }
        ShapeDef::Any => quote!(u::Shape::Any),
    }
}

/// A union in a multipart body (a file, files, or an object): written as
/// form parts, never decoded.
fn multipart_union(def: &UnionDef, api: &Api) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let mut variants = Vec::new();
    let mut parts = Vec::new();
    for variant in &def.variants {
        let vname = ident(&variant.name);
        let vdoc = doc_attrs(variant.doc.as_deref());
        match &variant.payload {
            Payload::Keyword(keyword) => {
                variants.push(quote!(#vdoc #vname,));
                parts.push(quote!(Self::#vname => form.text(name, #keyword),));
            }
            Payload::Type(ty) => {
                let tokens = type_tokens(ty, None);
                variants.push(quote!(#vdoc #vname(#tokens),));
                let add = match ty {
                    TypeRef::Binary => quote!(form.file(name, value.clone())),
                    TypeRef::Array(item) if **item == TypeRef::Binary => quote! {
                        value.iter().fold(form, |form, file| form.file(list_name, file.clone()))
                    },
                    TypeRef::String => quote!(form.text(name, value.clone())),
                    TypeRef::Named(n) if matches!(api.types.get(n), Some(TypeDef::Enum(_))) => {
                        quote!(form.text(name, value.to_string()))
                    }
                    _ => quote!(form.text(name, serde_json::json!(value).to_string())),
                };
                parts.push(quote!(Self::#vname(value) => #add,));
            }
        }
    }
    let variant_of = |wanted: &TypeRef| {
        def.variants.iter().find_map(|v| match &v.payload {
            Payload::Type(ty) if ty == wanted => Some(ident(&v.name)),
            _ => None,
        })
    };
    let one = variant_of(&TypeRef::Binary)
        .map(|v| quote!(if files.len() == 1 { return Ok(Self::#v(files.remove(0))); }));
    let list_name = match variant_of(&TypeRef::Array(Box::new(TypeRef::Binary))) {
        Some(_) => quote!(list_name),
        None => quote!(_list_name),
    };
    let many = match variant_of(&TypeRef::Array(Box::new(TypeRef::Binary))) {
        Some(v) => quote!(Ok(Self::#v(files))),
        None => quote!(Err(openai_runtime::Error::invalid_argument(
            name,
            "takes one file"
        ))),
    };
    quote! {
        #doc
        #[derive(Debug, Clone)]
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            /// The files at `paths` (read when the request is sent), as the
            /// field `name`: one file, or several where the field takes a list.
            pub fn from_paths(name: &str, paths: &[std::path::PathBuf]) -> openai_runtime::Result<Self> {
                let mut files = Vec::new();
                for path in paths {
                    let file = openai_runtime::FilePart::from_path(path).map_err(|err| {
                        openai_runtime::Error::invalid_argument(name, format!("{}: {err}", path.display()))
                    })?;
                    files.push(file);
                }
                #one
                #many
            }

            /// Adds this value to `form` as the field `name`; a list of
            /// files goes as one part per file, each named `list_name`
            /// (`name[]`).
            pub(crate) fn add_to(
                &self,
                form: openai_runtime::Multipart,
                name: &'static str,
                #list_name: &'static str,
            ) -> openai_runtime::Multipart {
                match self {
                    #(#parts)*
                }
            }
        }
    }
}

/// `to_pairs`: each header set, as sent (lists joined by commas).
fn header_pairs(def: &StructDef) -> TokenStream {
    let name = ident(&def.name);
    let pairs = def.fields.iter().map(|field| {
        let member = ident(&field.name);
        let header = &field.api_name;
        let text = match field.ty.non_null() {
            TypeRef::Array(_) => quote! {
                value.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
            },
            _ => quote!(value.to_string()),
        };
        if field.optional() {
            quote! {
                if let Some(value) = &self.#member {
                    pairs.push((#header, #text));
                }
            }
        } else {
            quote! {
                let value = &self.#member;
                pairs.push((#header, #text));
            }
        }
    });
    quote! {
        impl #name {
            /// These headers as sent: name and value, lists joined by commas.
            pub(crate) fn to_pairs(&self) -> Vec<(&'static str, String)> {
                let mut pairs = Vec::new();
                #(#pairs)*
                pairs
            }
        }
    }
}

fn model_const(def: &ConstDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let value = &def.value;
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct #name;

        openai_runtime::constant!(#name = #value);
    }
}

/// One resource's module: its handle, with its methods and the accessors of
/// its subresources (whose modules it holds); a top-level resource's also
/// adds its accessor to the client.
fn resources_module(resource: &Resource) -> TokenStream {
    let children: Vec<&str> = resource
        .subresources
        .iter()
        .map(|s| s.module.as_str())
        .collect();
    let children = flat_mods(&children);
    let models = (!resource.uses.is_empty()).then(|| {
        let root = supers(resource.module_path.len() + 1);
        let names = resource.uses.iter().map(|n| ident(n));
        quote!(use #root::models::{#(#names),*};)
    });
    let uses = if resource.operations.is_empty() {
        quote!(
            use crate::Client;
        )
    } else {
        let any_path_param = resource
            .operations
            .iter()
            .any(|op| op.params_of(ParamKind::Path).next().is_some());
        let encode = any_path_param.then(|| quote!(encode_path,));
        // `Result` is named by the methods that page or stream only.
        let result = resource
            .operations
            .iter()
            .any(|op| op.stream.is_some() || (op.page_item.is_some() && op.paging.is_some()))
            .then(|| quote!(, Result));
        quote! {
            use openai_runtime::{#encode Method, Request};
            use crate::{Client #result};
        }
    };
    let client_accessor = (resource.chain.len() == 1).then(|| {
        let accessor = accessor(resource, quote!(self));
        quote! {
            impl Client {
                #accessor
            }
        }
    });
    let handle = handle(resource);
    quote! {
        #children
        #models
        #uses

        #client_accessor

        #handle
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
    let methods = resource.operations.iter().map(operation);
    // A method's call borrows the client for `'c`.
    let impl_head = if resource.subresources.is_empty() && resource.operations.is_empty() {
        quote!(impl #name<'_>)
    } else {
        quote!(impl<'c> #name<'c>)
    };
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
    }
}

fn operation(op: &Operation) -> TokenStream {
    let mut text = op.doc.clone().unwrap_or_default();
    let params: Vec<String> = op
        .params_of(ParamKind::Path)
        .filter_map(|p| Some(format!("- `{}`: {}", p.name, p.doc.as_deref()?)))
        .collect();
    if !params.is_empty() {
        text = format!("{text}\n\n{}", params.join("\n"));
    }
    let doc = doc_attrs(Some(&text));
    let name = ident(&op.name);
    // The reply's type, and how the call reads it (JSON is the default).
    let (response, kind) = match &op.response {
        Response::Json(ty) => (type_tokens(ty, None), None),
        Response::NoBody => (quote!(()), Some(quote!(openai_runtime::call::Empty))),
        Response::Binary { .. } => (
            quote!(openai_runtime::ByteStream),
            Some(quote!(openai_runtime::call::Stream)),
        ),
        Response::Text { .. } => (quote!(String), Some(quote!(openai_runtime::call::Text))),
    };
    let kind = kind.map(|kind| quote!(, #kind));
    // The method's parameters, and the same names passed on.
    let mut args = Vec::new();
    let mut call = Vec::new();
    for param in op.params_of(ParamKind::Path) {
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
    if let Some(headers) = &op.headers_type {
        let ty = ident(headers);
        args.push(quote!(headers: &#ty));
        call.push(quote!(headers));
    }
    if let Some(body) = &op.body {
        let ty = ident(&body.type_name);
        args.push(quote!(params: &#ty));
        call.push(quote!(params));
    }
    let path = path_expr(op);
    let method = format_ident!("{}", op.method.constant());
    let fixed = op
        .fixed_query
        .iter()
        .map(|(key, value)| quote!(.query_pair(#key, #value)));
    let fixed = quote!(#(#fixed)*);
    let query = op.query_type.as_ref().map(|_| quote!(.query(query)?));
    let accept = match &op.response {
        Response::Binary { accept } | Response::Text { accept } => {
            Some(quote!(.header("accept", #accept)?))
        }
        Response::Json(_) | Response::NoBody => None,
    };
    let body = op.body.as_ref().map(|body| match body.kind {
        BodyKind::Json => quote!(.json(params)?),
        BodyKind::Multipart => quote!(.multipart(params.to_multipart())),
    });
    let conflicts = (!op.retry_conflicts).then(|| quote!(.retry_conflicts(false)));
    let admin = op.admin.then(|| quote!(.admin()));
    let chain = quote!(#fixed #query #accept #body #conflicts #admin);
    let request = match (&op.headers_type, chain.is_empty()) {
        (Some(_), _) => quote! {
            let mut request = Request::new(Method::#method, path) #chain;
            for (name, value) in headers.to_pairs() {
                request = request.header(name, &value)?;
            }
        },
        (None, false) => quote!(let request = Request::new(Method::#method, path) #chain;),
        (None, true) => quote!(let request = Request::new(Method::#method, path);),
    };
    let stream = op.stream.as_ref().map(|stream| {
        let method = format_ident!("{}_stream", op.name);
        let event = type_tokens(&stream.event, None);
        // The body's `stream` field, set to `true` on the way out.
        let on = match (&stream.switch, op.body.as_ref().map(|b| b.kind)) {
            (Some(field), Some(BodyKind::Json)) => quote!(let request = request.json_field(#field, true)?;),
            (Some(field), Some(BodyKind::Multipart)) => {
                quote!(let request = request.multipart(params.to_multipart().text(#field, "true"));)
            }
            _ => quote!(),
        };
        let see = format!(
            " Like [`{}::{}`], as a stream of the server's events, each decoded as it comes.",
            op.resource_type, op.name
        );
        quote! {
            #[doc = #see]
            pub async fn #method(self, #(#args),*) -> Result<openai_runtime::sse::JsonStream<#event>> {
                #path
                #request
                #on
                self.client.stream_json(request).await
            }
        }
    });
    let pages = op.page_item.as_ref().zip(op.paging.as_ref()).map(|(item, paging)| {
        let all = format_ident!("{}_all", op.name);
        let pages = format_ident!("{}_pages", op.name);
        let item = type_tokens(item, None);
        let style = match paging {
            Paging::After { param } => quote!(openai_runtime::paging::Style::After { param: #param.into() }),
            Paging::LastId { param, field } => quote!(openai_runtime::paging::Style::last_id(#param, #field)),
            Paging::Token { param, field } => quote!(openai_runtime::paging::Style::next_token(#param, #field)),
            Paging::Single => quote!(openai_runtime::paging::Style::Single),
        };
        let see_pages = format!(
            " Every page of [`{}::{}`], each asked for only when the one before it is used up.",
            op.resource_type, op.name
        );
        let see_all = format!(
            " Every item of [`{}::{}`], page after page: a page is asked for only when the items before it are used up.",
            op.resource_type, op.name
        );
        quote! {
            #[doc = #see_pages]
            pub fn #pages(self, #(#args),*) -> Result<openai_runtime::paging::Pages<#item>> {
                #path
                #request
                Ok(openai_runtime::paging::pages(self.client, request, #style))
            }

            #[doc = #see_all]
            pub fn #all(self, #(#args),*) -> Result<openai_runtime::paging::Items<#item>> {
                self.#pages(#(#call),*).map(openai_runtime::paging::Pages::items)
            }
        }
    });
    quote! {
        #stream
        #pages

        #doc
        pub fn #name(self, #(#args),*) -> openai_runtime::Call<'c, #response #kind> {
            // By its path: a model may be named `Call`.
            openai_runtime::Call::new(self.client, || {
                #path
                #request
                Ok(request)
            })
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
