//! IR -> the CLI's `commands.rs`: a clap subcommand tree and its dispatch.
//!
//! Path parameters are `--flag` or positional. Query and body fields are
//! flags: plain values as is, open enums as strings, arrays of plain values
//! as a repeated singular flag, objects of plain values as `--field.sub`,
//! files (multipart) as a path, and anything else as JSON text. A JSON body
//! may also come whole from stdin; flags override its fields.

use heck::ToShoutySnakeCase;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::ir::*;
use crate::names::{camel, kebab, singular};
use crate::render::{doc_attrs, ident, type_tokens};

const RUN_DOC: &str = " Sends the request this command names and returns the decoded reply as JSON. `body` is a JSON body read from stdin, for commands that take one.";
const TAKES_BODY_DOC: &str =
    " Whether this command sends a JSON body, which may then come from stdin.";

/// `commands.rs`. `library` is the path of the library crate, e.g.
/// `openai_uploads`.
pub fn commands(api: &Api, library: &TokenStream) -> TokenStream {
    let renderer = Gen { api, library };
    let group = renderer.group(
        &format_ident!("Resource"),
        Some(" The API's resources, one subcommand group each."),
        api.resources
            .iter()
            .map(|r| (renderer.group_variant(r), variant(&r.api_name)))
            .collect(),
    );
    let items = api.resources.iter().map(|r| renderer.resource(r, &[], &[]));
    quote! {
        use #library::{ApiResponse, Client, Result};

        #group

        #(#items)*
    }
}

struct Gen<'a> {
    api: &'a Api,
    library: &'a TokenStream,
}

fn variant(name: &str) -> Ident {
    ident(&camel(name))
}

fn command_type(resource: &Resource) -> Ident {
    format_ident!("{}Command", resource.type_name)
}

