//! IR -> the CLI's `commands/`: a clap subcommand tree, one module per
//! top-level resource, printed from the IR's flag plan. What every command
//! shares (merging flags with stdin, checking required values) is the
//! runtime's `cli::Input`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::ir::*;
use crate::render::{Unit, doc_attrs, ident, type_tokens};

/// The contract of `run`, documented once on the top-level enum.
const RUN_DOC: &str = "\
Sends the request the chosen command names, and returns the reply: a body
to print, none, or a download to write.

`input` starts as the JSON or YAML object read from stdin, if any (read
only when `reads_stdin` says so), and says how file flags are opened:
the command's flags go over it, flags winning; keys of path and query
parameters fill those parameters and never reach the body. Required values
are checked after that merge, and every missing one is named in one
`InvalidArgument` error.";

const READS_STDIN_DOC: &str = "\
Whether the chosen command reads a JSON or YAML object from stdin (any
command with parameters or a body does), to start the `input` of `run`.";

/// The module doc of `commands/mod.rs`.
const ROOT_DOC: &str = "\
The `openai` subcommands of the API's resources: one module per resource.

Every command enum and arguments struct has `reads_stdin` and `run`; the
caller reads stdin when told to, builds an `openai_runtime::cli::Input`
from it, and passes that to `run` (see [`Resource::run`]).";

/// Every file of the CLI's generated folder. `library` is the path of the
/// library crate, e.g. `openai_uploads`, already checked to parse.
pub fn files<'a>(api: &'a Api, library: &'a str) -> Vec<Unit<'a>> {
    let printer = Printer { api, library };
    let mut units = vec![Unit::new("mod.rs", None, || {
        quote!(
            pub mod commands;
        )
    })];
    units.push(Unit::new("commands/mod.rs", Some(ROOT_DOC), move || {
        printer.root()
    }));
    for resource in api.all_resources() {
        let words = resource.cli.official_name.replace(':', " ");
        units.push(Unit::new(
            format!("commands/{}.rs", resource.module_path.join("/")),
            Some(&format!("`openai {words}`.")),
            move || printer.resource_module(resource),
        ));
    }
    units
}

#[derive(Clone, Copy)]
struct Printer<'a> {
    api: &'a Api,
    /// The library crate's path, as text: tokens are made on the thread
    /// that prints.
    library: &'a str,
}

/// A variant of a subcommand enum.
struct Variant {
    decl: TokenStream,
    name: Ident,
}

