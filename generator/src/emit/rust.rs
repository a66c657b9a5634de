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
    let lines = text
        .trim_end()
        .lines()
        .map(|line| format!(" {}", line.trim_end()));
    quote! { #(#[doc = #lines])* }
}

/// Doc attributes for text written by svcgen itself.
pub fn doc_str(text: &str) -> TokenStream {
    doc(Some(text))
}

/// A string literal token for any text.
pub fn lit(text: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::string(text)
}