impl Gen<'_> {
    fn group_variant(&self, resource: &Resource) -> TokenStream {
        let doc = doc_attrs(Some(&resource.doc));
        let name = variant(&resource.api_name);
        let ty = command_type(resource);
        let cli = &resource.cli_name;
        quote! {
            #doc
            #[command(name = #cli, subcommand)]
            #name(#ty),
        }
    }

    /// A subcommand enum with `takes_body` and `run` that delegate to the
    /// chosen variant.
    fn group(
        &self,
        ty: &Ident,
        doc: Option<&str>,
        variants: Vec<(TokenStream, Ident)>,
    ) -> TokenStream {
        let doc = doc.map(|d| quote!(#[doc = #d]));
        let (decls, names): (Vec<_>, Vec<_>) = variants.into_iter().unzip();
        quote! {
            #doc
            #[derive(Debug, clap::Subcommand)]
            pub enum #ty {
                #(#decls)*
            }

            impl #ty {
                #[doc = #TAKES_BODY_DOC]
                pub fn takes_body(&self) -> bool {
                    match self {
                        #(Self::#names(command) => command.takes_body(),)*
                    }
                }

                #[doc = #RUN_DOC]
                pub async fn run(
                    self,
                    client: &Client,
                    body: Option<serde_json::Value>,
                ) -> Result<ApiResponse<serde_json::Value>> {
                    match self {
                        #(Self::#names(command) => command.run(client, body).await,)*
                    }
                }
            }
        }
    }

    /// One resource's subcommand enum, its argument structs, and those of its
    /// subresources. `chain` is the accessor path from the client.
    fn resource(&self, resource: &Resource, chain: &[&str], cli_chain: &[&str]) -> TokenStream {
        let mut chain = chain.to_vec();
        chain.push(&resource.name);
        let mut cli_chain = cli_chain.to_vec();
        cli_chain.push(&resource.cli_name);
        let mut variants = Vec::new();
        let mut items = Vec::new();
        for op in &resource.operations {
            let doc = doc_attrs(op.doc.as_deref());
            let name = variant(&op.name);
            let args = format_ident!("{}{}Args", resource.type_name, name);
            let cli = &op.cli_name;
            // The summary is the short help in command lists; the whole
            // description stays the long help (`--help`).
            let about = op.summary.as_ref().map(|s| quote!(, about = #s));
            variants.push((
                quote! {
                    #doc
                    #[command(name = #cli #about)]
                    #name(#args),
                },
                name,
            ));
            items.push(self.arguments(op, &args, &chain, &cli_chain));
        }
        for sub in &resource.subresources {
            variants.push((self.group_variant(sub), variant(&sub.api_name)));
            items.push(self.resource(sub, &chain, &cli_chain));
        }
        let doc = format!(" {}", resource.doc);
        let group = self.group(&command_type(resource), Some(&doc), variants);
        quote! {
            #group

            #(#items)*
        }
    }

    /// The `Args` struct of one method, with its `takes_body` and `run`.
    fn arguments(
        &self,
        op: &Operation,
        ty: &Ident,
        chain: &[&str],
        cli_chain: &[&str],
    ) -> TokenStream {
        let mut fields = Vec::new();
        let mut groups = Vec::new();
        let mut setup = Vec::new();
        let mut call = Vec::new();
        for param in op.params.iter().filter(|p| p.kind == ParamKind::Path) {
            let (field, group, value) = path_param(param);
            fields.push(field);
            groups.push(group);
            let name = ident(&param.name);
            setup.push(quote!(let #name = self.#name.or(self.#value).unwrap_or_default();));
            call.push(match param.ty {
                TypeRef::String => quote!(&#name),
                _ => quote!(#name),
            });
        }
        if let Some(query) = &op.query_type {
            let library = self.library;
            let query_ty = ident(query);
            let mut inits = Vec::new();
            for param in op.params.iter().filter(|p| p.kind == ParamKind::Query) {
                let (field, init) = self.query_flag(param);
                fields.extend(field);
                inits.push(init);
            }
            setup.push(quote!(let query = #library::#query_ty { #(#inits)* };));
            call.push(quote!(&query));
        }
        let mut takes_body = false;
        if let Some(body) = &op.body {
            let Some(TypeDef::Struct(def)) = self.api.types.get(&body.type_name) else {
                unreachable!("lowering checks that bodies are structs")
            };
            let (body_fields, body_setup) = match body.kind {
                BodyKind::Json => {
                    takes_body = true;
                    self.json_body(def)
                }
                BodyKind::Multipart => self.multipart_body(def),
            };
            fields.extend(body_fields);
            setup.push(body_setup);
            call.push(quote!(&params));
        }
        let body_arg = if takes_body {
            quote!(body)
        } else {
            quote!(_body)
        };
        let accessors = chain.iter().map(|a| ident(a));
        let method = format_ident!("{}_with_response", op.name);
        let doc = format!(
            " Arguments of `openai {} {}`.",
            cli_chain.join(" "),
            op.cli_name
        );
        quote! {
            #[doc = #doc]
            #[derive(Debug, clap::Args)]
            #(#groups)*
            pub struct #ty {
                #(#fields)*
            }

            impl #ty {
                #[doc = #TAKES_BODY_DOC]
                pub fn takes_body(&self) -> bool {
                    #takes_body
                }

                #[doc = #RUN_DOC]
                pub async fn run(
                    self,
                    client: &Client,
                    #body_arg: Option<serde_json::Value>,
                ) -> Result<ApiResponse<serde_json::Value>> {
                    #(#setup)*
                    client #(.#accessors())* .#method(#(#call),*).await.map(ApiResponse::into_json)
                }
            }
        }
    }

    /// A query parameter's flag, and its initializer in the query struct.
    fn query_flag(&self, param: &Parameter) -> (Option<TokenStream>, TokenStream) {
        let name = ident(&param.name);
        let doc = doc_attrs(param.doc.as_deref());
        let flag = kebab(&param.api_name);
        let value_name = param.api_name.to_shouty_snake_case();
        let required = param.required.then(|| quote!(, required = true));
        let (arg_ty, parser, convert) = match self.kind(&param.ty) {
            Kind::Plain(t) => (t, None, None),
            Kind::Enum(t) => (quote!(String), None, Some(quote!(#t::from(v.as_str())))),
            Kind::Const(_) => return (None, quote!(#name: Default::default(),)),
            Kind::Json(t) => (t.clone(), Some(json_parser(&t)), None),
        };
        let (field_ty, init) = match (param.required, convert) {
            (true, None) => (arg_ty, quote!(self.#name)),
            (true, Some(c)) => (arg_ty, quote!({ let v = self.#name; #c })),
            (false, None) => (quote!(Option<#arg_ty>), quote!(self.#name)),
            (false, Some(c)) => (quote!(Option<#arg_ty>), quote!(self.#name.map(|v| #c))),
        };
        (
            Some(quote! {
                #doc
                #[arg(long = #flag, value_name = #value_name #required #parser)]
                pub #name: #field_ty,
            }),
            quote!(#name: #init,),
        )
    }

    /// Flags for a JSON body's fields, and the code that merges them over
    /// the body from stdin and decodes the result.
    fn json_body(&self, def: &StructDef) -> (Vec<TokenStream>, TokenStream) {
        let library = self.library;
        let body_ty = ident(&def.name);
        let mut fields = Vec::new();
        let mut inserts = Vec::new();
        for field in &def.fields {
            let (flags, insert) = self.body_field(field);
            fields.extend(flags);
            inserts.extend(insert);
        }
        let setup = quote! {
            let mut body = match body {
                None => serde_json::Map::new(),
                Some(serde_json::Value::Object(map)) => map,
                Some(_) => {
                    return Err(#library::Error::InvalidArgument {
                        name: "body".to_owned(),
                        reason: "the body on stdin must be a JSON or YAML object".to_owned(),
                    });
                }
            };
            #(#inserts)*
            let params: #library::#body_ty = serde_json::from_value(serde_json::Value::Object(body))
                .map_err(|e| #library::Error::InvalidArgument {
                    name: "body".to_owned(),
                    reason: format!("{e}; give it as a flag or in a JSON or YAML body on stdin"),
                })?;
        };
        (fields, setup)
    }

    /// One JSON body field: its flags, and the statement that puts the value
    /// in `body`.
    fn body_field(&self, field: &Field) -> (Vec<TokenStream>, Option<TokenStream>) {
        let api = &field.api_name;
        let doc = doc_attrs(field.doc.as_deref());
        let name = ident(&field.name);
        let inner = match &field.ty {
            TypeRef::Nullable(inner) => inner.as_ref(),
            other => other,
        };
        if let TypeRef::Array(item) = inner
            && let Kind::Plain(_) | Kind::Enum(_) = self.kind(item)
        {
            let item_ty = match self.kind(item) {
                Kind::Plain(t) => t,
                _ => quote!(String),
            };
            let flag = kebab(&singular(api));
            let value_name = singular(api).to_shouty_snake_case();
            let flags = vec![quote! {
                #doc
                #[arg(long = #flag, value_name = #value_name)]
                pub #name: Vec<#item_ty>,
            }];
            let insert = quote! {
                if !self.#name.is_empty() {
                    body.insert(#api.to_owned(), serde_json::json!(self.#name));
                }
            };
            return (flags, Some(insert));
        }
        if let TypeRef::Named(type_name) = inner
            && let Some(TypeDef::Struct(def)) = self.api.types.get(type_name)
            && def
                .fields
                .iter()
                .all(|f| !matches!(self.kind(&f.ty), Kind::Json(_)))
        {
            return self.object_flags(field, def);
        }
        let flag = kebab(api);
        let value_name = api.to_shouty_snake_case();
        let (arg_ty, parser) = match self.kind(&field.ty) {
            Kind::Plain(t) => (t, None),
            Kind::Enum(_) => (quote!(String), None),
            Kind::Const(_) => return (Vec::new(), None),
            Kind::Json(_) => {
                let value = quote!(serde_json::Value);
                (value.clone(), Some(json_parser(&value)))
            }
        };
        let flags = vec![quote! {
            #doc
            #[arg(long = #flag, value_name = #value_name #parser)]
            pub #name: Option<#arg_ty>,
        }];
        let insert = quote! {
            if let Some(value) = self.#name {
                body.insert(#api.to_owned(), serde_json::json!(value));
            }
        };
        (flags, Some(insert))
    }

    /// `--field.sub` flags for an object of plain values; given ones are
    /// merged into the object from stdin, if any.
    fn object_flags(
        &self,
        field: &Field,
        def: &StructDef,
    ) -> (Vec<TokenStream>, Option<TokenStream>) {
        let api = &field.api_name;
        let mut flags = Vec::new();
        let mut names = Vec::new();
        let mut sets = Vec::new();
        for sub in &def.fields {
            let sub_api = &sub.api_name;
            let flag = format!("{}.{}", kebab(api), kebab(sub_api));
            let name = format_ident!("{}_{}", field.name, sub.name);
            let doc = doc_attrs(sub.doc.as_deref());
            let value_name = sub_api.to_shouty_snake_case();
            let (arg_ty, parser) = match self.kind(&sub.ty) {
                Kind::Plain(t) => (t, None),
                Kind::Enum(_) => (quote!(String), None),
                Kind::Const(value) => (quote!(String), Some(quote!(, value_parser = [#value]))),
                Kind::Json(_) => unreachable!("checked by the caller"),
            };
            flags.push(quote! {
                #doc
                #[arg(long = #flag, value_name = #value_name #parser)]
                pub #name: Option<#arg_ty>,
            });
            sets.push(quote! {
                if let Some(value) = self.#name {
                    object.insert(#sub_api.to_owned(), serde_json::json!(value));
                }
            });
            names.push(name);
        }
        let insert = quote! {
            if #(self.#names.is_some())||* {
                let mut object = match body.remove(#api) {
                    Some(serde_json::Value::Object(object)) => object,
                    _ => serde_json::Map::new(),
                };
                #(#sets)*
                body.insert(#api.to_owned(), serde_json::Value::Object(object));
            }
        };
        (flags, Some(insert))
    }

    /// Flags for a multipart body: files are paths, streamed when sent.
    fn multipart_body(&self, def: &StructDef) -> (Vec<TokenStream>, TokenStream) {
        let library = self.library;
        let body_ty = ident(&def.name);
        let mut fields = Vec::new();
        let mut setup = Vec::new();
        let mut inits = Vec::new();
        for field in &def.fields {
            let api = &field.api_name;
            let name = ident(&field.name);
            let doc = doc_attrs(field.doc.as_deref());
            let flag = kebab(api);
            let optional = !field.required || matches!(field.ty, TypeRef::Nullable(_));
            let inner = match &field.ty {
                TypeRef::Nullable(inner) => inner.as_ref(),
                other => other,
            };
            let required = (!optional).then(|| quote!(, required = true));
            let (arg_ty, value_name, parser, convert) = match inner {
                TypeRef::Binary => {
                    let open = quote! {
                        #library::FilePart::from_path(&v).map_err(|e| #library::Error::InvalidArgument {
                            name: #api.to_owned(),
                            reason: format!("{}: {e}", v.display()),
                        })?
                    };
                    (
                        quote!(std::path::PathBuf),
                        "PATH".to_owned(),
                        None,
                        Some(open),
                    )
                }
                other => match self.kind(other) {
                    Kind::Plain(t) => (t, api.to_shouty_snake_case(), None, None),
                    Kind::Enum(t) => (
                        quote!(String),
                        api.to_shouty_snake_case(),
                        None,
                        Some(quote!(#t::from(v.as_str()))),
                    ),
                    Kind::Const(_) => {
                        inits.push(quote!(#name: Default::default(),));
                        continue;
                    }
                    Kind::Json(t) => (
                        t.clone(),
                        api.to_shouty_snake_case(),
                        Some(json_parser(&t)),
                        None,
                    ),
                },
            };
            fields.push(quote! {
                #doc
                #[arg(long = #flag, value_name = #value_name #required #parser)]
                pub #name: Option<#arg_ty>,
            });
            let value = match (&convert, optional) {
                (None, true) => quote!(self.#name),
                (None, false) => quote!(self.#name.unwrap_or_default()),
                // A file conversion can fail (`?`), which a closure cannot pass on.
                (Some(c), true) if matches!(inner, TypeRef::Binary) => {
                    quote!(match self.#name { Some(v) => Some(#c), None => None })
                }
                (Some(c), true) => quote!(self.#name.map(|v| #c)),
                (Some(c), false) => quote!({ let v = self.#name.unwrap_or_default(); #c }),
            };
            setup.push(quote!(let #name = #value;));
            inits.push(quote!(#name,));
        }
        let setup = quote! {
            #(#setup)*
            let params = #library::#body_ty { #(#inits)* };
        };
        (fields, setup)
    }

    fn kind(&self, ty: &TypeRef) -> Kind {
        let library = self.library;
        match ty {
            TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean => {
                Kind::Plain(type_tokens(ty, None))
            }
            TypeRef::Named(name) => match self.api.types.get(name) {
                Some(TypeDef::Enum(_)) => Kind::Enum(type_tokens(ty, Some(library))),
                Some(TypeDef::Const(c)) => Kind::Const(c.value.clone()),
                _ => Kind::Json(type_tokens(ty, Some(library))),
            },
            TypeRef::Nullable(inner) => self.kind(inner),
            _ => Kind::Json(type_tokens(ty, Some(library))),
        }
    }
}

/// How a value of some type is taken from the command line.
enum Kind {
    /// Parsed by clap as this Rust type.
    Plain(TokenStream),
    /// An open enum: taken as a string, converted with `From<&str>`.
    Enum(TokenStream),
    /// A constant with this value: never needed, as the model fills it in.
    Const(String),
    /// Parsed from JSON text into this type.
    Json(TokenStream),
}

fn json_parser(ty: &TokenStream) -> TokenStream {
    quote!(, value_parser = |s: &str| serde_json::from_str::<#ty>(s).map_err(|e| e.to_string()))
}

/// A path parameter as `--flag` or positional, exactly one of them: the two
/// fields, the group, and the positional field's name.
fn path_param(param: &Parameter) -> (TokenStream, TokenStream, Ident) {
    let name = ident(&param.name);
    let positional = format_ident!("{}_arg", param.name);
    let flag = kebab(&param.api_name);
    let value_name = param.api_name.to_shouty_snake_case();
    let ty = type_tokens(&param.ty, None);
    let doc = doc_attrs(param.doc.as_deref());
    let summary = param
        .doc
        .as_deref()
        .and_then(|d| d.lines().next())
        .map(|line| line.trim_end_matches('.').to_owned())
        .unwrap_or_else(|| format!("The {}", param.api_name));
    let positional_doc = format!(" {summary} (the same as --{flag}).");
    let (positional_id, name_id) = (positional.to_string(), name.to_string());
    let group_id = format!("{}_group", param.name);
    // Exactly one of the two forms; clap's usage line then shows both
    // (`<--upload-id <UPLOAD_ID>|UPLOAD_ID>`).
    let group = quote! {
        #[command(group(clap::ArgGroup::new(#group_id).required(true).args([#name_id, #positional_id])))]
    };
    let fields = quote! {
        #doc
        #[arg(long = #flag, value_name = #value_name)]
        pub #name: Option<#ty>,
        #[doc = #positional_doc]
        #[arg(value_name = #value_name)]
        pub #positional: Option<#ty>,
    };
    (fields, group, positional)
}
