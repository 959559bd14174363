//! Light and dark themes: the system preference unless the user picked one, kept in a cookie so
//! the server renders the right theme on the first byte (no flash).

use leptos::prelude::*;

/// Cookie holding the user's choice.
pub const THEME_COOKIE: &str = "orbitr_theme";

/// The theme the page is rendered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Follow `prefers-color-scheme`.
    System,
    Light,
    Dark,
}

impl Theme {
    /// Value of `<html data-theme>`.
    pub fn attribute(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// The theme chosen in a `Cookie:` header, `System` when none.
pub fn theme_from_cookie_header(header: &str) -> Theme {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == THEME_COOKIE)
        .map_or(Theme::System, |(_, value)| match value.trim() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        })
}

/// The button in the top bar that flips between light and dark and remembers the choice.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    view! {
        <button
            type="button"
            class="icon-button theme-toggle"
            title="Switch between light and dark theme"
            aria-label="Switch between light and dark theme"
            data-test="theme-toggle"
            on:click=move |_| toggle()
        >
            <svg class="icon icon-moon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/>
            </svg>
            <svg class="icon icon-sun" viewBox="0 0 24 24" aria-hidden="true">
                <circle cx="12" cy="12" r="4.5"/>
                <path d="M12 1.5v3M12 19.5v3M4.6 4.6l2.1 2.1M17.3 17.3l2.1 2.1M1.5 12h3M19.5 12h3M4.6 19.4l2.1-2.1M17.3 6.7l2.1-2.1"/>
            </svg>
        </button>
    }
}

/// Flips between light and dark and remembers the choice in the cookie.
#[cfg(feature = "hydrate")]
pub fn toggle() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Some(html) = document.document_element() else {
        return;
    };
    let dark_now = match html.get_attribute("data-theme").as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => window
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches()),
    };
    let next = if dark_now { Theme::Light } else { Theme::Dark };
    let _ = html.set_attribute("data-theme", next.attribute());
    if let Ok(doc) = document.dyn_into::<web_sys::HtmlDocument>() {
        let _ = doc.set_cookie(&format!(
            "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            next.attribute()
        ));
    }
}

/// Nothing to flip on the server.
#[cfg(not(feature = "hydrate"))]
pub fn toggle() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_picks_the_theme() {
        assert_eq!(
            theme_from_cookie_header("a=b; orbitr_theme=dark"),
            Theme::Dark
        );
        assert_eq!(theme_from_cookie_header("orbitr_theme=light"), Theme::Light);
        assert_eq!(
            theme_from_cookie_header("orbitr_theme=purple"),
            Theme::System
        );
        assert_eq!(theme_from_cookie_header(""), Theme::System);
        assert_eq!(
            theme_from_cookie_header("xorbitr_theme=dark"),
            Theme::System
        );
    }
}
