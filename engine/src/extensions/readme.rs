//! READMEs and changelogs come from third parties: Markdown rendered to HTML where raw HTML is
//! shown as text (so no script, style or event handler can get in) and only http, https and
//! mailto links (or relative ones) are kept; others point nowhere.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Largest Markdown text rendered; the rest is cut.
pub const MAX_MARKDOWN_BYTES: usize = 256 * 1024;

/// Whether a link or image address is safe to put in a page.
pub fn safe_url(url: &str) -> bool {
    // Browsers ignore control characters and spaces inside a scheme (`java\tscript:`).
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = cleaned.find(':');
    let path_start = cleaned.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        // `a/b:c` and `#x:y` are relative.
        (Some(colon), Some(slash)) if slash < colon => true,
        (Some(colon), _) => matches!(&cleaned[..colon], "http" | "https" | "mailto"),
        (None, _) => true,
    }
}

fn clean(url: CowStr<'_>) -> CowStr<'_> {
    if safe_url(&url) { url } else { "#".into() }
}

/// `markdown` as sanitized HTML.
pub fn to_html(markdown: &str) -> String {
    let mut text = markdown;
    if text.len() > MAX_MARKDOWN_BYTES {
        let mut end = MAX_MARKDOWN_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text = &text[..end];
    }
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(text, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: clean(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: clean(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_headings_lists_links_and_code() {
        let html = to_html("# Redis\n\n- fast\n- *simple*\n\n[site](https://redis.io) `code`");
        assert!(html.contains("<h1>Redis</h1>"), "{html}");
        assert!(html.contains("<li><em>simple</em></li>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://redis.io">site</a>"#),
            "{html}"
        );
        assert!(html.contains("<code>code</code>"), "{html}");
    }

    #[test]
    fn raw_html_scripts_and_handlers_stay_text() {
        let html = to_html(
            "hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<a href=\"javascript:alert(1)\">x</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<a href=\"javascript"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn script_urls_point_nowhere_in_links_and_images() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:x",
        ] {
            assert!(!safe_url(url), "{url:?}");
        }
        let html = to_html("[x](javascript:alert(1)) ![y](data:image/svg+xml,abc)");
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(html.contains(r##"href="#""##), "{html}");
        for url in [
            "https://a.b/c",
            "mailto:x@y.z",
            "docs/setup.md",
            "#install",
            "a/b:c",
        ] {
            assert!(safe_url(url), "{url:?}");
        }
    }

    #[test]
    fn attribute_quotes_cannot_break_out() {
        let html = to_html(r#"[x](https://a.b/"onmouseover="alert(1))"#);
        assert!(!html.contains(r#"" onmouseover"#), "{html}");
        assert!(!html.contains(r#""onmouseover=""#), "{html}");
    }
}
