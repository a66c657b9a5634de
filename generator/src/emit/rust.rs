//! Turning token streams into formatted Rust files, and the token helpers every Rust emitter
//! shares (docs, string literals, std paths).

use super::EmitError;
use proc_macro2::TokenStream;
use quote::quote;

/// Formats `tokens` as a file with `header` as its first comment line.
pub fn format_file(path: &str, header: &str, tokens: TokenStream) -> Result<String, EmitError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| EmitError::Rust {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(format!("// {header}\n\n{}", prettyplease::unparse(&file)))
}

/// Doc attributes for spec text: one `#[doc]` per line, so any text stays inside a literal.
pub fn doc(text: Option<&str>) -> TokenStream {
    let Some(text) = text else {
        return TokenStream::new();
    };
    let lines = doc_lines(text);
    quote! { #(#[doc = #lines])* }
}

/// Spec text as doc comment lines, each with a leading space. Any line break (`\n`, `\r\n`,
/// `\r`) starts a new line, tabs become spaces and other control characters are shown escaped:
/// rustc rejects a bare CR in a doc comment and clippy flags tabs.
pub fn doc_lines(text: &str) -> Vec<String> {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    normalised
        .trim_end()
        .split('\n')
        .map(|line| {
            let mut out = String::from(" ");
            for c in line.trim_end().chars() {
                match c {
                    '\t' => out.push_str("    "),
                    c if c.is_control() => out.extend(c.escape_default()),
                    c => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// Doc attributes for text written by svcgen itself.
pub fn doc_str(text: &str) -> TokenStream {
    doc(Some(text))
}

/// A string literal token for any text.
pub fn lit(text: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::string(text)
}