impl Printer<'_> {
    fn library(&self) -> TokenStream {
        self.library.parse().expect("checked by `codegen::tokens`")
    }

    /// `commands/mod.rs`: the top-level enum, with every subresource also
    /// under its official name (`uploads:parts`).
    fn root(&self) -> TokenStream {
        let library = self.library();
        let modules = self.api.resources.iter().map(|r| ident(&r.module));
        let mut variants = Vec::new();
        for resource in self.api.all_resources() {
            let module = resource.module_path.iter().map(|m| ident(m));
            let ty = ident(&resource.cli.command_type);
            let cli = &resource.cli.official_name;
            let name = ident(&resource.cli.official_variant);
            let doc = if resource.chain.len() == 1 {
                doc_attrs(Some(&resource.doc))
            } else {
                let nested = resource.cli.official_name.replace(':', " ");
                doc_attrs(Some(&format!(
                    "{}\n\nThe same as `openai {nested}`.",
                    resource.doc
                )))
            };
            variants.push(Variant {
                decl: quote! {
                    #doc
                    #[command(name = #cli, subcommand)]
                    #name(#(#module::)*#ty),
                },
                name,
            });
        }
        let group = group(
            &format_ident!("Resource"),
            "The API's resources, one subcommand group each.",
            variants,
            None,
        );
        quote! {
            use #library::{Client, Result};
            use openai_runtime::cli::{Input, Reply};

            #(pub mod #modules;)*

            #group
        }
    }

    /// One resource's module: its subcommand enum and its commands; its
    /// subresources' modules are its children.
    fn resource_module(&self, resource: &Resource) -> TokenStream {
        let library = self.library();
        let children = resource.subresources.iter().map(|s| ident(&s.module));
        // `ApiResponse` only where a command prints a body.
        let bodies = resource
            .operations
            .iter()
            .any(|op| matches!(op.response, Response::Json(_) | Response::Text { .. }));
        let library_use = if bodies {
            quote!(use #library::{ApiResponse, Client, Result};)
        } else {
            quote!(use #library::{Client, Result};)
        };
        let items = self.resource(resource);
        quote! {
            #(pub mod #children;)*

            use openai_runtime::cli::{Input, Reply};
            #library_use

            #items
        }
    }

    /// One resource's subcommand enum and its commands.
    fn resource(&self, resource: &Resource) -> TokenStream {
        let root = root_path(resource.module_path.len());
        let mut variants = Vec::new();
        let mut items = Vec::new();
        for op in &resource.operations {
            let doc = doc_attrs(op.doc.as_deref());
            let name = ident(&op.cli.variant);
            let args = ident(&op.cli.args_type);
            let cli = &op.cli.name;
            // The summary is the short help in command lists; the whole
            // description stays the long help (`--help`).
            let about = op.summary.as_ref().map(|s| quote!(, about = #s));
            let after = stdin_note(op).map(|note| quote!(, after_help = #note));
            variants.push(Variant {
                decl: quote! {
                    #doc
                    #[command(name = #cli #about #after)]
                    #name(Box<#args>),
                },
                name,
            });
            items.push(self.arguments(op, &root));
        }
        for sub in &resource.subresources {
            let doc = doc_attrs(Some(&sub.doc));
            let name = ident(&sub.cli.variant);
            let ty = ident(&sub.cli.command_type);
            let module = ident(&sub.module);
            let cli = &sub.cli.name;
            variants.push(Variant {
                decl: quote! {
                    #doc
                    #[command(name = #cli, subcommand)]
                    #name(#module::#ty),
                },
                name,
            });
        }
        let group = group(
            &ident(&resource.cli.command_type),
            &resource.doc,
            variants,
            Some(&root),
        );
        quote! {
            #group

            #(#items)*
        }
    }

    /// The arguments struct of one command, with its `reads_stdin` and `run`.
    fn arguments(&self, op: &Operation, root: &str) -> TokenStream {
        let ty = ident(&op.cli.args_type);
        let mut fields = Vec::new();
        for flag in &op.cli.flags {
            fields.push(self.flag_field(flag));
            if flag.positional {
                fields.push(positional_field(flag));
            }
            if let FlagValue::Object { fields: dotted } = &flag.value {
                fields.extend(dotted.iter().map(|d| self.flag_field(d)));
            }
        }
        let reads_stdin = op.cli.reads_stdin;
        // A file flag that names stdin (`--data -`) takes stdin for itself.
        // (A list of files, `--image a.png --image b.png`, names files only.)
        let stdin_files: Vec<Ident> = op
            .cli
            .flags
            .iter()
            .filter(|f| f.value == FlagValue::File && !f.repeated)
            .map(|f| ident(&f.field))
            .collect();
        let reads_stdin_body = if reads_stdin && !stdin_files.is_empty() {
            quote!(!(#(self.#stdin_files.as_deref().is_some_and(openai_runtime::cli::is_stdin))||*))
        } else {
            quote!(#reads_stdin)
        };
        let input_arg = if reads_stdin {
            quote!(mut input)
        } else {
            quote!(_input)
        };
        let body = if reads_stdin {
            self.input_steps(op)
        } else {
            TokenStream::new()
        };
        let mut call = Vec::new();
        for param in op.params_of(ParamKind::Path) {
            let name = ident(&param.name);
            call.push(match param.ty {
                TypeRef::String => quote!(&#name),
                _ => quote!(#name),
            });
        }
        if op.query_type.is_some() {
            call.push(quote!(&query));
        }
        if op.headers_type.is_some() {
            call.push(quote!(&headers));
        }
        if op.body.is_some() {
            call.push(quote!(&params));
        }
        let accessors = op.chain.iter().map(|a| ident(a));
        let method = format_ident!("{}_with_response", op.name);
        let doc = format!(" Arguments of `{}`.", op.cli.usage);
        let reads_doc = format!(
            " Whether this command reads stdin; see [`Resource::reads_stdin`]({root}::Resource::reads_stdin)."
        );
        let run_doc = format!(" Runs this command; see [`Resource::run`]({root}::Resource::run).");
        let reply = match &op.response {
            Response::Json(_) | Response::Text { .. } => {
                quote!(.map(ApiResponse::into_json).map(Reply::Body))
            }
            Response::NoBody => quote!(.map(Reply::Empty)),
            Response::Binary { .. } => {
                quote!(.map(|response| Reply::Download { response, output: self.output }))
            }
        };
        if matches!(op.response, Response::Binary { .. }) {
            let long = crate::plan_cli::OUTPUT_FLAG;
            fields.push(quote! {
                /// Where to write the file: a path (written whole or not at all), or `-` for
                /// stdout, the default. Bytes that are not text are not written to a terminal.
                #[arg(long = #long, short = 'o', value_name = "PATH")]
                pub output: Option<std::path::PathBuf>,
            });
        }
        quote! {
            #[doc = #doc]
            #[derive(Debug, clap::Args)]
            pub struct #ty {
                #(#fields)*
            }

            impl #ty {
                #[doc = #reads_doc]
                pub fn reads_stdin(&self) -> bool {
                    #reads_stdin_body
                }

                #[doc = #run_doc]
                pub async fn run(
                    self,
                    client: &Client,
                    #input_arg: Input,
                ) -> Result<Reply> {
                    #body
                    client #(.#accessors())* .#method(#(#call),*).await #reply
                }
            }
        }
    }

    /// The statements of `run` that merge the flags with stdin and take the
    /// result apart into the method's arguments.
    fn input_steps(&self, op: &Operation) -> TokenStream {
        let library = self.library();
        let mut steps = Vec::new();
        let mut required = Vec::new();
        for flag in &op.cli.flags {
            let key = &flag.key;
            let field = ident(&flag.field);
            let value = if flag.positional {
                let positional = ident(&flag.positional_field());
                quote!(self.#field.or(self.#positional))
            } else {
                quote!(self.#field)
            };
            match &flag.value {
                FlagValue::Object { fields } => {
                    let dotted = fields.iter().map(|d| {
                        let sub_key = &d.key;
                        let sub = ident(&d.field);
                        quote!(.field(#sub_key, self.#sub))
                    });
                    steps.push(quote!(input.object(#key, #value) #(#dotted)*;));
                }
                _ => steps.push(quote!(input.set(#key, #value);)),
            }
            if flag.required {
                let long = format!("--{}", flag.long);
                required.push(quote!((#key, #long)));
            }
        }
        if !required.is_empty() {
            steps.push(quote!(input.require(&[#(#required),*])?;));
        }
        for param in op.params_of(ParamKind::Path) {
            let name = ident(&param.name);
            let key = &param.api_name;
            let ty = type_tokens(&param.ty, None);
            steps.push(quote!(let #name: #ty = input.take(#key)?;));
        }
        if let Some(query) = &op.query_type {
            let ty = ident(query);
            let keys = op.params_of(ParamKind::Query).map(|p| &p.api_name);
            steps.push(quote!(let query: #library::#ty = input.take_all(&[#(#keys),*])?;));
        }
        if let Some(headers) = &op.headers_type {
            let ty = ident(headers);
            let keys = op.params_of(ParamKind::Header).map(|p| &p.api_name);
            steps.push(quote!(let headers: #library::#ty = input.take_all(&[#(#keys),*])?;));
        }
        match &op.body {
            Some(body) if body.kind == BodyKind::Json => {
                let ty = ident(&body.type_name);
                steps.push(quote!(let params: #library::#ty = input.body()?;));
            }
            Some(body) => {
                let Some(TypeDef::Struct(def)) = self.api.types.get(&body.type_name) else {
                    unreachable!("the lowering checks that bodies are structs")
                };
                let ty = ident(&body.type_name);
                let inits = def.fields.iter().map(|field| {
                    let name = ident(&field.name);
                    let key = &field.api_name;
                    let value = match (field.kind, field.optional()) {
                        (FieldKind::Constant, _) => quote!(Default::default()),
                        (FieldKind::FileUnion, optional) => {
                            let ty = type_tokens(field.ty.non_null(), Some(&library));
                            if optional {
                                quote! {
                                    input
                                        .take_optional::<Vec<std::path::PathBuf>>(#key)?
                                        .map(|paths| #ty::from_paths(#key, &paths))
                                        .transpose()?
                                }
                            } else {
                                quote!(#ty::from_paths(#key, &input.take::<Vec<std::path::PathBuf>>(#key)?)?)
                            }
                        }
                        (FieldKind::File, false) => quote!(input.take_file(#key)?),
                        (FieldKind::File, true) => quote!(input.take_optional_file(#key)?),
                        (_, false) => quote!(input.take(#key)?),
                        (_, true) => quote!(input.take_optional(#key)?),
                    };
                    quote!(#name: #value,)
                });
                steps.push(quote!(let params = #library::#ty { #(#inits)* };));
                steps.push(quote!(input.finish()?;));
            }
            None => steps.push(quote!(input.finish()?;)),
        }
        quote!(#(#steps)*)
    }

    /// One flag's field in the arguments struct.
    fn flag_field(&self, flag: &Flag) -> TokenStream {
        let library = self.library();
        let name = ident(&flag.field);
        let long = &flag.long;
        let value_name = &flag.value_name;
        let help = flag_help(flag);
        let doc = doc_attrs(Some(help.as_str()).filter(|h| !h.is_empty()));
        let env = flag.env.as_ref().map(|env| quote!(, env = #env));
        let (ty, parser) = match &flag.value {
            FlagValue::Scalar(ty) => (type_tokens(ty.non_null(), None), None),
            FlagValue::Enum { type_name, .. } => {
                let ty = ident(type_name);
                (quote!(#library::#ty), None)
            }
            FlagValue::Const(value) => (quote!(String), Some(quote!(, value_parser = [#value]))),
            FlagValue::File => (quote!(std::path::PathBuf), None),
            FlagValue::Document => (
                quote!(serde_json::Value),
                Some(quote!(, value_parser = openai_runtime::cli::parse_document)),
            ),
            FlagValue::Object { .. } => (
                quote!(serde_json::Value),
                Some(quote!(, value_parser = openai_runtime::cli::parse_object)),
            ),
        };
        let ty = if flag.repeated {
            quote!(Option<Vec<#ty>>)
        } else {
            quote!(Option<#ty>)
        };
        quote! {
            #doc
            #[arg(long = #long, value_name = #value_name #env #parser)]
            pub #name: #ty,
        }
    }
}

/// A subcommand enum with `reads_stdin` and `run`, which delegate to the
/// chosen variant. `root` gets the full documentation of both.
/// `root` is the path to `commands` from the enum's module (`None`: it is
/// the top-level enum).
fn group(ty: &Ident, doc: &str, variants: Vec<Variant>, root: Option<&str>) -> TokenStream {
    let doc = doc_attrs(Some(doc));
    let (decls, names): (Vec<_>, Vec<_>) = variants.into_iter().map(|v| (v.decl, v.name)).unzip();
    let (reads_doc, run_doc) = match root {
        None => (doc_attrs(Some(READS_STDIN_DOC)), doc_attrs(Some(RUN_DOC))),
        Some(root) => {
            let reads = format!(
                " Whether the chosen command reads stdin; see [`Resource::reads_stdin`]({root}::Resource::reads_stdin)."
            );
            let run =
                format!(" Runs the chosen command; see [`Resource::run`]({root}::Resource::run).");
            (quote!(#[doc = #reads]), quote!(#[doc = #run]))
        }
    };
    quote! {
        #doc
        #[derive(Debug, clap::Subcommand)]
        pub enum #ty {
            #(#decls)*
        }

        impl #ty {
            #reads_doc
            pub fn reads_stdin(&self) -> bool {
                match self {
                    #(Self::#names(command) => command.reads_stdin(),)*
                }
            }

            #run_doc
            pub async fn run(
                self,
                client: &Client,
                input: Input,
            ) -> Result<Reply> {
                match self {
                    #(Self::#names(command) => command.run(client, input).await,)*
                }
            }
        }
    }
}

/// The path from a resource's module to `commands` (`super::super`).
fn root_path(depth: usize) -> String {
    vec!["super"; depth].join("::")
}

/// The positional twin of a path parameter's flag.
fn positional_field(flag: &Flag) -> TokenStream {
    let name = ident(&flag.positional_field());
    let value_name = &flag.value_name;
    let ty = match &flag.value {
        FlagValue::Scalar(ty) => type_tokens(ty, None),
        _ => quote!(String),
    };
    let summary = flag
        .doc
        .as_deref()
        .and_then(|d| d.lines().next())
        .map(|line| line.trim_end_matches('.').to_owned())
        .unwrap_or_else(|| format!("The {}", flag.key));
    let doc = format!(" {summary} (the same as --{}).", flag.long);
    // The flag or the positional, not both.
    let flag_id = &flag.field;
    quote! {
        #[doc = #doc]
        #[arg(value_name = #value_name, conflicts_with = #flag_id)]
        pub #name: Option<#ty>,
    }
}

/// A flag's help: its description, with what the flag plan knows added to
/// the first paragraph (the short help): required, the known values of an
/// open enum, how an object or document is written.
fn flag_help(flag: &Flag) -> String {
    let mut notes = Vec::new();
    match &flag.value {
        FlagValue::Enum { values, .. } => {
            notes.push(format!(
                "[values: {}; others pass as given]",
                values.join(", ")
            ));
        }
        FlagValue::Object { fields } if !fields.is_empty() => notes.push(format!(
            "[JSON or YAML object; --{}.* flags set single fields and win]",
            flag.long
        )),
        FlagValue::Object { .. } => notes.push("[JSON or YAML object]".to_owned()),
        FlagValue::Document => notes.push("[JSON or YAML]".to_owned()),
        FlagValue::Scalar(_) | FlagValue::Const(_) | FlagValue::File => {}
    }
    if flag.repeated {
        notes.push("[repeatable]".to_owned());
    }
    if flag.required {
        notes.push("[required]".to_owned());
    }
    let text = flag.doc.as_deref().unwrap_or("").trim();
    let (first, rest) = match text.split_once("\n\n") {
        Some((first, rest)) => (first, Some(rest)),
        None => (text, None),
    };
    let mut first = first.to_owned();
    for note in notes {
        if !first.is_empty() {
            first.push(' ');
        }
        first.push_str(&note);
    }
    match rest {
        Some(rest) => format!("{first}\n\n{rest}"),
        None => first,
    }
}

/// The help line that says which keys a command takes from stdin.
fn stdin_note(op: &Operation) -> Option<String> {
    if !op.cli.reads_stdin {
        return None;
    }
    let keys: Vec<&str> = op
        .cli
        .flags
        .iter()
        .filter(|f| f.from_stdin)
        .map(|f| f.key.as_str())
        .collect();
    Some(format!(
        "Also reads its flags from a JSON or YAML object on stdin, by field name ({}); flags win.",
        keys.join(", ")
    ))
}
