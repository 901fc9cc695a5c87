//! The interface's description (`rpc_core::reflect`): its docs, and its types as text.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{Attribute, Expr, ExprLit, Lit, Meta, Type};

use crate::model::Interface;

/// The `&'static InterfaceDescription` expression, built from literals only, so that it is a
/// constant (and promoted to `'static`).
pub(crate) fn description(interface: &Interface) -> TokenStream {
    let name = interface.name().to_string();
    let docs = doc_text(&interface.item.attrs);
    let methods = interface.methods.iter().map(|m| {
        let wire = &m.wire_name;
        let docs = doc_text(&m.docs);
        let params = m.args.iter().map(|(n, ty)| {
            let (n, ty) = (n.to_string(), type_text(ty));
            quote!(::rpc_core::__private::ParamDescription { name: #n, ty: #ty })
        });
        let (returns, error) = (type_text(&m.ok), type_text(&m.err));
        quote! {
            ::rpc_core::__private::MethodDescription {
                name: #wire,
                docs: #docs,
                params: &[#(#params),*],
                returns: #returns,
                error: #error,
            }
        }
    });
    quote! {
        &::rpc_core::__private::InterfaceDescription {
            name: #name,
            docs: #docs,
            methods: &[#(#methods),*],
        }
    }
}

/// The text of the `///` comments among `attrs`: one line per attribute, less the single space
/// `/// ` leaves, with blank lines at either end dropped. `#[doc = …]` with anything but a
/// string literal (`include_str!`, say) has no text to take at expansion time, and is skipped.
pub(crate) fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            // A `/** … */` block arrives as one attribute of several lines.
            // `split`, not `lines`: an empty `///` is a blank line, which `lines` would drop.
            text.split('\n')
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    lines.join("\n").trim_matches('\n').to_owned()
}

/// A type as its author would write it: `Vec<String>`, not the `Vec < String >` that
/// `TokenStream`'s `Display` gives.
pub(crate) fn type_text(ty: &Type) -> String {
    let mut out = String::new();
    write_tokens(ty.to_token_stream(), &mut out);
    out
}

/// What the previous token asks of the next one.
#[derive(Clone, Copy, PartialEq)]
enum Before {
    /// Nothing yet, or a token that binds to what follows (`<`, `&`, `::`, `'`): no space.
    Tight,
    /// A word (an identifier, a literal, a closed group or `>`): a space before another word.
    Word,
    /// A separator (`,`, `;`, `+`, `=`, `->`): a space before anything.
    Spaced,
}

fn write_tokens(tokens: TokenStream, out: &mut String) {
    let mut before = Before::Tight;
    // A keyword before a group is a word of its own (`&mut [u8]`); a name is a call (`Fn(i64)`).
    let mut keyword = false;
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                if before != Before::Tight {
                    out.push(' ');
                }
                let word = token.to_string();
                keyword = matches!(word.as_str(), "mut" | "const" | "dyn" | "impl" | "as");
                out.push_str(&word);
                before = Before::Word;
            }
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    // An invisible group, from a `macro_rules!` `$t:ty`: just its contents.
                    Delimiter::None => ("", ""),
                };
                let word_before =
                    before == Before::Word && (keyword || group.delimiter() == Delimiter::Bracket);
                if before == Before::Spaced || word_before {
                    out.push(' ');
                }
                out.push_str(open);
                write_tokens(group.stream(), out);
                out.push_str(close);
                before = Before::Word;
                keyword = false;
            }
            TokenTree::Punct(punct) => {
                keyword = false;
                let c = punct.as_char();
                let arrow = c == '-'
                    && punct.spacing() == Spacing::Joint
                    && matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '>');
                if arrow {
                    tokens.next();
                    out.push_str(" -> ");
                    before = Before::Tight;
                    continue;
                }
                match c {
                    ',' | ';' => {
                        out.push(c);
                        before = Before::Spaced;
                    }
                    '+' | '=' => {
                        out.push(' ');
                        out.push(c);
                        before = Before::Spaced;
                    }
                    '>' => {
                        out.push(c);
                        before = Before::Word;
                    }
                    _ => {
                        if before == Before::Spaced {
                            out.push(' ');
                        }
                        out.push(c);
                        before = Before::Tight;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ty: &str) -> String {
        type_text(&syn::parse_str(ty).expect("a type"))
    }

    #[test]
    fn types_read_as_written() {
        for ty in [
            "i64",
            "Vec<String>",
            "Option<Vec<(String, i64)>>",
            "std::collections::HashMap<String, Vec<u8>>",
            "[u8; 32]",
            "()",
            "(i64,)",
            "Callback<i64, i64>",
            "&'static str",
            "&mut [u8]",
            "&mut (i64, i64)",
            "fn(i64) -> i64",
            "Box<dyn Fn(i64) -> i64 + Send>",
            "<T as Trait>::Output",
            "impl Iterator<Item = u8>",
            "Result<Vec<Vec<i64>>, RpcError>",
        ] {
            assert_eq!(text(ty), ty);
        }
    }

    #[test]
    fn spacing_in_the_source_does_not_matter() {
        assert_eq!(text("Vec < Option<String >>"), "Vec<Option<String>>");
        assert_eq!(text("HashMap<String,i64>"), "HashMap<String, i64>");
    }

    #[test]
    fn doc_comments_lose_their_markers() {
        let item: syn::ItemTrait = syn::parse_quote! {
            ///
            /// First line.
            ///   Indented.
            ///
            /// Second paragraph.
            ///
            #[doc = include_str!("elsewhere.md")]
            trait T {}
        };
        assert_eq!(
            doc_text(&item.attrs),
            "First line.\n  Indented.\n\nSecond paragraph."
        );
        let none: syn::ItemTrait = syn::parse_quote!(
            trait T {}
        );
        assert_eq!(doc_text(&none.attrs), "");
    }
}
