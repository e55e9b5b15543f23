//! IR -> the CLI's `commands.rs`: a clap subcommand tree and its dispatch.

use std::collections::BTreeMap;

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::*;
use crate::names::{kebab, singular};
use crate::render::{doc_attrs, ident, type_tokens};

/// `commands.rs`. `library` is the path of the library crate, e.g.
/// `openai_uploads`.
pub fn commands(api: &Api, library: &TokenStream) -> TokenStream {
    let variants = api.resources.iter().map(group_variant);
    let arms = api.resources.iter().map(group_arm);
    let items = api
        .resources
        .iter()
        .map(|r| resource(api, r, library, &[], &[]));
    quote! {
        use #library::{ApiResponse, Client, Result};

        /// The API's resources, one subcommand group each.
        #[derive(Debug, clap::Subcommand)]
        pub enum Resource {
            #(#variants)*
        }

        impl Resource {
            /// Sends the request this command names and returns the decoded reply as JSON.
            pub async fn run(self, client: &Client) -> Result<ApiResponse<serde_json::Value>> {
                match self {
                    #(#arms)*
                }
            }
        }

        #(#items)*
    }
}

fn command_type(resource: &Resource) -> proc_macro2::Ident {
    format_ident!("{}Command", resource.type_name)
}

fn variant_name(name: &str) -> proc_macro2::Ident {
    ident(&crate::names::camel(name))
}

fn group_variant(resource: &Resource) -> TokenStream {
    let doc = doc_attrs(Some(&resource.doc));
    let variant = variant_name(&resource.api_name);
    let ty = command_type(resource);
    let cli = &resource.cli_name;
    quote! {
        #doc
        #[command(name = #cli, subcommand)]
        #variant(#ty),
    }
}

