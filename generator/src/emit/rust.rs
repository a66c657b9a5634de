//! Turning token streams into formatted Rust files, and the token helpers every Rust emitter
//! shares (docs, string literals, std paths).

use super::EmitError;
use proc_macro2::TokenStream;
use quote::quote;

/// Formats `tokens` as a generated file with `header` as its first comment line, through the
/// [presentation pass](super::present).
///
/// The file opts out of `cargo fmt` (`#![cfg_attr(rustfmt, rustfmt::skip)]`: stable rustfmt
/// formats `@generated` files too), so formatting a workspace never makes it differ from what
/// `svcgen check` expects; the person's own files in the same crate are formatted as usual.
pub fn format_file(path: &str, header: &str, tokens: TokenStream) -> Result<String, EmitError> {
    Ok(format_generated(header, parse(path, tokens)?))
}

/// [`format_file`] of a file already parsed (as [`super::service::with_siblings`] leaves it).
pub fn format_generated(header: &str, mut file: syn::File) -> String {
    file.attrs
        .push(syn::parse_quote! { #![cfg_attr(rustfmt, rustfmt::skip)] });
    finish(header, file)
}

/// Formats `tokens` as a file the person owns (written once), which `cargo fmt` may format.
pub fn format_owned(path: &str, header: &str, tokens: TokenStream) -> Result<String, EmitError> {
    Ok(finish(header, parse(path, tokens)?))
}

/// `tokens` as a file's syntax tree; a failure names `path` (it is svcgen's bug, never the
/// spec's).
pub fn parse(path: &str, tokens: TokenStream) -> Result<syn::File, EmitError> {
    syn::parse2(tokens).map_err(|e| EmitError::Rust {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn finish(header: &str, mut file: syn::File) -> String {
    super::present::tidy(&mut file);
    let text = super::present::space_out(&prettyplease::unparse(&file));
    format!("// {header}\n\n{text}")
}

/// Doc attributes for spec text: one `#[doc]` per line, so any text stays inside a literal,
/// made [`inert`] first.
pub fn doc(text: Option<&str>) -> TokenStream {
    let Some(text) = text else {
        return TokenStream::new();
    };
    doc_str(&inert(text))
}

/// Spec text made inert for rustdoc, which reads doc comments as Markdown: it can never open a
/// code block (rustdoc would make it a doctest, which `cargo test` compiles and runs) nor raw
/// HTML.
///
/// - every run of three or more backticks or tildes is escaped (`\``), so no fence opens,
///   whatever container (list item, block quote) it sits in;
/// - runs of spaces (tabs count as spaces) shrink to one, so no line is indented enough to be
///   an indented code block, inside a container or not;
/// - `<` is written as `&lt;`, so no HTML element (`<pre>`, `<script>`) opens.
///
/// The words stay readable in the source and render as written.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '~' => {
                let mut run = 1;
                while chars.peek() == Some(&c) {
                    chars.next();
                    run += 1;
                }
                for _ in 0..run {
                    if run >= 3 {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            ' ' | '\t' => {
                while matches!(chars.peek(), Some(' ' | '\t')) {
                    chars.next();
                }
                out.push(' ');
            }
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out
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

/// Doc attributes for text written by svcgen itself (spec text inside it already [`inert`]).
pub fn doc_str(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote! { #(#[doc = #lines])* }
}

/// A string literal token for any text.
pub fn lit(text: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::string(text)
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn spec_text_cannot_open_a_code_block_or_html() {
        assert_eq!(inert("```\nrun()\n```"), "\\`\\`\\`\nrun()\n\\`\\`\\`");
        assert_eq!(inert("- ~~~rust"), "- \\~\\~\\~rust");
        assert_eq!(inert("text\n\n    indented()"), "text\n\n indented()");
        assert_eq!(inert(">\t\tquoted()"), "> quoted()");
        assert_eq!(inert("<pre>x</pre>"), "&lt;pre>x&lt;/pre>");
        assert_eq!(inert("`inline` and ``two``"), "`inline` and ``two``");
    }
}
