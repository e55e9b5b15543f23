//! IR -> the CLI's command table: `commands/`, one file per resource, each
//! a `static` slice of `openai_runtime::table::Command`, printed from the
//! IR's flag plan. The CLI reads the table and builds only the command a
//! run names; sending, paging, streaming and printing are hand-written
//! once, for every command.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::*;
use crate::render::{Unit, ident};

/// The module doc of `commands/mod.rs`.
const ROOT_DOC: &str = "\
The `openai` commands of the API's operations, as a table: one module per
resource, nested like the resources, each with its `COMMANDS`. [`GROUPS`]
lists every group by its official name, [`ALL`] every module's commands.";

/// Every file of the CLI's generated folder.
pub fn files(api: &Api) -> Vec<Unit<'_>> {
    let mut units = vec![Unit::new("mod.rs", None, || {
        quote!(
            pub mod commands;
        )
    })];
    units.push(Unit::new("commands/mod.rs", Some(ROOT_DOC), move || {
        root(api)
    }));
    for resource in api.all_resources() {
        let words = resource.cli.official_name.replace(':', " ");
        units.push(Unit::new(
            format!("commands/{}.rs", resource.module_path.join("/")),
            Some(&format!("`openai {words}`.")),
            move || resource_module(resource),
        ));
    }
    units
}

/// `commands/mod.rs`: the groups and every module's commands.
fn root(api: &Api) -> TokenStream {
    let modules = api.resources.iter().map(|r| ident(&r.module));
    let groups = api.all_resources().map(|resource| {
        let name = &resource.cli.official_name;
        let doc = &resource.doc;
        let hand = resource.commands.iter().map(|c| {
            let (name, doc) = (&c.name, &c.doc);
            quote!((#name, #doc))
        });
        quote! {
            Group { name: #name, doc: #doc, hand_written: &[#(#hand),*] }
        }
    });
    let all = api.all_resources().map(|resource| {
        let path = resource.module_path.iter().map(|m| ident(m));
        quote!(#(#path::)*COMMANDS)
    });
    quote! {
        use openai_runtime::table::{Command, Group};

        #(pub mod #modules;)*

        /// Every command group, by its official name, each before its subgroups.
        pub static GROUPS: &[Group] = &[#(#groups),*];

        /// Every resource's commands.
        pub static ALL: &[&[Command]] = &[#(#all),*];
    }
}

/// One resource's module: its commands; its subresources' modules are its
/// children.
fn resource_module(resource: &Resource) -> TokenStream {
    let children = resource.subresources.iter().map(|s| ident(&s.module));
    let commands = resource.operations.iter().map(command);
    let used = if resource.operations.is_empty() {
        quote!()
    } else {
        quote!(
            use openai_runtime::table::*;
        )
    };
    quote! {
        #(pub mod #children;)*

        #used

        /// The commands of this group.
        pub static COMMANDS: &[openai_runtime::table::Command] = &[#(#commands),*];
    }
}

fn command(op: &Operation) -> TokenStream {
    let group = &op.cli.group;
    let name = &op.cli.name;
    let aliases = &op.cli.aliases;
    let about = op.summary.clone().unwrap_or_default();
    let doc = op.doc.clone().unwrap_or_default();
    let method = op.method.constant();
    let path = &op.path;
    let fixed = op.fixed_query.iter().map(|(k, v)| quote!((#k, #v)));
    let admin = op.admin;
    let retry_conflicts = op.retry_conflicts;
    let body = match op.body.as_ref().map(|b| b.kind) {
        None => quote!(BodyKind::None),
        Some(BodyKind::Json) => quote!(BodyKind::Json),
        Some(BodyKind::Multipart) => quote!(BodyKind::Multipart),
    };
    let constants = op.cli.constants.iter().map(|(k, v)| quote!((#k, #v)));
    let reply = match &op.response {
        Response::Json(_) => quote!(ReplyKind::Json),
        Response::NoBody => quote!(ReplyKind::Empty),
        Response::Binary { accept } => quote!(ReplyKind::Binary(#accept)),
        Response::Text { accept } => quote!(ReplyKind::Text(#accept)),
    };
    let paging = match &op.paging {
        None => quote!(Paging::None),
        Some(Paging::After { param }) => quote!(Paging::After { param: #param }),
        Some(Paging::LastId { param, field }) => {
            quote!(Paging::LastId { param: #param, field: #field })
        }
        Some(Paging::Token { param, field }) => {
            quote!(Paging::Token { param: #param, field: #field })
        }
        Some(Paging::Single) => quote!(Paging::Single),
    };
    let stream = match &op.stream {
        None => quote!(None),
        Some(stream) => {
            let switch = stream.switch.clone().unwrap_or_default();
            quote!(Some(#switch))
        }
    };
    let flags = op.cli.flags.iter().map(flag);
    quote! {
        Command {
            group: #group,
            name: #name,
            aliases: &[#(#aliases),*],
            about: #about,
            doc: #doc,
            method: #method,
            path: #path,
            fixed_query: &[#(#fixed),*],
            admin: #admin,
            retry_conflicts: #retry_conflicts,
            body: #body,
            constants: &[#(#constants),*],
            reply: #reply,
            paging: #paging,
            stream: #stream,
            flags: &[#(#flags),*],
        }
    }
}

fn flag(flag: &Flag) -> TokenStream {
    let long = &flag.long;
    let key = &flag.key;
    let value_name = &flag.value_name;
    let help = flag.help();
    let target = match flag.target {
        FlagTarget::Param(ParamKind::Path) => quote!(Target::Path),
        FlagTarget::Param(ParamKind::Query) => quote!(Target::Query),
        FlagTarget::Param(ParamKind::Header) => quote!(Target::Header),
        FlagTarget::Body(_) | FlagTarget::ObjectField => quote!(Target::Body),
    };
    let (kind, fields) = match &flag.value {
        FlagValue::Scalar(ty) => (scalar(ty), Vec::new()),
        FlagValue::Enum { values, .. } => (quote!(Kind::Enum(&[#(#values),*])), Vec::new()),
        FlagValue::Const(value) => (quote!(Kind::Const(#value)), Vec::new()),
        FlagValue::File => (quote!(Kind::File), Vec::new()),
        FlagValue::FileOrValue => (quote!(Kind::FileOrValue), Vec::new()),
        FlagValue::Document => (quote!(Kind::Document), Vec::new()),
        // A list's items may be anything; only a single object is checked.
        FlagValue::Object { fields } if flag.repeated => (quote!(Kind::Document), fields.clone()),
        FlagValue::Object { fields } => (quote!(Kind::Object), fields.clone()),
    };
    let fields = fields.iter().map(self::flag);
    let list = flag.repeated;
    let required = flag.required;
    let positional = flag.positional;
    quote! {
        Flag {
            long: #long,
            key: #key,
            value_name: #value_name,
            help: #help,
            target: #target,
            kind: #kind,
            list: #list,
            required: #required,
            positional: #positional,
            fields: &[#(#fields),*],
        }
    }
}

fn scalar(ty: &TypeRef) -> TokenStream {
    match ty.non_null() {
        TypeRef::Integer => quote!(Kind::Integer),
        TypeRef::Number => quote!(Kind::Number),
        TypeRef::Boolean => quote!(Kind::Boolean),
        TypeRef::String => quote!(Kind::String),
        _ => quote!(Kind::Document),
    }
}