fn group_arm(resource: &Resource) -> TokenStream {
    let variant = variant_name(&resource.api_name);
    quote!(Self::#variant(command) => command.run(client).await,)
}

/// The subcommand enum of one resource, its argument structs, and those of
/// its subresources. `chain` is the accessor path from the client.
fn resource<'a>(
    api: &Api,
    resource: &'a Resource,
    library: &TokenStream,
    chain: &[&'a str],
    cli_chain: &[&'a str],
) -> TokenStream {
    let mut chain = chain.to_vec();
    chain.push(&resource.name);
    let mut cli_chain = cli_chain.to_vec();
    cli_chain.push(&resource.cli_name);
    let doc = doc_attrs(Some(&resource.doc));
    let ty = command_type(resource);
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut items = Vec::new();
    for op in &resource.operations {
        let op_doc = doc_attrs(op.doc.as_deref());
        let variant = variant_name(&op.name);
        let args = format_ident!("{}{}Args", resource.type_name, variant);
        let cli = &op.cli_name;
        variants.push(quote! {
            #op_doc
            #[command(name = #cli)]
            #variant(#args),
        });
        arms.push(quote!(Self::#variant(args) => args.run(client).await,));
        items.push(arguments(api, op, &args, library, &chain, &cli_chain));
    }
    for sub in &resource.subresources {
        variants.push(group_variant(sub));
        arms.push(group_arm(sub));
        items.push(self::resource(api, sub, library, &chain, &cli_chain));
    }
    quote! {
        #doc
        #[derive(Debug, clap::Subcommand)]
        pub enum #ty {
            #(#variants)*
        }

        impl #ty {
            /// Sends the request this command names and returns the decoded reply as JSON.
            pub async fn run(self, client: &Client) -> Result<ApiResponse<serde_json::Value>> {
                match self {
                    #(#arms)*
                }
            }
        }

        #(#items)*
    }
}

/// How a value of some type is taken from the command line.
enum Flag {
    /// Parsed by clap as this Rust type, then used as is.
    Plain(TokenStream),
    /// Taken as a string and converted with `From<&str>` (open enums).
    Enum(TokenStream),
    /// Parsed from JSON text into this type.
    Json(TokenStream),
    /// A constant: nothing to take.
    Skip,
}

fn flag_kind(ty: &TypeRef, types: &BTreeMap<String, TypeDef>, library: &TokenStream) -> Flag {
    match ty {
        TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean => {
            Flag::Plain(type_tokens(ty, None))
        }
        TypeRef::Named(name) => match types.get(name) {
            Some(TypeDef::Enum(_)) => Flag::Enum(type_tokens(ty, Some(library))),
            Some(TypeDef::Const(_)) => Flag::Skip,
            _ => Flag::Json(type_tokens(ty, Some(library))),
        },
        TypeRef::Nullable(inner) => flag_kind(inner, types, library),
        _ => Flag::Json(type_tokens(ty, Some(library))),
    }
}

/// The `Args` struct of one method, and its `run`.
fn arguments(
    api: &Api,
    op: &Operation,
    args_ty: &proc_macro2::Ident,
    library: &TokenStream,
    chain: &[&str],
    cli_chain: &[&str],
) -> TokenStream {
    let mut fields = Vec::new();
    let mut groups = Vec::new();
    let mut setup = Vec::new();
    let mut call = Vec::new();
    for param in op.params.iter().filter(|p| p.kind == ParamKind::Path) {
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
        let group = format!("{}_group", param.name);
        // One group per path parameter: exactly one of the two forms, and
        // clap's usage line shows both (`<--upload-id <ID>|ID>`).
        groups.push(quote! {
            #[command(group(clap::ArgGroup::new(#group).required(true).args([#name_id, #positional_id])))]
        });
        fields.push(quote! {
            #doc
            #[arg(long = #flag, value_name = #value_name)]
            pub #name: Option<#ty>,
            #[doc = #positional_doc]
            #[arg(value_name = #value_name)]
            pub #positional: Option<#ty>,
        });
        let value = match param.ty {
            TypeRef::String => quote!(&#name),
            _ => quote!(#name),
        };
        setup.push(quote! {
            let #name = self.#name.or(self.#positional).unwrap_or_default();
        });
        call.push(value);
    }
    if let Some(query) = &op.query_type {
        let query_ty = ident(query);
        let mut inits = Vec::new();
        for param in op.params.iter().filter(|p| p.kind == ParamKind::Query) {
            let (field, init) = flag_field(
                param.name.as_str(),
                &param.api_name,
                &param.ty,
                param.doc.as_deref(),
                param.required,
                &api.types,
                library,
            );
            fields.extend(field);
            inits.push(init);
        }
        setup.push(quote! {
            let query = #library::#query_ty { #(#inits)* };
        });
        call.push(quote!(&query));
    }
    if let Some(body) = &op.body {
        let Some(TypeDef::Struct(def)) = api.types.get(&body.type_name) else {
            unreachable!("lowering checks that bodies are structs")
        };
        let body_ty = ident(&body.type_name);
        let mut inserts = Vec::new();
        for field in &def.fields {
            let (flag, insert) = body_flag(field, &api.types, library);
            fields.extend(flag);
            inserts.extend(insert);
        }
        setup.push(quote! {
            let mut body = serde_json::Map::new();
            #(#inserts)*
            let params: #library::#body_ty = serde_json::from_value(serde_json::Value::Object(body))
                .map_err(|e| #library::Error::InvalidArgument { name: "body".to_owned(), reason: e.to_string() })?;
        });
        call.push(quote!(&params));
    }
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
        pub struct #args_ty {
            #(#fields)*
        }

        impl #args_ty {
            /// Sends the request and returns the decoded reply as JSON.
            pub async fn run(self, client: &Client) -> Result<ApiResponse<serde_json::Value>> {
                #(#setup)*
                client #(.#accessors())* .#method(#(#call),*).await.map(ApiResponse::into_json)
            }
        }
    }
}

/// A query parameter's flag, and the field initializer for the query struct.
fn flag_field(
    name: &str,
    api_name: &str,
    ty: &TypeRef,
    doc: Option<&str>,
    required: bool,
    types: &BTreeMap<String, TypeDef>,
    library: &TokenStream,
) -> (Option<TokenStream>, TokenStream) {
    let field = ident(name);
    let flag = kebab(api_name);
    let doc = doc_attrs(doc);
    let value_name = api_name.to_shouty_snake_case();
    let wrap = |value: TokenStream| {
        if required {
            value
        } else {
            quote!(self.#field.map(|v| #value))
        }
    };
    let (arg_ty, init, attr) = match flag_kind(ty, types, library) {
        Flag::Plain(t) => (t, quote!(self.#field), quote!()),
        Flag::Enum(t) => (quote!(String), wrap(quote!(#t::from(v.as_str()))), quote!()),
        Flag::Json(t) => (
            t.clone(),
            quote!(self.#field),
            quote!(, value_parser = |s: &str| serde_json::from_str::<#t>(s).map_err(|e| e.to_string())),
        ),
        Flag::Skip => return (None, quote!(#field: Default::default(),)),
    };
    let init = if required {
        match flag_kind(ty, types, library) {
            Flag::Enum(t) => quote!(#t::from(self.#field.as_str())),
            _ => init,
        }
    } else {
        init
    };
    let (arg_ty, required_attr) = if required {
        (arg_ty, quote!(, required = true))
    } else {
        (quote!(Option<#arg_ty>), quote!())
    };
    (
        Some(quote! {
            #doc
            #[arg(long = #flag, value_name = #value_name #required_attr #attr)]
            pub #field: #arg_ty,
        }),
        quote!(#field: #init,),
    )
}

/// A body field's flag(s), and the statement that puts the value in the
/// JSON body. Arrays of plain values repeat a singular flag; objects of plain
/// values get one `--field.sub` flag each; anything else is JSON text.
fn body_flag(
    field: &Field,
    types: &BTreeMap<String, TypeDef>,
    library: &TokenStream,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let api = &field.api_name;
    let doc = doc_attrs(field.doc.as_deref());
    let name = ident(&field.name);
    let value_name = api.to_shouty_snake_case();
    let inner = match &field.ty {
        TypeRef::Nullable(inner) => inner.as_ref(),
        other => other,
    };
    if let TypeRef::Array(item) = inner
        && let Flag::Plain(t) | Flag::Enum(t) = flag_kind(item, types, library)
    {
        {
            let t = if matches!(flag_kind(item, types, library), Flag::Enum(_)) {
                quote!(String)
            } else {
                t
            };
            let flag = kebab(&singular(api));
            let value_name = singular(api).to_shouty_snake_case();
            return (
                vec![quote! {
                    #doc
                    #[arg(long = #flag, value_name = #value_name)]
                    pub #name: Vec<#t>,
                }],
                vec![quote! {
                    if !self.#name.is_empty() {
                        body.insert(#api.to_owned(), serde_json::json!(self.#name));
                    }
                }],
            );
        }
    }
    if let TypeRef::Named(type_name) = inner
        && let Some(TypeDef::Struct(def)) = types.get(type_name)
    {
        {
            let plain = def.fields.iter().all(|f| {
                matches!(
                    flag_kind(&f.ty, types, library),
                    Flag::Plain(_) | Flag::Enum(_) | Flag::Skip
                )
            });
            if plain {
                let mut flags = Vec::new();
                let mut sets = Vec::new();
                for sub in &def.fields {
                    if matches!(flag_kind(&sub.ty, types, library), Flag::Skip) {
                        continue;
                    }
                    let sub_api = &sub.api_name;
                    let flag = format!("{}.{}", kebab(api), kebab(sub_api));
                    let sub_name = format_ident!("{}_{}", field.name, sub.name);
                    let sub_doc = doc_attrs(sub.doc.as_deref());
                    let sub_value = sub_api.to_shouty_snake_case();
                    let t = match flag_kind(&sub.ty, types, library) {
                        Flag::Plain(t) => t,
                        _ => quote!(String),
                    };
                    flags.push(quote! {
                        #sub_doc
                        #[arg(long = #flag, value_name = #sub_value)]
                        pub #sub_name: Option<#t>,
                    });
                    sets.push(quote! {
                        if let Some(value) = self.#sub_name {
                            object.insert(#sub_api.to_owned(), serde_json::json!(value));
                        }
                    });
                }
                return (
                    flags,
                    vec![quote! {
                        let mut object = serde_json::Map::new();
                        #(#sets)*
                        if !object.is_empty() {
                            body.insert(#api.to_owned(), serde_json::Value::Object(object));
                        }
                    }],
                );
            }
        }
    }
    let flag = kebab(api);
    let (t, attr) = match flag_kind(&field.ty, types, library) {
        Flag::Plain(t) => (t, quote!()),
        Flag::Enum(_) => (quote!(String), quote!()),
        Flag::Skip => return (Vec::new(), Vec::new()),
        Flag::Json(_) => (
            quote!(serde_json::Value),
            quote!(, value_parser = |s: &str| serde_json::from_str::<serde_json::Value>(s).map_err(|e| e.to_string())),
        ),
    };
    (
        vec![quote! {
            #doc
            #[arg(long = #flag, value_name = #value_name #attr)]
            pub #name: Option<#t>,
        }],
        vec![quote! {
            if let Some(value) = self.#name {
                body.insert(#api.to_owned(), serde_json::json!(value));
            }
        }],
    )
}
